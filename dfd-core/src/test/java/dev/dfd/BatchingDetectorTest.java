package dev.dfd;

import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

/** Micro-batching with several inference threads: every caller gets its own image's logits. */
class BatchingDetectorTest {
    @Test
    void severalWorkersGiveEachCallerItsOwnLogits() throws Exception {
        List<Path> images = new ArrayList<>();
        try (var files = Files.list(Fixtures.dir().resolve("images"))) {
            files.filter(p -> p.toString().endsWith(".png")).sorted().forEach(images::add);
        }
        try (Detector detector = Detector.load(Fixtures.tinyModel(), DetectorOptions.DEFAULTS.withThreads(1))) {
            List<float[]> expected = new ArrayList<>();
            for (Path p : images) {
                expected.add(((DetectionResult.Detection) detector.detect(p)).prediction().logits());
            }
            BatchingDetector batcher = new BatchingDetector(detector, new BatchingDetector.Config(3, 2, 256, 2), null);
            ExecutorService callers = Executors.newFixedThreadPool(4);
            try {
                List<Future<float[]>> results = new ArrayList<>();
                // every caller its own decision: one session serves them all

                for (int i = 0; i < 60; i++) {
                    Path p = images.get(i % images.size());
                    results.add(callers.submit(() -> {
                        CompletableFuture<DetectionResult> f = batcher.submit(Files.readAllBytes(p),
                                p.toString(), Decision.DEFAULT.withTopK(1));
                        DetectionResult.Detection d = (DetectionResult.Detection) f.get();
                        assertEquals(1, d.prediction().predictions().size());
                        assertEquals(p.toString(), d.source());
                        return d.prediction().logits();
                    }));
                }
                for (int i = 0; i < results.size(); i++) {
                    assertArrayEquals(expected.get(i % images.size()), results.get(i).get(), 1e-5f, "request " + i);
                }
            } finally {
                callers.shutdownNow();
                batcher.close(10_000);
            }
            assertThrows(BatchingDetector.Overloaded.class, () -> batcher.submit(Files.readAllBytes(images.get(0)), "x",
                    null));
        }
        assertThrows(DfdException.class, () -> new BatchingDetector.Config(8, 5, 64, 0));
    }
}
