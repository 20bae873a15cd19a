package dev.dfd.internal.preprocess;

import dev.dfd.DfdException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class PreprocessorConfigTest {
    @TempDir
    Path dir;

    private PreprocessorConfig read(String json) throws IOException {
        Path f = dir.resolve("preprocessor_config.json");
        Files.writeString(f, json);
        return PreprocessorConfig.read(f);
    }

    private String error(String json) throws IOException {
        Path f = dir.resolve("preprocessor_config.json");
        Files.writeString(f, json);
        DfdException e = assertThrows(DfdException.class, () -> PreprocessorConfig.read(f));
        assertTrue(e.getMessage().startsWith(f.toString() + ": "), e.getMessage());
        assertFalse(e.getMessage().contains("\n"));
        return e.getMessage();
    }

    @Test
    void modernViTConfig() throws IOException {
        PreprocessorConfig c = read("""
                {"do_normalize": true, "do_rescale": true, "do_resize": true, "image_mean": [0.485, 0.456, 0.406],
                 "image_processor_type": "ViTImageProcessor", "image_std": [0.229, 0.224, 0.225], "resample": 3,
                 "rescale_factor": 0.00392156862745098, "size": {"height": 64, "width": 48}}""");
        assertEquals(64, c.height());
        assertEquals(48, c.width());
        assertEquals(Resample.BICUBIC, c.resample());
        assertArrayEquals(new double[]{0.485, 0.456, 0.406}, c.imageMean());
        assertArrayEquals(new int[]{64, 48}, c.fixedOutputSize());
        assertEquals("ViTImageProcessor", c.processorType());
    }

    /** google/vit-base-patch16-224-in21k's own file: "size": 224, no do_rescale. */
    @Test
    void legacyFeatureExtractorConfig() throws IOException {
        PreprocessorConfig c = read("""
                {"do_normalize": true, "do_resize": true, "feature_extractor_type": "ViTFeatureExtractor",
                 "image_mean": [0.5, 0.5, 0.5], "image_std": [0.5, 0.5, 0.5], "resample": 2, "size": 224}""");
        assertEquals(224, c.height());
        assertEquals(224, c.width());
        assertTrue(c.doRescale());
        assertEquals(1.0 / 255.0, c.rescaleFactor());
        assertEquals("ViTFeatureExtractor", c.processorType());
    }

    @Test
    void absentFieldsTakeViTImageProcessorDefaults() throws IOException {
        PreprocessorConfig c = read("{}");
        assertEquals(PreprocessorConfig.vitDefaults(224), c);
        assertEquals(Resample.BILINEAR, c.resample());
        assertArrayEquals(new double[]{0.5, 0.5, 0.5}, c.imageStd());
    }

    @Test
    void shortestEdgeAndCenterCrop() throws IOException {
        PreprocessorConfig c = read("""
                {"image_processor_type": "CLIPImageProcessor", "size": {"shortest_edge": 256},
                 "do_center_crop": true, "crop_size": {"height": 224, "width": 224}, "resample": 3}""");
        assertArrayEquals(new int[]{256, 341}, c.resizeSize(400, 300)); // (height, width), int(256*400/300)
        assertArrayEquals(new int[]{512, 256}, c.resizeSize(100, 200));
        assertArrayEquals(new int[]{224, 224}, c.fixedOutputSize());
        PreprocessorConfig noCrop = read("""
                {"image_processor_type": "BitImageProcessor", "size": {"shortest_edge": 32},
                 "do_center_crop": false}""");
        assertNull(noCrop.fixedOutputSize());
        assertArrayEquals(new int[]{32, 64}, noCrop.outputSize(100, 50));
    }

    @Test
    void badFilesGetOneLineErrors() throws IOException {
        assertTrue(error("{\"size\": \"big\"}").contains("\"size\" must be"));
        assertTrue(error("{\"size\": -3}").contains("positive integer"));
        assertTrue(error("{\"resample\": 9}").contains("unknown resample 9"));
        assertTrue(error("{\"image_mean\": [0.5, 0.5]}").contains("image_mean"));
        assertTrue(error("{\"image_std\": [0.5, 0, 0.5]}").contains("must not contain 0"));
        assertTrue(error("{\"do_resize\": \"yes\"}").contains("true or false"));
        assertTrue(error("{\"image_processor_type\": \"DeiTImageProcessor\", \"crop_size\": \"x\"}")
                .contains("crop_size"));
        assertTrue(error("{\"image_processor_type\": \"ViTImageProcessor\", \"size\": {\"shortest_edge\": 3}}")
                .contains("ViTImageProcessor needs \"size\" as {\"height\", \"width\"}"));
        assertTrue(error("{not json").contains("invalid JSON"));
        assertTrue(error("[1, 2]").contains("expected a JSON object"));
        DfdException missing = assertThrows(DfdException.class,
                () -> PreprocessorConfig.read(dir.resolve("absent.json")));
        assertTrue(missing.getMessage().endsWith("absent.json: file not found"), missing.getMessage());
    }

    @Test
    void normalisationFollowsNumpyFloat32() {
        PreprocessorConfig c = new PreprocessorConfig("ViTImageProcessor", ProcessorType.VIT, false, 0, 0, 0, 0,
                Resample.BILINEAR, false, 0, 0, true, 1.0 / 255.0, false, true, new double[]{0.485, 0.456, 0.406},
                new double[]{0.229, 0.224, 0.225}, false);
        ImageProcessor p = new ImageProcessor(c);
        byte[] px = {(byte) 200, 17, 0};
        float[] out = p.process(new dev.dfd.RgbImage(1, 1, px));
        // float32(double(200) / 255) then (x - float32(0.485)) / float32(0.229), all in float32
        float x = (float) (200 * (1.0 / 255.0));
        assertEquals((x - 0.485f) / 0.229f, out[0]);
        assertEquals(((float) (17 * (1.0 / 255.0)) - 0.456f) / 0.224f, out[1]);
        assertEquals((0f - 0.406f) / 0.225f, out[2]);
    }

    @Test
    void centerCropPadsWhenTheImageIsSmaller() {
        byte[] px = new byte[2 * 2 * 3];
        for (int i = 0; i < px.length; i++) {
            px[i] = (byte) (i + 1);
        }
        dev.dfd.RgbImage out = ImageProcessor.centerCrop(new dev.dfd.RgbImage(2, 2, px), 4, 3);
        assertEquals(3, out.width());
        assertEquals(4, out.height());
        // top = floor((2 - 4) / 2) = -1, left = floor((2 - 3) / 2) = -1: the image sits at row 1, column 1
        assertEquals(0, out.get(0, 0, 0));
        assertEquals(1, out.get(1, 1, 0));
        assertEquals(10, out.get(2, 2, 0));
        assertEquals(0, out.get(2, 3, 0));
    }
}
