package dev.dfd;

import dev.dfd.DetectionResult.Detection;
import dev.dfd.DetectionResult.Failure;
import dev.dfd.internal.postprocess.Postprocessor;
import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The library's contract: per-call decisions over one session, close() under load, one run policy. */
class PipelineContractTest {
    private static Path image(String name) {
        return Fixtures.dir().resolve("images").resolve(name);
    }

    private static List<Path> pngs() throws Exception {
        try (var files = Files.list(Fixtures.dir().resolve("images"))) {
            return files.filter(p -> p.toString().endsWith(".png")).sorted().toList();
        }
    }

    @Test
    void decisionsArePerCallOverTheSameSession() throws Exception {
        try (Detector detector = Detector.load(Fixtures.tinyModel(), DetectorOptions.DEFAULTS.withThreads(1))) {
            Path file = image("noise_64x48.png");
            Detection base = (Detection) detector.detect(file);
            float fake = base.prediction().scores()[detector.model().labels().indexOf("Fake")];
            assertEquals(fake, base.score(), 0f, "the image score is the positive label's");

            // a threshold just above and just below the Fake score flips the decision, same logits
            Detection above = (Detection) detector.detect(file, Decision.DEFAULT.withThreshold((double) Math.nextUp(fake)));
            Detection below = (Detection) detector.detect(file, Decision.DEFAULT.withThreshold((double) fake));
            assertEquals("Real", above.label());
            assertEquals("Fake", below.label());
            assertArrayEquals(base.prediction().logits(), above.prediction().logits(), 0f);

            // positive label Real: the score becomes Real's, what each prediction says stays its own label's score
            Detection real = (Detection) detector.detect(file, Decision.DEFAULT.withPositiveLabel("real").withTopK(1));
            assertEquals("Real", real.prediction().positiveLabel());
            assertEquals(1 - fake, real.score(), 1e-6f);
            assertEquals(1, real.prediction().predictions().size());
            var top = real.prediction().predictions().get(0);
            assertEquals(real.prediction().scores()[detector.model().labels().indexOf(top.label())], top.score(), 0f);

            // sigmoid instead of softmax, per call
            Detection sig = (Detection) detector.detect(file, Decision.DEFAULT.withFunction(ScoreFunction.SIGMOID));
            float logit = sig.prediction().logits()[1];
            assertEquals(1f / (1f + (float) Math.exp(-logit)), sig.score(), 1e-6f);

            // the same decision through detectAll and the micro-batcher
            List<DetectionResult> all = detector.detectAll(List.of(file, file),
                    Decision.DEFAULT.withThreshold((double) fake));
            assertEquals("Fake", ((Detection) all.get(1)).label());
            try (BatchingDetector batcher = new BatchingDetector(detector, new BatchingDetector.Config(2, 1, 8, 1),
                    null)) {
                Detection b = (Detection) batcher.submit(Files.readAllBytes(file), "b", Decision.DEFAULT.withThreshold(
                        (double) Math.nextUp(fake))).get(10, TimeUnit.SECONDS);
                assertEquals("Real", b.label());
            }

            DfdException unknown = assertThrows(DfdException.class,
                    () -> detector.detect(file, Decision.DEFAULT.withPositiveLabel("Forged")));
            assertEquals("config.json: unknown label 'Forged', the model's labels are [Real, Fake]",
                    unknown.getMessage());
        }
    }

    @Test
    void decisionValuesAreCheckedWithOneLineErrors() {
        assertEquals("threshold must be within [0, 1] (it is compared with a score), got 1.5",
                assertThrows(DfdException.class, () -> Decision.DEFAULT.withThreshold(1.5)).getMessage());
        assertThrows(DfdException.class, () -> Decision.DEFAULT.withThreshold(-0.1));
        assertThrows(DfdException.class, () -> Decision.DEFAULT.withThreshold(Double.NaN));
        assertThrows(DfdException.class, () -> Decision.DEFAULT.withTopK(0));
        // raw logits may be compared with any finite threshold
        assertEquals(3.0, new Decision(null, ScoreFunction.NONE, null, 3.0).threshold());
        assertNull(Decision.DEFAULT.withPositiveLabel(" ").positiveLabel());
        Decision over = Decision.DEFAULT.withThreshold(0.9).over(new Decision(2, ScoreFunction.SIGMOID, "Real", 0.1));
        assertEquals(new Decision(2, ScoreFunction.SIGMOID, "Real", 0.9), over);
    }

    @Test
    void closeWaitsForRunningCallsAndRefusesNewOnes() throws Exception {
        List<Path> files = pngs();
        Detector detector = Detector.load(Fixtures.tinyModel(), DetectorOptions.DEFAULTS.withThreads(1)
                .withWorkers(2).withBatchSize(2));
        List<DetectionResult> reference = detector.detectAll(files);
        int callers = 6;
        ExecutorService pool = Executors.newFixedThreadPool(callers);
        CountDownLatch started = new CountDownLatch(callers);
        AtomicInteger completed = new AtomicInteger();
        List<Future<String>> outcomes = new ArrayList<>();
        try {
            for (int c = 0; c < callers; c++) {
                outcomes.add(pool.submit(() -> {
                    started.countDown();
                    int runs = 0;
                    while (true) {
                        List<DetectionResult> out;
                        try {
                            out = detector.detectAll(files);
                        } catch (DfdException e) {
                            return e.getMessage() + " after " + runs;
                        }
                        for (int i = 0; i < files.size(); i++) {
                            // a call that was admitted runs to the end with correct results
                            if (reference.get(i) instanceof Detection d) {
                                assertArrayEquals(d.prediction().logits(),
                                        ((Detection) out.get(i)).prediction().logits(), 1e-5f);
                            } else {
                                assertInstanceOf(Failure.class, out.get(i));
                            }
                        }
                        completed.incrementAndGet();
                        runs++;
                    }
                }));
            }
            started.await();
            Thread.sleep(300);
            detector.close(); // returns only when no call is inside ONNX Runtime
            detector.close(); // idempotent
            for (Future<String> f : outcomes) {
                String why = f.get(60, TimeUnit.SECONDS);
                assertTrue(why.startsWith("the detector is closed after "), why);
            }
            assertTrue(completed.get() > 0, "callers ran before the close");
            assertThrows(DfdException.class, () -> detector.detect(image("noise_64x48.png")));
        } finally {
            pool.shutdownNow();
        }
    }

    @Test
    void aSinkMayCloseTheDetectorItIsCalledFrom() throws Exception {
        List<Path> files = pngs();
        Detector detector = Detector.load(Fixtures.tinyModel(), DetectorOptions.DEFAULTS.withThreads(1));
        List<DetectionResult> out = new ArrayList<>();
        detector.detectAll(files.stream().map(ImageSource::of).iterator(), null, null, r -> {
            out.add(r);
            detector.close(); // must not wait for the call it is inside
        });
        assertEquals(files.size(), out.size());
        assertThrows(DfdException.class, () -> detector.detectAll(files));
    }

    @Test
    void runPolicyChoosesTheSameWayForEveryShell() {
        long small = 5L << 20;
        long large = 343L << 20;
        DetectorOptions auto = DetectorOptions.DEFAULTS;
        // one image on 2 cores: one worker, ONNX Runtime's own threads, no prepack
        assertEquals(new RunPolicy(8, 1, 0, false, 2), RunPolicy.of(auto.withExpectedImages(1), small, 2));
        // a job of many images: two single-thread workers, prepacked
        assertEquals(new RunPolicy(8, 2, 1, true, 2), RunPolicy.of(auto.withExpectedImages(3256), small, 2));
        // 48 images is not enough to prepack, 49 is
        assertFalse(RunPolicy.of(auto.withExpectedImages(48), small, 2).prepack());
        assertTrue(RunPolicy.of(auto.withExpectedImages(49), small, 2).prepack());
        // a large model: batch 1, so even 2 images use 2 workers
        assertEquals(new RunPolicy(1, 2, 1, false, 2), RunPolicy.of(auto.withExpectedImages(2), large, 2));
        // unknown job size (a server): workers and prepack on
        assertEquals(new RunPolicy(8, 2, 2, true, 4), RunPolicy.of(auto, small, 4));
        // one core: one worker
        assertEquals(1, RunPolicy.of(auto, small, 1).workers());
        // explicit settings win; workers capped at the thread count
        assertEquals(new RunPolicy(4, 2, 2, false, 3), RunPolicy.of(auto.withBatchSize(4).withThreads(4)
                .withWorkers(2).withPrepack(DetectorOptions.Prepack.NEVER).withDecodeThreads(3), large, 2));
        assertEquals(2, RunPolicy.of(auto.withThreads(2).withWorkers(8), small, 16).workers());
        assertEquals(DetectorOptions.Prepack.NEVER, DetectorOptions.Prepack.parse("off"));
        assertThrows(DfdException.class, () -> DetectorOptions.Prepack.parse("sometimes"));
    }

    @Test
    void theLoadedPolicyIsTheOneRunPolicyComputes() {
        try (Detector d = Detector.load(Fixtures.tinyModel(), DetectorOptions.DEFAULTS.withExpectedImages(1))) {
            assertEquals(RunPolicy.of(DetectorOptions.DEFAULTS.withExpectedImages(1), d.model().files().weightBytes(),
                    Runtime.getRuntime().availableProcessors()), d.model().policy());
            Decision resolved = d.defaultDecision();
            assertEquals(new Decision(2, ScoreFunction.SOFTMAX, "Fake", null, Decision.Faces.OFF), resolved); // top 5 capped at 2 labels; no dfd_faces.json
            assertEquals(Postprocessor.defaultPositive(d.model().labels()), d.model().defaultPositiveIndex());
        }
    }
}
