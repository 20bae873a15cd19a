package dev.dfd.internal.io;

import com.fasterxml.jackson.databind.JsonNode;
import dev.dfd.DecodeLimits;
import dev.dfd.Fixtures;
import dev.dfd.Golden;
import dev.dfd.ImageException;
import dev.dfd.RgbImage;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * WebP against Pillow 9.4 + libwebp (fixtures/webp, made by make_webp_fixtures.py beside them): lossy at qualities
 * 10-95, odd sizes down to 1x1, lossy and lossless with alpha (colour under alpha kept), animated (first frame, also at
 * an offset on a larger canvas). Every file must decode to Pillow's RGB bytes exactly. The TwelveMonkeys fallback's
 * difference is measured on the same files and printed, for the record.
 */
class WebpDecoderTest {
    private static final Map<String, String> FALLBACK = new TreeMap<>();

    @AfterAll
    static void report() {
        FALLBACK.forEach((file, diff) -> System.out.println("webp " + file + ": TwelveMonkeys vs Pillow " + diff));
    }

    @TestFactory
    List<DynamicTest> decodesLikePillow() throws IOException {
        List<DynamicTest> tests = new ArrayList<>();
        for (JsonNode c : Fixtures.json("webp/webp.json").get("cases")) {
            String file = c.get("file").asText();
            tests.add(DynamicTest.dynamicTest(file, () -> {
                assertTrue(WebpDecoder.exact(), "libwebp natives did not load on this platform");
                byte[] bytes = Files.readAllBytes(Fixtures.dir().resolve("webp").resolve(file));
                assertEquals(c.get("file_sha256").asText(), Golden.sha256(bytes), "fixture file changed");
                RgbImage img = new ImageDecoder().decode(bytes);
                assertEquals(c.get("width").asInt(), img.width(), "width");
                assertEquals(c.get("height").asInt(), img.height(), "height");
                if (c.has("rgb_base64")) {
                    byte[] pillow = Base64.getDecoder().decode(c.get("rgb_base64").asText());
                    assertEquals(0, ImageDecoderTest.maxAbsDiff(pillow, img.pixels()), "RGB bytes differ from Pillow's");
                }
                assertEquals(c.get("rgb_sha256").asText(), Golden.sha256(img.pixels()), "RGB bytes differ");
                measureFallback(file, bytes, img, c);
            }));
        }
        return tests;
    }

    /**
     * What TwelveMonkeys (the fallback, and dfd's decoder before libwebp) gives on the same still file, against
     * Pillow's pixels (which libwebp's output was just checked equal to).
     */
    private static void measureFallback(String file, byte[] bytes, RgbImage pillowRgb, JsonNode c) {
        if (c.get("frames").asInt() > 1) {
            return;
        }
        byte[] pillow = pillowRgb.pixels();
        RgbImage tm = WebpDecoder.decodeWithTwelveMonkeys(bytes);
        synchronized (FALLBACK) {
            FALLBACK.put(file, String.format("max %d mean %.2f", ImageDecoderTest.maxAbsDiff(pillow, tm.pixels()),
                    ImageDecoderTest.meanAbsDiff(pillow, tm.pixels())));
        }
    }

    @Test
    void alphaKeepsTheColourUnderTransparentPixels() throws IOException {
        byte[] bytes = Files.readAllBytes(Fixtures.dir().resolve("webp/lossless_alpha_37x21.webp"));
        RgbImage img = new ImageDecoder().decode(bytes);
        // the left columns have alpha 0 (exact=True kept their colour): not composited onto black
        assertTrue(img.get(0, 0, 0) + img.get(0, 0, 1) + img.get(0, 0, 2) > 0);
    }

    @Test
    void animationGivesTheFirstFrameOnItsCanvas() throws IOException {
        byte[] bytes = Files.readAllBytes(Fixtures.dir().resolve("webp/animated_offset_frame_24x18.webp"));
        WebpDecoder.Layout layout = WebpDecoder.Layout.parse(bytes);
        assertEquals(List.of(24, 18, 6, 4, 14, 10), List.of(layout.canvasWidth(), layout.canvasHeight(),
                layout.frameX(), layout.frameY(), layout.frameWidth(), layout.frameHeight()));
        RgbImage img = new ImageDecoder().decode(bytes);
        assertEquals(0, img.get(5, 4, 1), "outside the frame: transparent black, not the green background");
    }

    @Test
    void pixelLimitIsCheckedFromTheHeaderBeforeDecoding() throws IOException {
        byte[] bytes = Files.readAllBytes(Fixtures.dir().resolve("webp/lossy_q80_101x75.webp"));
        ImageException e = assertThrows(ImageException.class,
                () -> new ImageDecoder(new DecodeLimits(1 << 20, 101 * 75 - 1)).decode(bytes));
        assertTrue(e.getMessage().contains("101x75 = 7575 pixels, over the limit of 7574"), e.getMessage());
        byte[] anim = Files.readAllBytes(Fixtures.dir().resolve("webp/animated_offset_frame_24x18.webp"));
        e = assertThrows(ImageException.class, () -> new ImageDecoder(new DecodeLimits(1 << 20, 100)).decode(anim));
        assertTrue(e.getMessage().contains("24x18"), e.getMessage());
    }

    @Test
    void corruptFilesGetOneLineErrors() throws IOException {
        Path dir = Fixtures.dir().resolve("webp");
        for (String name : List.of("lossy_q75_64x48.webp", "lossless_37x21.webp", "animated_lossy_40x30.webp",
                "lossy_alpha_q80_31x17.webp")) {
            byte[] bytes = Files.readAllBytes(dir.resolve(name));
            for (int cut : new int[]{13, 20, 31, bytes.length / 2, bytes.length - 3}) {
                expectOneLineError(Arrays.copyOf(bytes, cut), name + " cut at " + cut);
            }
            byte[] garbled = bytes.clone();
            for (int i = 40; i < garbled.length; i += 3) {
                garbled[i] ^= 0x5A;
            }
            try {
                new ImageDecoder().decode(garbled); // libwebp may decode garbage without noticing: fine
            } catch (ImageException e) {
                assertFalse(e.getMessage().contains("\n"), e.getMessage());
            }
        }
    }

    private static void expectOneLineError(byte[] bytes, String what) {
        ImageException e = assertThrows(ImageException.class, () -> new ImageDecoder().decode(bytes), what);
        assertFalse(e.getMessage().contains("\n"), what + ": " + e.getMessage());
        assertTrue(e.getMessage().contains("WEBP"), what + ": " + e.getMessage());
    }
}
