package dev.dfd.optimize;

import dev.dfd.DetectionResult;
import dev.dfd.Detector;
import dev.dfd.DetectorOptions;
import dev.dfd.Golden;
import dev.dfd.convert.Converter;
import dev.dfd.graph.WeightEncoding;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.TestFactory;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Each fusion alone, then all together, on every transformer family of the golden suite as dfd converts it from
 * model.safetensors: the number of nodes fused is what the family's graph holds, and the logits of the optimised
 * graph stay within 1e-4 of the unfused graph's on every golden image (both run through the detection path).
 *
 * <p>Where a fusion finds nothing, and why: CLIP's quick_gelu and SigLIP's tanh GELU are not the erf GELU
 * (BiasGelu 0); Swin's window attention is 5-D with a per-window mask (Attention 0) and its tokens are reshaped
 * with a -1 batch that ONNX Runtime's shape inference cannot name, so no residual Add is provably same-shaped
 * (SkipLayerNormalization 0); BEiT's first layer reads the class-token Concat, whose length shape inference does
 * not know, so its attention bias and its first residual stay unfused. The LayerNorm after the position-embedding
 * Add (ViT, DeiT, DINOv2; CLIP's pre-norm) is never fused: its constant side has no batch axis.
 */
class OptimizeGoldenTest {
    /** family -> expected counts of Attention, SkipLayerNormalization, BiasGelu (2-layer golden models). */
    static final Map<String, int[]> EXPECTED = Map.of(
            "vit-tiny-seed0", new int[]{2, 4, 2},
            "deit-seed0", new int[]{2, 4, 2},
            "beit-seed0", new int[]{1, 2, 2},
            "dinov2-seed0", new int[]{2, 4, 2},
            "clip-seed0", new int[]{2, 3, 0},
            "siglip-seed0", new int[]{2, 4, 0},
            "swin-seed0", new int[]{0, 0, 2});
    private static final Map<String, String> REPORT = new ConcurrentHashMap<>();

    @TempDir
    static Path out;

    @AfterAll
    static void report() {
        new TreeMap<>(REPORT).forEach((model, line) -> System.out.printf("optimize %-16s %s%n", model, line));
    }

    @TestFactory
    List<DynamicTest> eachFusionKeepsTheLogits() {
        List<String> models = new ArrayList<>(new TreeMap<>(EXPECTED).keySet());
        if (!Golden.present()) {
            return Golden.skipped(models); // skipped with the reason, or failed under CI=true
        }
        List<DynamicTest> tests = new ArrayList<>();
        for (String model : models) {
            tests.add(DynamicTest.dynamicTest(model, () -> check(model)));
        }
        return tests;
    }

    private static void check(String model) throws IOException {
        Path source = model.startsWith("vit-") ? Golden.model(model) : Golden.zooModel(model);
        Path dir = out.resolve(model);
        Converter.convert(source, dir, WeightEncoding.FP32, false);
        List<Path> images; // every golden image: the optimised graph is judged against the unfused one
        try (var files = java.nio.file.Files.list(Golden.dir().resolve("images"))) {
            images = files.sorted().toList();
        }
        List<float[]> plain = logits(dir, null, false, images);
        int[] want = EXPECTED.get(model);
        StringBuilder line = new StringBuilder();
        GraphOptimizer.Kind[] kinds = {GraphOptimizer.Kind.ATTENTION, GraphOptimizer.Kind.SKIP_LAYER_NORM,
                GraphOptimizer.Kind.GELU};
        String[] ops = {"Attention", "SkipLayerNormalization", "BiasGelu"};
        for (int i = 0; i <= kinds.length; i++) {
            boolean all = i == kinds.length;
            String variant = all ? GraphOptimizer.VARIANT : "only-" + kinds[i].name().toLowerCase();
            GraphOptimizer.Result r = GraphOptimizer.optimize(dir, dir.resolve("onnx/model_" + variant + ".onnx"),
                    all ? EnumSet.allOf(GraphOptimizer.Kind.class) : EnumSet.of(kinds[i]));
            if (!all) {
                assertEquals(want[i], r.fused().get(ops[i]), model + " " + ops[i]);
                assertEquals(0, r.fused().getOrDefault("Gelu", 0), model + ": an unbiased erf GELU");
            }
            if (r.onnx() == null) {
                line.append(String.format("%s 0; ", all ? "all" : ops[i]));
                continue;
            }
            double max = 0;
            List<float[]> fused = logits(dir, variant, false, images);
            for (int k = 0; k < images.size(); k++) {
                for (int j = 0; j < plain.get(k).length; j++) {
                    max = Math.max(max, Math.abs(plain.get(k)[j] - fused.get(k)[j]));
                }
            }
            assertTrue(max <= 1e-4, model + " " + variant + ": logits differ by " + max);
            line.append(String.format("%s %s max diff %.1e; ", all ? "all" : ops[i],
                    all ? r.fused().values() : r.fused().get(ops[i]), max));
        }
        REPORT.put(model, line.toString());
    }

    static List<float[]> logits(Path dir, String variant, boolean optimize, List<Path> images) {
        List<float[]> out = new ArrayList<>();
        try (Detector d = Detector.load(dir, DetectorOptions.DEFAULTS.withVariant(variant).withThreads(1)
                .withOptimizeGraph(optimize))) {
            for (DetectionResult r : d.detectAll(images)) {
                if (r instanceof DetectionResult.Detection det) {
                    out.add(det.prediction().logits());
                } else {
                    out.add(new float[0]); // an image transformers itself cannot read: the same for both graphs
                }
            }
        }
        return out;
    }
}
