package dev.dfd.optimize;

import dev.dfd.Detector;
import dev.dfd.DetectorOptions;
import dev.dfd.Golden;
import dev.dfd.convert.Converter;
import dev.dfd.graph.WeightEncoding;
import dev.dfd.internal.model.ModelFiles;
import dev.dfd.internal.model.OptimizedGraphCache;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Detector.load optimises an fp32 transformer through the graph cache (the rewriter this module registers), runs the
 * cached graph on later loads, keeps the logits within 1e-4 of the graph as it is, and leaves a CNN alone.
 */
class OptimizeAtLoadTest {
    @TempDir
    Path tmp;

    @Test
    void aTransformerRunsItsCachedOptimisedGraph() throws IOException {
        Path source = Golden.model("vit-tiny-seed0"); // skipped without the golden files (fails under CI=true)
        assertTrue(OptimizedGraphCache.available(), "dfd-convert registers its rewriter");
        Path dir = tmp.resolve("vit");
        Converter.convert(source, dir, WeightEncoding.FP32, false);
        ModelFiles files = ModelFiles.locate(dir, null);
        OptimizedGraphCache.Outcome outcome = OptimizedGraphCache.standard().graphFor(files);
        assertEquals(OptimizedGraphCache.Status.OPTIMIZED, outcome.status(), outcome.message());
        assertEquals(Integer.valueOf(2), outcome.fused().get("Attention"));
        assertTrue(new String(Files.readAllBytes(outcome.graph()), java.nio.charset.StandardCharsets.ISO_8859_1)
                .contains("com.microsoft"), "the cached graph holds the contrib operators");
        FileTime made = Files.getLastModifiedTime(outcome.graph());

        try (Detector on = Detector.load(dir, DetectorOptions.DEFAULTS.withThreads(1));
             Detector off = Detector.load(dir, DetectorOptions.DEFAULTS.withThreads(1).withOptimizeGraph(false))) {
            assertEquals(outcome.graph(), on.runningGraph());
            assertEquals(files.onnx(), off.runningGraph());
        }
        assertEquals(made, Files.getLastModifiedTime(outcome.graph()), "loads reuse the cached graph");

        List<Path> images;
        try (var list = Files.list(Golden.dir().resolve("images"))) {
            images = list.sorted().toList();
        }
        List<float[]> plain = OptimizeGoldenTest.logits(dir, null, false, images);
        List<float[]> fused = OptimizeGoldenTest.logits(dir, null, true, images);
        double max = 0;
        for (int k = 0; k < images.size(); k++) {
            for (int j = 0; j < plain.get(k).length; j++) {
                max = Math.max(max, Math.abs(plain.get(k)[j] - fused.get(k)[j]));
            }
        }
        assertTrue(max > 0 && max <= 1e-4, "logits differ by " + max + " (0 would mean the fused graph did not run)");
    }

    @Test
    void aCnnRunsAsItIs() {
        Path tiny = Path.of(System.getProperty("dfd.fixtures.dir")).resolve("tiny-cnn");
        try (Detector d = Detector.load(tiny, DetectorOptions.DEFAULTS.withThreads(1))) {
            assertEquals(ModelFiles.locate(tiny, null).onnx(), d.runningGraph());
        }
    }
}
