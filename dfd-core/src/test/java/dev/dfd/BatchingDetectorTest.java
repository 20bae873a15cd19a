package dev.dfd;

import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
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

    /**
     * An Error thrown while a batch runs (here from the batch listener, which runs on the inference thread right
     * after the model call) fails that batch's callers with it and leaves the worker alive: with two workers and two
     * such errors, later images are still answered. (Before, each Error ended its worker and nothing drained the
     * queue.)
     */
    @Test
    void anErrorFailsItsBatchAndTheWorkersGoOn() throws Exception {
        byte[] image;
        try (var files = Files.list(Fixtures.dir().resolve("images"))) {
            image = Files.readAllBytes(files.filter(p -> p.toString().endsWith(".png")).sorted().findFirst()
                    .orElseThrow());
        }
        AtomicInteger errors = new AtomicInteger(2);
        BatchingDetector.Listener failing = (size, nanos) -> {
            if (errors.getAndDecrement() > 0) {
                throw new OutOfMemoryError("Java heap space (simulated)");
            }
        };
        try (Detector detector = Detector.load(Fixtures.tinyModel(), DetectorOptions.DEFAULTS.withThreads(1));
             BatchingDetector batcher = new BatchingDetector(detector, new BatchingDetector.Config(1, 0, 16, 2),
                     failing)) {
            for (int i = 0; i < 2; i++) {
                CompletableFuture<DetectionResult> f = batcher.submit(image, "oom" + i, null);
                ExecutionException e = assertThrows(ExecutionException.class, () -> f.get(30, TimeUnit.SECONDS));
                assertInstanceOf(OutOfMemoryError.class, e.getCause());
            }
            for (int i = 0; i < 4; i++) {
                DetectionResult r = batcher.submit(image, "later" + i, null).get(30, TimeUnit.SECONDS);
                assertInstanceOf(DetectionResult.Detection.class, r, "answered after the errors");
            }
        }
    }

    /**
     * What goes wrong while an image is prepared but is not the image's fault (out of memory, an internal bug) is
     * thrown as it was by submit, so a server answers 503 or 500 rather than 422 invalid_image; a bad image stays an
     * ImageException.
     */
    @Test
    void preparingFailuresThatAreNotTheImagesStayDistinct() throws Exception {
        byte[] image;
        try (var files = Files.list(Fixtures.dir().resolve("images"))) {
            image = Files.readAllBytes(files.filter(p -> p.toString().endsWith(".png")).sorted().findFirst()
                    .orElseThrow());
        }
        try (Detector detector = Detector.load(Fixtures.tinyModel(), DetectorOptions.DEFAULTS.withThreads(1))) {
            Detector.Prepared oom = detector.prepare(ImageSource.of("a.png", image), (img, name) -> {
                throw new OutOfMemoryError("simulated");
            }, false);
            assertInstanceOf(OutOfMemoryError.class, oom.crash());
            Detector.Prepared bug = detector.prepare(ImageSource.of("a.png", image), (img, name) -> {
                throw new IllegalStateException("simulated");
            }, false);
            assertInstanceOf(IllegalStateException.class, bug.crash());
            Detector.Prepared bad = detector.prepare(ImageSource.of("a.png", new byte[]{1, 2, 3}), null, false);
            assertEquals(null, bad.crash());
            try (BatchingDetector batcher = new BatchingDetector(detector, new BatchingDetector.Config(1, 0, 4, 1),
                    null)) {
                assertThrows(ImageException.class, () -> batcher.submit(new byte[]{1, 2, 3}, "bad", null));
            }
        }
    }
}
