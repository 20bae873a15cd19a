package dev.dfd.server;

import dev.dfd.Detector;
import dev.dfd.DetectorOptions;
import dev.dfd.Fixtures;
import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The soak's machinery on a run of seconds (the real soak is `dfd loadtest --soak`, a command, not a test). */
class SoakTest {
    @Test
    void aShortSoakSendsEveryKindAndCountsEveryAnswer() throws Exception {
        Path photo = Files.createTempFile("photo", ".jpg");
        Files.write(photo, OverloadAndLimitsTest.jpeg(320, 240));
        List<Path> images = List.of(photo, Fixtures.dir().resolve("images").resolve("noise_64x48.png"));
        try (Detector detector = Detector.load(Fixtures.tinyModel(), DetectorOptions.DEFAULTS.withThreads(1));
             DfdServer server = new DfdServer(detector, new ServerConfig("127.0.0.1", 0, null, 8, 2, 64, 1 << 20, 4,
                     false, 5_000, 10_000, 64L << 20, 1_000, 128)).start()) {
            Soak.Report r = new Soak("http://127.0.0.1:" + server.port(), images)
                    .run(new Soak.Options(2.5, 4, 2, 1_000, 60, 16, 0), System.err);
            assertEquals(0, r.unexpectedCount(), r.text());
            assertEquals(List.of(Soak.Kind.values()), List.copyOf(r.byKind().keySet()), r.text());
            assertEquals(List.of(405), List.copyOf(r.byKind().get(Soak.Kind.WRONG_METHOD).keySet()));
            assertEquals(List.of(413), List.copyOf(r.byKind().get(Soak.Kind.HUGE_LENGTH).keySet()));
            assertTrue(r.byKind().get(Soak.Kind.GOOD).getOrDefault(200, 0) > 10, r.text());
            assertTrue(r.slowClosed() >= 2 && r.slowSurvived() == 0, r.text());
            assertTrue(r.slowLongestSeconds() < 3, r.text());
            assertEquals(60, r.burst().ok() + r.burst().rejected(), r.text());
            assertEquals(2, r.answersChecked());
            assertTrue(r.answersChanged().isEmpty(), r.text());
            assertTrue(r.samples().size() >= 2, r.text());
            assertFalse(Double.isNaN(r.samples().get(0).threads()), "sampled from /metrics: " + r.text());
            assertTrue(r.text().contains("ok    no answers other than the intended 4xx and 503"), r.text());
        }
    }

    @Test
    void recoveryNeedsThreadsConnectionsAndReservationsBack() {
        Soak.Sample base = sample(21, 1, 0);
        assertTrue(Soak.recovered(base, sample(29, 1, 0.5)), "8 more threads and rounding are within bounds");
        assertFalse(Soak.recovered(base, sample(30, 1, 0)), "threads");
        assertFalse(Soak.recovered(base, sample(21, 2, 0)), "connections");
        assertFalse(Soak.recovered(base, sample(21, 1, 490)), "a reservation never released");
        assertTrue(Soak.recovered(base, sample(21, 1, Double.NaN)), "a server without the metric");
    }

    private static Soak.Sample sample(double threads, double connections, double reservedMb) {
        return new Soak.Sample(1, 500, 100, 200, threads, connections, reservedMb, 0, 0, 0, 0, 0, 0, 0);
    }
}
