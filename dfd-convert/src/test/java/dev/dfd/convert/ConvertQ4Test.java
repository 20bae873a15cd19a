package dev.dfd.convert;

import com.fasterxml.jackson.databind.JsonNode;
import dev.dfd.DetectionResult;
import dev.dfd.Detector;
import dev.dfd.DetectorOptions;
import dev.dfd.Golden;
import dev.dfd.graph.Q4MatMul;
import dev.dfd.graph.Q4Options;
import dev.dfd.graph.WeightEncoding;
import dev.dfd.internal.Json;
import dev.dfd.safetensors.SafetensorsWriter.FloatTensor;
import dev.dfd.safetensors.SafetensorsWriter;
import dev.dfd.safetensors.ShardedSafetensors;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.TestFactory;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The whole q4 graph against a reference that needs no MatMulNBits: the golden ViT's Linear weights replaced by their
 * 4-bit round trip ({@link Q4MatMul#quantize} then {@link Q4MatMul#dequantize}) and converted to fp32. Both compute
 * in float32 with the same weights, so their logits agree to float rounding (1e-4), on every golden image, for
 * symmetric and asymmetric blocks of 16 and 32 (K = 48 and 96: short last blocks too). The provenance entry says q4.
 */
class ConvertQ4Test {
    static final String MODEL = "vit-tiny-seed0";

    @TempDir
    static Path tmp;

    @TestFactory
    List<DynamicTest> q4MatchesTheDequantisedFp32Model() {
        if (!Golden.present()) {
            return Golden.skipped(List.of(MODEL));
        }
        List<DynamicTest> tests = new ArrayList<>();
        for (Q4Options o : List.of(Q4Options.DEFAULT, new Q4Options(32, false, 0), new Q4Options(16, true, 0),
                new Q4Options(16, false, 0))) {
            tests.add(DynamicTest.dynamicTest("block " + o.blockSize() + (o.symmetric() ? " symmetric" : " asymmetric"),
                    () -> check(o)));
        }
        return tests;
    }

    private static void check(Q4Options o) throws IOException {
        String name = o.blockSize() + (o.symmetric() ? "s" : "a");
        Path source = Golden.model(MODEL);
        Path q4 = tmp.resolve("q4-" + name);
        Converter.convert(source, q4, WeightEncoding.Q4, false, o, ExternalData.Mode.AUTO);
        JsonNode entry = Json.readObject(q4.resolve(Converter.PROVENANCE_FILE)).get("onnx/model_q4.onnx");
        assertEquals("q4", entry.get("dtype").asText());
        assertEquals(o.blockSize(), entry.get("matmul_nbits").get("block_size").asInt());
        assertEquals(o.symmetric(), entry.get("matmul_nbits").get("symmetric").asBoolean());

        Path dequantised = tmp.resolve("dequantised-" + name);
        Files.createDirectories(dequantised);
        Files.copy(source.resolve("config.json"), dequantised.resolve("config.json"));
        Files.copy(source.resolve("preprocessor_config.json"), dequantised.resolve("preprocessor_config.json"));
        Map<String, FloatTensor> weights = new LinkedHashMap<>();
        int roundTripped = 0;
        try (ShardedSafetensors w = ShardedSafetensors.open(source)) {
            for (String t : w.tensors().keySet()) {
                long[] shape = w.shape(t);
                float[] v = w.floats(t);
                if (shape.length == 2 && t.endsWith(".weight")) { // a ViT's 2-D weights are its Linears, [out, in]
                    v = roundTrip(v, (int) shape[0], (int) shape[1], o);
                    roundTripped++;
                }
                weights.put(t, new FloatTensor(v, shape));
            }
        }
        assertTrue(roundTripped >= 7, "Linear weights found: " + roundTripped);
        SafetensorsWriter.write(dequantised.resolve("model.safetensors"), weights, Map.of());
        Converter.convert(dequantised, dequantised, WeightEncoding.FP32, false);

        List<Path> images = new ArrayList<>();
        for (JsonNode r : Golden.expectedImages(MODEL).get("results")) {
            images.add(Golden.dir().resolve("images").resolve(r.get("image").asText()));
        }
        List<float[]> got = logits(q4, "q4", images);
        List<float[]> want = logits(dequantised, null, images);
        double max = 0;
        for (int i = 0; i < images.size(); i++) {
            for (int k = 0; k < want.get(i).length; k++) {
                max = Math.max(max, Math.abs(got.get(i)[k] - want.get(i)[k]));
            }
        }
        System.out.printf("%s q4 (%s): max |logit diff| vs fp32 of the dequantised weights %.2e%n", MODEL, name, max);
        assertTrue(max <= 1e-4, "q4 vs dequantised fp32: " + max);
    }

    /** [out, in] -> transposed (in, out) as Layers stores it -> 4 bits -> back to float [out, in]. */
    private static float[] roundTrip(float[] weight, int out, int in, Q4Options o) {
        float[] t = new float[in * out];
        for (int r = 0; r < out; r++) {
            for (int c = 0; c < in; c++) {
                t[c * out + r] = weight[r * in + c];
            }
        }
        float[] dq = Q4MatMul.dequantize(Q4MatMul.quantize(t, in, out, o));
        float[] back = new float[out * in];
        for (int r = 0; r < out; r++) {
            for (int c = 0; c < in; c++) {
                back[r * in + c] = dq[c * out + r];
            }
        }
        return back;
    }

    private static List<float[]> logits(Path dir, String variant, List<Path> images) {
        List<float[]> out = new ArrayList<>();
        try (Detector d = Detector.load(dir, DetectorOptions.DEFAULTS.withVariant(variant).withThreads(1))) {
            for (DetectionResult r : d.detectAll(images)) {
                out.add(assertInstanceOf(DetectionResult.Detection.class, r).prediction().logits());
            }
        }
        return out;
    }
}
