package dev.dfd.cli;

import dev.dfd.Decision;
import dev.dfd.Detector;
import dev.dfd.DetectorOptions;
import dev.dfd.DfdException;
import dev.dfd.Fixtures;
import dev.dfd.cli.BenchHarness.Stat;
import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class BenchHarnessTest {
    @Test
    void statIsTheMedianAndTheRange() {
        assertEquals(new Stat(2, 1, 3), Stat.of(new double[] {3, 1, 2}));
        assertEquals(new Stat(2.5, 1, 4), Stat.of(new double[] {4, 1, 3, 2}));
        assertEquals(new Stat(7, 7, 7), Stat.of(new double[] {7}));
        assertThrows(IllegalArgumentException.class, () -> Stat.of(new double[0]));
    }

    @Test
    void rateWarmsUpOnceThenTimesEachRepeat() {
        AtomicInteger runs = new AtomicInteger();
        Stat s = BenchHarness.rate(3, 10, () -> {
            runs.incrementAndGet();
            sleep(20);
        });
        assertEquals(4, runs.get());
        // 10 items in a little over 20 ms each time: at most 500/s, and not far below on a loaded machine
        assertTrue(s.max() <= 500 && s.min() > 50, s.toString());
        assertTrue(s.min() <= s.median() && s.median() <= s.max());
    }

    @Test
    void childCommandKeepsHeapGcAndDfdSettingsOnly() {
        List<String> cmd = BenchHarness.childCommand(Path.of("/jdk"),
                List.of("-Xmx1g", "-XX:+UseSerialGC", "-XX:StartFlightRecording=filename=x.jfr", "-Dfoo=bar",
                        "-Ddfd.report.peak.rss=false", "-Ddfd.home=/elsewhere", "-Ddfd.decode.threads=2",
                        "-Donnxruntime.native.path=/n", "-agentlib:jdwp=transport=dt_socket"),
                "a.jar:lib/*", Path.of("/home/dfd"), List.of(Path.of("x.jpg"), Path.of("y.png")),
                List.of("--model", "m", "--prepack", "auto"));
        assertEquals(List.of("/jdk/bin/java", "-Dai.djl.offline=true", "-Ddfd.report.peak.rss=true",
                "-Ddfd.home=/home/dfd", "-Xmx1g", "-XX:+UseSerialGC", "-Ddfd.decode.threads=2",
                "-Donnxruntime.native.path=/n", "-cp", "a.jar:lib/*", Main.class.getName(), "detect", "--format", "csv",
                "x.jpg", "y.png", "--model", "m", "--prepack", "auto"), cmd);
    }

    @Test
    void peakRssIsReadFromTheChildsStderr() {
        assertEquals(123456, BenchHarness.peakRssKb("dfd: 2 images\ndfd: peak RSS kB 123456\n"));
        assertEquals(0, BenchHarness.peakRssKb("dfd: 2 images\n"));
        assertTrue(BenchHarness.peakRssKb() > 0, "VmHWM of this JVM");
    }

    @Test
    void stagesMeasureEachBatchSizeOverTheSameImages() throws Exception {
        List<Path> files = new ArrayList<>();
        try (Stream<Path> s = Files.list(Fixtures.dir().resolve("images"))) {
            s.filter(p -> p.toString().endsWith(".png")).sorted().limit(3).forEach(files::add);
        }
        DetectorOptions options = DetectorOptions.DEFAULTS.withThreads(1);
        List<Integer> started = new ArrayList<>();
        try (Detector d = Detector.load(Fixtures.tinyModel(), options)) {
            BenchHarness.Stages st = BenchHarness.stages(d, Fixtures.tinyModel(), options, files, new int[] {1, 3}, 1,
                    started::add);
            assertEquals(List.of(1, 3), started);
            assertTrue(st.decode().median() > 0 && st.preprocess().median() > 0);
            assertEquals(2, st.batches().size());
            for (BenchHarness.BatchRow row : st.batches()) {
                assertTrue(row.endToEnd().median() > 0 && row.inference().median() > 0
                        && row.postprocess().median() > 0, row.toString());
                assertEquals(row.endToEnd().median() / row.inference().median(), row.endToEndOverInference(), 1e-12);
            }
            assertEquals(3, st.batches().get(1).batchSize());
        }
    }

    @Test
    void withFacesOnTheStagesAreFindingAndCuttingEachFace() throws Exception {
        Path faces = Fixtures.dir().resolve("faces");
        List<Path> files = List.of(faces.resolve("astronaut_256.png"), faces.resolve("coffee_256.png"));
        DetectorOptions options = DetectorOptions.DEFAULTS.withThreads(1)
                .withDecision(Decision.DEFAULT.withFaces(Decision.Faces.ON));
        try (Detector d = Detector.load(Fixtures.tinyModel(), options)) {
            BenchHarness.Stages st = BenchHarness.stages(d, Fixtures.tinyModel(), options, files, new int[] {1}, 1,
                    bs -> { });
            assertTrue(st.findFaces() != null && st.findFaces().median() > 0);
            // the astronaut has one face, the coffee cup none (as the face stage's own tests say)
            assertEquals(0.5, st.facesPerImage(), 1e-12);
            assertTrue(st.preprocess().median() > 0);
            DfdException none = assertThrows(DfdException.class, () -> BenchHarness.stages(d, Fixtures.tinyModel(),
                    options, List.of(faces.resolve("coffee_256.png")), new int[] {1}, 1, bs -> { }));
            assertTrue(none.getMessage().startsWith("no face found in any of the 1 images"), none.getMessage());
        }
        try (Detector d = Detector.load(Fixtures.tinyModel(), DetectorOptions.DEFAULTS.withThreads(1))) {
            assertEquals(null, BenchHarness.stages(d, Fixtures.tinyModel(), DetectorOptions.DEFAULTS.withThreads(1),
                    files, new int[] {1}, 1, bs -> { }).findFaces(), "whole images: no face stage");
        }
    }

    private static void sleep(long ms) {
        try {
            Thread.sleep(ms);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
