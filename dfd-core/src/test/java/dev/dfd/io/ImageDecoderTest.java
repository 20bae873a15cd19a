package dev.dfd.io;

import com.fasterxml.jackson.databind.JsonNode;
import dev.dfd.Fixtures;
import dev.dfd.Golden;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;

import javax.imageio.ImageIO;
import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.zip.CRC32;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class ImageDecoderTest {
    private final ImageDecoder decoder = new ImageDecoder();

    /** Every mode and format against Pillow's open -> exif_transpose -> convert("RGB"), byte for byte. */
    @TestFactory
    List<DynamicTest> decodesLikePillow() throws IOException {
        List<DynamicTest> tests = new ArrayList<>();
        for (JsonNode c : Fixtures.json("decode.json").get("cases")) {
            String file = c.get("file").asText();
            tests.add(DynamicTest.dynamicTest(file + " (" + c.get("mode").asText() + ")", () -> {
                RgbImage img = decoder.decode(Files.readAllBytes(Fixtures.dir().resolve("decode").resolve(file)));
                assertEquals(c.get("width").asInt(), img.width(), "width");
                assertEquals(c.get("height").asInt(), img.height(), "height");
                assertEquals(c.get("sha256").asText(), Golden.sha256(img.pixels()), "RGB bytes differ from Pillow's");
            }));
        }
        return tests;
    }

    @Test
    void orientationMapsPixelsAsPillowTransposes() {
        // 3 wide, 2 high; pixel value = its index, in the red channel
        byte[] px = new byte[18];
        for (int i = 0; i < 6; i++) {
            px[i * 3] = (byte) i;
        }
        RgbImage in = new RgbImage(3, 2, px); // rows: [0 1 2] [3 4 5]
        assertEquals(List.of(0, 1, 2, 3, 4, 5), reds(Orientation.apply(in, 1)));
        assertEquals(List.of(2, 1, 0, 5, 4, 3), reds(Orientation.apply(in, 2))); // FLIP_LEFT_RIGHT
        assertEquals(List.of(5, 4, 3, 2, 1, 0), reds(Orientation.apply(in, 3))); // ROTATE_180
        assertEquals(List.of(3, 4, 5, 0, 1, 2), reds(Orientation.apply(in, 4))); // FLIP_TOP_BOTTOM
        assertEquals(List.of(0, 3, 1, 4, 2, 5), reds(Orientation.apply(in, 5))); // TRANSPOSE
        assertEquals(List.of(3, 0, 4, 1, 5, 2), reds(Orientation.apply(in, 6))); // ROTATE_270 (clockwise)
        assertEquals(List.of(5, 2, 4, 1, 3, 0), reds(Orientation.apply(in, 7))); // TRANSVERSE
        assertEquals(List.of(2, 5, 1, 4, 0, 3), reds(Orientation.apply(in, 8))); // ROTATE_90
        assertEquals(2, Orientation.apply(in, 6).width());
    }

    private static List<Integer> reds(RgbImage img) {
        List<Integer> out = new ArrayList<>();
        for (int i = 0; i < img.width() * img.height(); i++) {
            out.add(img.pixels()[i * 3] & 0xFF);
        }
        return out;
    }

    @Test
    void emptyInputIsRefused() {
        ImageException e = assertThrows(ImageException.class, () -> decoder.decode(new byte[0]));
        assertEquals("empty file (0 bytes)", e.getMessage());
    }

    @Test
    void textIsNotAnImage() {
        ImageException e = assertThrows(ImageException.class, () -> decoder.decode("hello, world".getBytes()));
        assertTrue(e.getMessage().startsWith("not an image"), e.getMessage());
    }

    @Test
    void truncatedJpegIsAnError() throws IOException {
        byte[] jpeg = Files.readAllBytes(Fixtures.dir().resolve("decode/progressive.jpg"));
        for (int cut : new int[]{jpeg.length / 2, jpeg.length - 40, 40}) {
            byte[] part = Arrays.copyOf(jpeg, cut);
            ImageException e = assertThrows(ImageException.class, () -> decoder.decode(part), "cut at " + cut);
            assertTrue(e.getMessage().contains("JPEG"), e.getMessage());
            assertTrue(!e.getMessage().contains("\n"), "one line");
        }
    }

    @Test
    void truncatedAndCorruptPngAreErrors() throws IOException {
        byte[] png = Files.readAllBytes(Fixtures.dir().resolve("images/noise_64x48.png"));
        ImageException cut = assertThrows(ImageException.class, () -> decoder.decode(Arrays.copyOf(png, png.length / 2)));
        assertTrue(cut.getMessage().contains("PNG"), cut.getMessage());
        byte[] garbled = png.clone();
        for (int i = 60; i < garbled.length - 20; i += 7) {
            garbled[i] ^= 0x5A;
        }
        ImageException bad = assertThrows(ImageException.class, () -> decoder.decode(garbled));
        assertTrue(bad.getMessage().contains("PNG"), bad.getMessage());
        ImageException header = assertThrows(ImageException.class, () -> decoder.decode(Arrays.copyOf(png, 12)));
        assertTrue(header.getMessage().contains("PNG"), header.getMessage());
    }

    /** A PNG whose header claims 20000 x 20000: refused from the header, before decoding a pixel. */
    @Test
    void decompressionBombIsRefusedFromTheHeader() throws IOException {
        byte[] bomb = pngClaiming(20000, 20000);
        assertTrue(bomb.length < 1000);
        ImageException e = assertThrows(ImageException.class, () -> decoder.decode(bomb));
        assertTrue(e.getMessage().contains("400000000 pixels, over the limit of 90000000"), e.getMessage());
        ImageDecoder strict = new ImageDecoder(new DecodeLimits(1 << 20, 100));
        byte[] small = pngClaiming(11, 10);
        assertThrows(ImageException.class, () -> strict.decode(small));
    }

    @Test
    void byteLimitIsEnforced() throws IOException {
        byte[] png = Files.readAllBytes(Fixtures.dir().resolve("images/noise_64x48.png"));
        ImageDecoder strict = new ImageDecoder(new DecodeLimits(100, 1_000_000));
        ImageException e = assertThrows(ImageException.class, () -> strict.decode(png));
        assertTrue(e.getMessage().contains("over the limit of 100"), e.getMessage());
    }

    /** A valid 1x1 PNG whose IHDR is rewritten (CRC fixed) to claim another size. */
    static byte[] pngClaiming(int width, int height) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ImageIO.write(new BufferedImage(1, 1, BufferedImage.TYPE_INT_RGB), "png", out);
        byte[] png = out.toByteArray();
        ByteBuffer b = ByteBuffer.wrap(png); // signature(8), IHDR length(4), "IHDR"(4), data(13), crc(4)
        b.putInt(16, width);
        b.putInt(20, height);
        CRC32 crc = new CRC32();
        crc.update(png, 12, 17);
        b.putInt(29, (int) crc.getValue());
        return png;
    }

    @Test
    void sixteenBitSamplesKeepTheirHighByte() {
        assertEquals(0xAB, ImageDecoder.to8Bit(0xABCD, 16));
        assertEquals(255, ImageDecoder.to8Bit(1, 1));
        assertEquals(170, ImageDecoder.to8Bit(2, 2));
        assertEquals(17 * 9, ImageDecoder.to8Bit(9, 4));
        assertEquals(200, ImageDecoder.to8Bit(200, 8));
    }
}
