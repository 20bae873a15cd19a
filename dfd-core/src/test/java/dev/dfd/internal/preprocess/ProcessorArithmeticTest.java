package dev.dfd.internal.preprocess;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.dfd.DfdException;
import dev.dfd.Fixtures;
import dev.dfd.RgbImage;
import dev.dfd.internal.Json;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.math.BigDecimal;
import java.math.MathContext;
import java.nio.file.Path;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Each processor's arithmetic against the numbers Python, NumPy and Pillow give (fixtures/processors/processors.json,
 * made by make_processor_fixtures.py beside it) and against slow, obviously correct references written here.
 */
class ProcessorArithmeticTest {
    private static final Path FILE = Path.of("preprocessor_config.json");

    private static PreprocessorConfig config(String json) {
        return PreprocessorConfig.parse((ObjectNode) Json.MAPPER.valueToTree(readTree(json)), FILE);
    }

    private static JsonNode readTree(String json) {
        try {
            return Json.MAPPER.readTree(json);
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    private static PreprocessorConfig convNext(int shortestEdge, double cropPct) {
        return config("{\"image_processor_type\": \"ConvNextImageProcessor\", \"size\": {\"shortest_edge\": "
                + shortestEdge + "}, \"crop_pct\": " + cropPct + "}");
    }

    /** int(shortest_edge / crop_pct) as Python computes it: 45 / 0.9 is 50.0 in doubles, although 0.9 > 9/10. */
    @Test
    void convNextResizeEdgeIsPythonsFloatDivision() throws IOException {
        for (JsonNode c : Fixtures.json("processors/processors.json").get("convnext_resize_edge")) {
            int se = c.get("shortest_edge").asInt();
            double cp = c.get("crop_pct").asDouble();
            assertEquals(c.get("resize_edge").asInt(), convNext(se, cp).convNextResizeEdge(), se + " / " + cp);
            assertEquals(c.get("resize_edge").asInt(), slowResizeEdge(se, cp), "slow reference " + se + " / " + cp);
        }
    }

    /** The exact quotient of the two doubles, rounded to the nearest double (IEEE division), then truncated. */
    private static int slowResizeEdge(int se, double cropPct) {
        BigDecimal q = new BigDecimal(se).divide(new BigDecimal(cropPct), new MathContext(80));
        return (int) Math.floor(q.doubleValue());
    }

    @Test
    void shortestEdgeSizesAreTransformers() throws IOException {
        for (JsonNode c : Fixtures.json("processors/processors.json").get("shortest_edge_sizes")) {
            int size = c.get("size").asInt();
            int w = c.get("width").asInt();
            int h = c.get("height").asInt();
            int[] expected = {c.at("/out_hw/0").asInt(), c.at("/out_hw/1").asInt()};
            assertArrayEquals(expected, PreprocessorConfig.shortestEdgeSize(size, w, h), size + " " + w + "x" + h);
            assertArrayEquals(expected, slowShortestEdgeSize(size, w, h), "slow reference");
        }
    }

    /**
     * Integer floor of size * long / short: equal to Python's int() of the double quotient here, because a quotient
     * of integers below 2^17 that is not an integer is at least 1/short away from one, far more than a double's error.
     */
    private static int[] slowShortestEdgeSize(int size, int w, int h) {
        if (w <= h) {
            return new int[]{(int) ((long) size * h / w), size};
        }
        return new int[]{size, (int) ((long) size * w / h)};
    }

    /** ConvNeXt on random odd sizes: below 384 short side to int(se / crop_pct) then center crop; 384+ warped. */
    @Test
    void convNextResizesThenCropsBelow384AndWarpsFrom384() {
        Random random = new Random(7);
        int[] edges = {32, 33, 45, 224, 383, 384, 385, 448};
        double[] pcts = {0.875, 0.9, 0.95, 1.0, 0.8, 1.15};
        for (int trial = 0; trial < 60; trial++) {
            int w = 1 + random.nextInt(700);
            int h = 1 + random.nextInt(700);
            int se = edges[random.nextInt(edges.length)];
            double cp = pcts[random.nextInt(pcts.length)];
            PreprocessorConfig c = convNext(se, cp);
            assertArrayEquals(new int[]{se, se}, c.fixedOutputSize());
            int[] hw = se < 384 ? slowShortestEdgeSize(slowResizeEdge(se, cp), w, h) : new int[]{se, se};
            assertArrayEquals(hw, c.resizeSize(w, h), w + "x" + h + " se " + se + " crop_pct " + cp);
            if (w * h <= 40_000) {
                RgbImage img = randomImage(random, w, h);
                RgbImage expected = Resampler.resize(img, hw[1], hw[0], Resample.BICUBIC);
                if (se < 384) {
                    expected = slowCenterCrop(expected, se, se);
                }
                RgbImage out = new ImageProcessor(c).resize(img);
                assertEquals(se, out.width());
                assertEquals(se, out.height());
                assertArrayEquals(expected.pixels(), out.pixels(), w + "x" + h + " se " + se + " crop_pct " + cp);
            }
        }
    }

    /** transformers' center_crop, exhaustively over small odd and even sizes, smaller and larger than the crop. */
    @Test
    void centerCropMatchesTransformersPadThenSlice() {
        Random random = new Random(3);
        for (int h = 1; h <= 7; h++) {
            for (int w = 1; w <= 7; w++) {
                RgbImage img = randomImage(random, w, h);
                for (int ch = 1; ch <= 8; ch++) {
                    for (int cw = 1; cw <= 8; cw++) {
                        assertArrayEquals(slowCenterCrop(img, ch, cw).pixels(),
                                ImageProcessor.centerCrop(img, ch, cw).pixels(), w + "x" + h + " -> " + cw + "x" + ch);
                    }
                }
            }
        }
    }

    /**
     * transformers' {@code image_transforms.center_crop} step by step: top = (H - h) // 2 (floor), left likewise;
     * when the crop fits, slice; otherwise pad to max(H, h) x max(W, w) with ceil((new - old) / 2) before, shift the
     * box by the padding and slice with the bounds clamped.
     */
    static RgbImage slowCenterCrop(RgbImage in, int cropH, int cropW) {
        int top = Math.floorDiv(in.height() - cropH, 2);
        int left = Math.floorDiv(in.width() - cropW, 2);
        int bottom = top + cropH;
        int right = left + cropW;
        if (top >= 0 && bottom <= in.height() && left >= 0 && right <= in.width()) {
            return slice(in, top, left, cropH, cropW);
        }
        int newH = Math.max(cropH, in.height());
        int newW = Math.max(cropW, in.width());
        int topPad = (int) Math.ceil((newH - in.height()) / 2.0);
        int leftPad = (int) Math.ceil((newW - in.width()) / 2.0);
        byte[] padded = new byte[newH * newW * 3];
        for (int y = 0; y < in.height(); y++) {
            for (int x = 0; x < in.width(); x++) {
                for (int c = 0; c < 3; c++) {
                    padded[((y + topPad) * newW + x + leftPad) * 3 + c] = (byte) in.get(x, y, c);
                }
            }
        }
        RgbImage p = new RgbImage(newW, newH, padded);
        top += topPad;
        bottom += topPad;
        left += leftPad;
        right += leftPad;
        int t = Math.max(0, top);
        int l = Math.max(0, left);
        return slice(p, t, l, Math.min(newH, bottom) - t, Math.min(newW, right) - l);
    }

    private static RgbImage slice(RgbImage in, int top, int left, int h, int w) {
        byte[] out = new byte[h * w * 3];
        for (int y = 0; y < h; y++) {
            for (int x = 0; x < w; x++) {
                for (int c = 0; c < 3; c++) {
                    out[(y * w + x) * 3 + c] = (byte) in.get(left + x, top + y, c);
                }
            }
        }
        return new RgbImage(w, h, out);
    }

    /** Pillow's NEAREST picks, recorded from Pillow itself, and a slow transcription of ImagingScaleAffine. */
    @Test
    void nearestPicksPillowsSourcePixels() throws IOException {
        for (JsonNode c : Fixtures.json("processors/processors.json").get("nearest")) {
            int in = c.get("in").asInt();
            int out = c.get("out").asInt();
            int[] expected = new int[out];
            for (int i = 0; i < out; i++) {
                expected[i] = c.get("index").get(i).asInt();
            }
            assertArrayEquals(expected, Resampler.nearestIndices(in, out), in + " -> " + out);
            assertArrayEquals(expected, slowNearest(in, out), "slow reference " + in + " -> " + out);
        }
        // and on pixels, both axes at once
        Random random = new Random(5);
        RgbImage img = randomImage(random, 23, 17);
        RgbImage out = Resampler.resize(img, 7, 40, Resample.NEAREST);
        int[] xs = slowNearest(23, 7);
        int[] ys = slowNearest(17, 40);
        for (int y = 0; y < 40; y++) {
            for (int x = 0; x < 7; x++) {
                for (int ch = 0; ch < 3; ch++) {
                    assertEquals(img.get(xs[x], ys[y], ch), out.get(x, y, ch));
                }
            }
        }
    }

    /**
     * Pillow's resize(NEAREST) is an affine transform with a = (in / out, 0, 0; 0, in / out, 0) taking the scale-only
     * path: the source coordinate of output pixel 0 is a[0] * 0.5, and each next one adds a[0] to a running double.
     */
    private static int[] slowNearest(int in, int out) {
        double a0 = (double) in / out;
        int[] idx = new int[out];
        double xo = 0 + a0 * 0.5;
        for (int x = 0; x < out; x++) {
            int xin = xo < 0.0 ? -1 : (int) xo;
            idx[x] = xin >= 0 && xin < in ? xin : -1;
            xo += a0;
        }
        return idx;
    }

    /** EfficientNet's rescale_offset, normalize and include_top, value for value against NumPy float32. */
    @Test
    void efficientNetValuesAreNumpys() throws IOException {
        for (JsonNode c : Fixtures.json("processors/processors.json").get("efficientnet")) {
            PreprocessorConfig config = config("{\"image_processor_type\": \"EfficientNetImageProcessor\","
                    + " \"size\": {\"height\": 1, \"width\": 256}, \"rescale_factor\": " + c.get("rescale_factor")
                    + ", \"rescale_offset\": " + c.get("rescale_offset") + ", \"do_normalize\": "
                    + c.get("do_normalize") + ", \"include_top\": " + c.get("include_top") + ", \"image_mean\": "
                    + c.get("image_mean") + ", \"image_std\": " + c.get("image_std") + "}");
            byte[] px = new byte[256 * 3];
            for (int v = 0; v < 256; v++) {
                px[3 * v] = px[3 * v + 1] = px[3 * v + 2] = (byte) v;
            }
            float[] out = new float[3 * 256];
            new ImageProcessor(config).toChw(new RgbImage(256, 1, px), out, 0);
            for (int ch = 0; ch < 3; ch++) {
                for (int v = 0; v < 256; v++) {
                    float expected = (float) c.at("/values/" + ch + "/" + v).asDouble();
                    assertEquals(Float.floatToIntBits(expected), Float.floatToIntBits(out[ch * 256 + v]),
                            c.get("rescale_offset") + " channel " + ch + " byte " + v + ": " + expected + " vs "
                                    + out[ch * 256 + v]);
                }
            }
        }
    }

    @Test
    void eachProcessorsDefaultsAreTransformers() {
        PreprocessorConfig deit = config("{\"image_processor_type\": \"DeiTImageProcessor\"}");
        assertArrayEquals(new int[]{224, 224}, deit.fixedOutputSize()); // 256x256 bicubic, then crop 224
        assertEquals(256, deit.height());
        assertEquals(Resample.BICUBIC, deit.resample());
        PreprocessorConfig beit = config("{\"image_processor_type\": \"BeitImageProcessor\", \"do_reduce_labels\": true}");
        assertTrue(beit.doCenterCrop());
        assertArrayEquals(new int[]{224, 224}, beit.fixedOutputSize());
        PreprocessorConfig clip = config("{\"feature_extractor_type\": \"CLIPFeatureExtractor\", \"size\": 224,"
                + " \"crop_size\": 224}");
        assertEquals(ProcessorType.CLIP, clip.type());
        assertEquals(224, clip.shortestEdge()); // a legacy int size is a shortest edge for CLIP
        assertArrayEquals(new double[]{0.48145466, 0.4578275, 0.40821073}, clip.imageMean());
        PreprocessorConfig bit = config("{\"image_processor_type\": \"BitImageProcessor\"}");
        assertArrayEquals(new int[]{224, 224}, bit.fixedOutputSize());
        assertEquals(224, bit.shortestEdge());
        PreprocessorConfig convnext = config("{\"image_processor_type\": \"ConvNextImageProcessor\"}");
        assertEquals(384, convnext.shortestEdge()); // warps to 384x384, no crop
        assertEquals(224.0 / 256.0, convnext.cropPct());
        assertEquals(Resample.BICUBIC, convnext.resample());
        assertFalse(convnext.doCenterCrop());
        PreprocessorConfig effnet = config("{\"image_processor_type\": \"EfficientNetImageProcessor\"}");
        assertArrayEquals(new int[]{346, 346}, effnet.fixedOutputSize());
        assertEquals(Resample.NEAREST, effnet.resample());
        assertTrue(effnet.includeTop());
        assertFalse(effnet.rescaleOffset());
        PreprocessorConfig siglip = config("{\"image_processor_type\": \"SiglipImageProcessor\"}");
        assertArrayEquals(new int[]{224, 224}, siglip.fixedOutputSize());
        assertEquals(Resample.BICUBIC, siglip.resample());
        PreprocessorConfig vitWithCropFields = config("{\"image_processor_type\": \"ViTImageProcessor\","
                + " \"do_center_crop\": true, \"crop_size\": 100}");
        assertFalse(vitWithCropFields.doCenterCrop(), "ViTImageProcessor has no crop step and ignores these");
    }

    @Test
    void unknownProcessorsAreRefusedByName() {
        for (String type : new String[]{"MobileViTImageProcessor", "ViTImageProcessorFast", "LevitImageProcessor",
                "SiglipImageProcessorFast"}) {
            DfdException e = assertThrows(DfdException.class,
                    () -> config("{\"image_processor_type\": \"" + type + "\"}"));
            assertTrue(e.getMessage().contains(type), e.getMessage());
            assertFalse(e.getMessage().contains("\n"));
        }
        DfdException legacy = assertThrows(DfdException.class,
                () -> config("{\"feature_extractor_type\": \"PerceiverFeatureExtractor\"}"));
        assertTrue(legacy.getMessage().contains("PerceiverFeatureExtractor is not implemented"), legacy.getMessage());
        DfdException convnextSize = assertThrows(DfdException.class, () -> config(
                "{\"image_processor_type\": \"ConvNextImageProcessor\", \"size\": {\"height\": 3, \"width\": 3}}"));
        assertTrue(convnextSize.getMessage().contains("shortest_edge"), convnextSize.getMessage());
    }

    private static RgbImage randomImage(Random random, int w, int h) {
        byte[] px = new byte[w * h * 3];
        random.nextBytes(px);
        return new RgbImage(w, h, px);
    }
}
