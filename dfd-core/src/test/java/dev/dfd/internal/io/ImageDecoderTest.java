package dev.dfd.internal.io;

import com.fasterxml.jackson.databind.JsonNode;
import dev.dfd.DecodeLimits;
import dev.dfd.Fixtures;
import dev.dfd.Golden;
import dev.dfd.ImageException;
import dev.dfd.RgbImage;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;

import java.awt.Transparency;
import java.awt.color.ColorSpace;
import java.awt.image.BufferedImage;
import java.awt.image.ColorModel;
import java.awt.image.ComponentColorModel;
import java.awt.image.DataBuffer;
import java.awt.image.WritableRaster;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Base64;
import java.util.List;
import java.util.zip.CRC32;
import javax.imageio.ImageIO;

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
                byte[] pillow = Base64.getDecoder().decode(c.get("rgb_base64").asText());
                int maxDiff = maxAbsDiff(pillow, img.pixels());
                if (file.equals("lossy.webp") && !WebpDecoder.exact()) {
                    // without libwebp's natives dfd falls back to TwelveMonkeys' VP8 decoder, whose YUV to RGB
                    // conversion differs from libwebp's (Pillow's): close, not equal
                    assertTrue(maxDiff <= LOSSY_WEBP_MAX_DIFF, "max difference " + maxDiff);
                    assertTrue(meanAbsDiff(pillow, img.pixels()) <= LOSSY_WEBP_MEAN_DIFF, "mean difference");
                } else {
                    assertEquals(0, maxDiff, "RGB bytes differ from Pillow's");
                    assertEquals(c.get("sha256").asText(), Golden.sha256(img.pixels()));
                }
            }));
        }
        return tests;
    }

    /**
     * Bounds on libwebp (Pillow) vs the TwelveMonkeys fallback on lossy.webp, a synthetic image of sharp colour edges (measured
     * 46 max). On DFDC face crops re-encoded at quality 80 the mean difference was 1.9-3.1 and the max 11-22.
     */
    static final int LOSSY_WEBP_MAX_DIFF = 48;
    static final double LOSSY_WEBP_MEAN_DIFF = 9.0; // measured 8.1

    static double meanAbsDiff(byte[] a, byte[] b) {
        double sum = 0;
        for (int i = 0; i < a.length; i++) {
            sum += Math.abs((a[i] & 0xFF) - (b[i] & 0xFF));
        }
        return sum / a.length;
    }

    static int maxAbsDiff(byte[] a, byte[] b) {
        assertEquals(a.length, b.length);
        int max = 0;
        for (int i = 0; i < a.length; i++) {
            max = Math.max(max, Math.abs((a[i] & 0xFF) - (b[i] & 0xFF)));
        }
        return max;
    }

    /** 16-bit PNGs (grey and RGB): each sample keeps its high byte. */
    @Test
    void sixteenBitPngs() throws IOException {
        BufferedImage grey = new BufferedImage(3, 2, BufferedImage.TYPE_USHORT_GRAY);
        grey.getRaster().setSample(0, 0, 0, 0xFFFF);
        grey.getRaster().setSample(1, 0, 0, 0x80FF);
        grey.getRaster().setSample(2, 1, 0, 0x00FF);
        RgbImage g = decoder.decode(png(grey));
        assertEquals(List.of(255, 255, 255, 128, 128, 128, 0, 0, 0), firstNine(g));
        assertEquals(0, g.get(2, 1, 0));

        java.awt.image.ComponentColorModel cm = new java.awt.image.ComponentColorModel(
                java.awt.color.ColorSpace.getInstance(java.awt.color.ColorSpace.CS_sRGB), false, false,
                java.awt.Transparency.OPAQUE, java.awt.image.DataBuffer.TYPE_USHORT);
        BufferedImage rgb = new BufferedImage(cm, cm.createCompatibleWritableRaster(3, 1), false, null);
        rgb.getRaster().setPixel(0, 0, new int[]{0x1234, 0xABCD, 0xFF00});
        rgb.getRaster().setPixel(1, 0, new int[]{0xFFFF, 0, 0x0100});
        RgbImage c = decoder.decode(png(rgb));
        assertEquals(List.of(0x12, 0xAB, 0xFF, 0xFF, 0, 1, 0, 0, 0), firstNine(c));
    }

    private static byte[] png(BufferedImage image) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        assertTrue(ImageIO.write(image, "png", out));
        return out.toByteArray();
    }

    private static List<Integer> firstNine(RgbImage img) {
        List<Integer> out = new ArrayList<>();
        for (int i = 0; i < 9; i++) {
            out.add(img.pixels()[i] & 0xFF);
        }
        return out;
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

    /**
     * The heap one decode holds is bounded by DecodeLimits.maxDecodeBytes (7 bytes x maxPixels): a 16-bit RGB PNG's
     * reader raster (6 bytes per pixel) plus the RGB result (3) is refused at the pixel limit, before decoding;
     * JPEG is decoded straight into the result (3 per pixel, 6 with an EXIF rotation) and fits at the limit.
     */
    @Test
    void decodeMemoryIsBoundedPerPixel() throws IOException {
        ColorModel cm = new ComponentColorModel(ColorSpace.getInstance(ColorSpace.CS_sRGB), new int[] {16, 16, 16},
                false, false, Transparency.OPAQUE, DataBuffer.TYPE_USHORT);
        WritableRaster raster = cm.createCompatibleWritableRaster(20, 10); // (10, 20, 3) 16-bit samples
        for (int x = 0; x < 20; x++) {
            raster.setPixel(x, 3, new int[] {x * 3000, 0xABCD, 0x00FF});
        }
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ImageIO.write(new BufferedImage(cm, raster, false, null), "png", out);
        byte[] png = out.toByteArray();
        ImageException refused = assertThrows(ImageException.class,
                () -> new ImageDecoder(new DecodeLimits(1 << 20, 200)).decode(png));
        assertEquals("decoding this 20x10 PNG needs 1800 bytes (9 per pixel), over the limit of 1400",
                refused.getMessage());
        RgbImage decoded = new ImageDecoder(new DecodeLimits(1 << 20, 258)).decode(png); // 9 x 200 <= 7 x 258
        assertEquals(0xAB, decoded.get(5, 3, 1), "16-bit samples keep their high byte");
        assertEquals(15000 >> 8, decoded.get(5, 3, 0));

        byte[] rotated = Files.readAllBytes(Fixtures.dir().resolve("decode/orient6.jpg"));
        RgbImage free = decoder.decode(rotated);
        long pixels = (long) free.width() * free.height();
        RgbImage atTheLimit = new ImageDecoder(new DecodeLimits(1 << 20, pixels)).decode(rotated);
        assertTrue(Arrays.equals(free.pixels(), atTheLimit.pixels()));
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
