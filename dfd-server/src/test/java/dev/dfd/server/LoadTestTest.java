package dev.dfd.server;

import dev.dfd.Detector;
import dev.dfd.DetectorOptions;
import dev.dfd.Fixtures;
import org.junit.jupiter.api.Test;

import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The load generator's own HTTP client against a real server: keep-alive requests served, bursts counted. */
class LoadTestTest {
    @Test
    void closedLoopAndBurstAreCountedOverKeepAliveConnections() throws Exception {
        Path images = Fixtures.dir().resolve("images");
        try (Detector detector = Detector.load(Fixtures.tinyModel(), DetectorOptions.DEFAULTS.withIntraOpThreads(1));
             DfdServer server = new DfdServer(detector, new ServerConfig("127.0.0.1", 0, null, 4, 1, 4, 1 << 20, 4,
                     false, 5_000, 10_000)).start()) {
            LoadTest load = new LoadTest("http://127.0.0.1:" + server.port(),
                    List.of(images.resolve("noise_64x48.png"), images.resolve("grad_37x23.png")));
            LoadTest.Level level = load.closedLoop(2, 1.0);
            assertTrue(level.ok() > 20, level.toString());
            assertEquals(0, level.errors(), level.toString());
            assertEquals(0, level.rejected(), "two clients never fill a queue of four: " + level);
            assertTrue(level.p50() > 0 && level.p50() <= level.p99(), level.toString());

            LoadTest.Level burst = load.burst(400, 64);
            assertEquals(400, burst.ok() + burst.rejected(), "every request is served or refused: " + burst);
            assertEquals(0, burst.errors(), burst.toString());
            assertTrue(burst.rejected() > 0, "a queue of four refuses part of a 64-connection burst: " + burst);
        }
        assertThrows(IllegalArgumentException.class, () -> new LoadTest("http://example.com:80",
                List.of(images.resolve("noise_64x48.png"))));
    }
}
