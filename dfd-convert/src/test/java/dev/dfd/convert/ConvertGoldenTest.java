package dev.dfd.convert;

import com.fasterxml.jackson.databind.JsonNode;
import dev.dfd.DetectionResult;
import dev.dfd.Detector;
import dev.dfd.DetectorOptions;
import dev.dfd.Golden;
import dev.dfd.graph.WeightEncoding;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.TestFactory;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Each golden model's model.safetensors converted by dfd: fp32 gives the golden (PyTorch) logits within 1e-4 on
 * every golden image through the detection path; fp16 stays within 2e-2 of fp32; int8's largest difference is
 * reported and bounded, and so are q4's and q4f16's (MatMulNBits, block size 32; the golden ViTs' K = 48 and 96 also
 * exercise a short last block).
 */
class ConvertGoldenTest {
    /**
     * 4-bit weights (block 32, symmetric) on these random tiny models: measured 0.62-1.05 (int8: 0.08-0.20). The
     * bound catches a broken graph, not a loss of accuracy; ConvertQ4Test checks the q4 graph exactly.
     */
    static final double Q4_TOLERANCE = 1.5;

    @TempDir
    static Path out;

    @TestFactory
    List<DynamicTest> convertedModelsMatchPyTorch() {
        if (!Golden.present()) {
            return Golden.skipped(Golden.MODELS); // skipped with the reason, or failed under CI=true
        }
        List<DynamicTest> tests = new ArrayList<>();
        for (String model : Golden.MODELS) {
            tests.add(DynamicTest.dynamicTest(model, () -> check(model)));
        }
        return tests;
    }

    private static void check(String model) throws IOException {
        Path dir = out.resolve(model);
        for (WeightEncoding e : WeightEncoding.values()) {
            Converter.convert(Golden.model(model), dir, e,
                    e == WeightEncoding.INT8 && dev.dfd.quantize.Int8Kernels.reduceRange());
        }
        JsonNode expected = Golden.expectedImages(model).get("results");
        List<Path> images = new ArrayList<>();
        for (JsonNode r : expected) {
            images.add(Golden.dir().resolve("images").resolve(r.get("image").asText()));
        }
        List<float[]> fp32 = logits(dir, null, images);
        List<float[]> fp16 = logits(dir, "fp16", images);
        List<float[]> int8 = logits(dir, "quantized", images);
        List<float[]> q4 = logits(dir, "q4", images);
        List<float[]> q4f16 = logits(dir, "q4f16", images);
        double maxQ4 = 0;
        double maxQ4f16 = 0;
        double maxFp32 = 0;
        double maxFp16 = 0;
        double maxInt8 = 0;
        for (int i = 0; i < images.size(); i++) {
            JsonNode golden = expected.get(i).get("logits");
            for (int k = 0; k < fp32.get(i).length; k++) {
                if (golden != null && !Golden.TRANSFORMERS_QUIRKS.contains(expected.get(i).get("image").asText())) {
                    maxFp32 = Math.max(maxFp32, Math.abs(golden.get(k).asDouble() - fp32.get(i)[k]));
                }
                maxFp16 = Math.max(maxFp16, Math.abs(fp16.get(i)[k] - fp32.get(i)[k]));
                maxInt8 = Math.max(maxInt8, Math.abs(int8.get(i)[k] - fp32.get(i)[k]));
                maxQ4 = Math.max(maxQ4, Math.abs(q4.get(i)[k] - fp32.get(i)[k]));
                maxQ4f16 = Math.max(maxQ4f16, Math.abs(q4f16.get(i)[k] - fp32.get(i)[k]));
            }
        }
        System.out.printf("%s: max |logit diff| fp32 vs PyTorch %.2e, fp16 vs fp32 %.2e, int8 vs fp32 %.2e,"
                + " q4 vs fp32 %.2e, q4f16 vs fp32 %.2e%n", model, maxFp32, maxFp16, maxInt8, maxQ4, maxQ4f16);
        assertTrue(maxFp32 <= 1e-4, "fp32 vs golden " + maxFp32);
        assertTrue(maxFp16 <= 2e-2, "fp16 vs fp32 " + maxFp16);
        assertTrue(maxInt8 <= 0.5, "int8 vs fp32 " + maxInt8);
        assertTrue(maxQ4 <= Q4_TOLERANCE, "q4 vs fp32 " + maxQ4);
        assertTrue(maxQ4f16 <= Q4_TOLERANCE, "q4f16 vs fp32 " + maxQ4f16);
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
}
