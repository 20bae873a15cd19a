package dev.dfd.convert;

import com.fasterxml.jackson.databind.JsonNode;
import dev.dfd.DetectionResult;
import dev.dfd.Detector;
import dev.dfd.DetectorOptions;
import dev.dfd.DfdException;
import dev.dfd.Golden;
import dev.dfd.graph.WeightEncoding;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Each golden zoo family's model.safetensors converted by dfd (not the golden ONNX file), run through the detection
 * path on every golden image: fp32 gives transformers' logits within 1e-4; fp16 stays within 2e-2 of fp32; int8's
 * largest difference is reported and bounded. Images transformers itself misreads are checked for a sane verdict.
 */
class ConvertZooGoldenTest {
    /** The zoo models dfd converts: every family of the golden zoo. */
    static final List<String> CONVERTED = List.of("deit-seed0", "resnet-seed0", "convnext-seed0", "convnextv2-seed0",
            "siglip-seed0", "clip-seed0", "dinov2-seed0", "beit-seed0", "swin-seed0", "efficientnet-seed0");
    private static final Map<String, String> REPORT = new ConcurrentHashMap<>();

    @TempDir
    static Path out;

    @AfterAll
    static void report() {
        new TreeMap<>(REPORT).forEach((model, line) -> System.out.printf("converted zoo %-18s %s%n", model, line));
    }

    @TestFactory
    List<DynamicTest> convertedFamiliesMatchTransformers() {
        if (!Golden.present()) {
            return Golden.skipped(CONVERTED); // skipped with the reason, or failed under CI=true
        }
        List<DynamicTest> tests = new ArrayList<>();
        for (String model : CONVERTED) {
            tests.add(DynamicTest.dynamicTest(model, () -> check(model)));
        }
        return tests;
    }

    private static void check(String model) throws IOException {
        Path dir = out.resolve(model);
        for (WeightEncoding e : WeightEncoding.values()) {
            Converter.convert(Golden.zooModel(model), dir, e,
                    e == WeightEncoding.INT8 && dev.dfd.quantize.Int8Kernels.reduceRange());
        }
        assertTrue(Files.isRegularFile(dir.resolve(Converter.PROVENANCE_FILE)));
        JsonNode expected = Golden.expectedZooImages(model).get("results");
        List<Path> images = new ArrayList<>();
        for (JsonNode r : expected) {
            images.add(Golden.dir().resolve("images").resolve(r.get("image").asText()));
        }
        List<float[]> fp32 = logits(dir, null, images);
        List<float[]> fp16 = logits(dir, "fp16", images);
        List<float[]> int8 = logits(dir, "quantized", images);
        double maxFp32 = 0;
        double maxFp16 = 0;
        double maxInt8 = 0;
        int compared = 0;
        for (int i = 0; i < images.size(); i++) {
            JsonNode golden = expected.get(i).get("logits");
            boolean quirk = Golden.TRANSFORMERS_QUIRKS.contains(expected.get(i).get("image").asText());
            for (int k = 0; k < fp32.get(i).length; k++) {
                assertFalse(Float.isNaN(fp32.get(i)[k]), model + " NaN logit");
                if (golden != null && !golden.isNull() && !quirk) {
                    maxFp32 = Math.max(maxFp32, Math.abs(golden.get(k).asDouble() - fp32.get(i)[k]));
                    compared++;
                }
                maxFp16 = Math.max(maxFp16, Math.abs(fp16.get(i)[k] - fp32.get(i)[k]));
                maxInt8 = Math.max(maxInt8, Math.abs(int8.get(i)[k] - fp32.get(i)[k]));
            }
        }
        REPORT.put(model, String.format("fp32 vs transformers %.2e (%d logits), fp16 vs fp32 %.2e, int8 vs fp32 %.2e",
                maxFp32, compared, maxFp16, maxInt8));
        assertTrue(compared >= 20, model + ": only " + compared + " logits compared");
        assertTrue(maxFp32 <= 1e-4, model + " fp32 vs transformers " + maxFp32);
        assertTrue(maxFp16 <= 2e-2, model + " fp16 vs fp32 " + maxFp16);
        assertTrue(maxInt8 <= 0.5, model + " int8 vs fp32 " + maxInt8);
    }

    private static List<float[]> logits(Path dir, String variant, List<Path> images) {
        List<float[]> out = new ArrayList<>();
        try (Detector d = Detector.load(dir, DetectorOptions.DEFAULTS.withVariant(variant).withThreads(1))) {
            assertEquals(variant == null ? dir.resolve("onnx/model.onnx")
                    : dir.resolve("onnx/model_" + variant + ".onnx"), d.model().files().onnx());
            for (DetectionResult r : d.detectAll(images)) {
                out.add(assertInstanceOf(DetectionResult.Detection.class, r).prediction().logits());
            }
        }
        return out;
    }

    @Test
    void unsupportedFamiliesAreRefusedByName(@TempDir Path tmp) throws IOException {
        Files.writeString(tmp.resolve("config.json"), "{\"model_type\": \"mobilevit\","
                + " \"architectures\": [\"MobileViTForImageClassification\"]}");
        DfdException e = assertThrows(DfdException.class,
                () -> Converter.convert(tmp, tmp.resolve("out"), WeightEncoding.FP32, false));
        assertTrue(e.getMessage().startsWith(tmp.resolve("config.json") + ": model_type \"mobilevit\"")
                && e.getMessage().contains("SwinForImageClassification") && !e.getMessage().contains("\n"),
                e.getMessage());
    }
}
