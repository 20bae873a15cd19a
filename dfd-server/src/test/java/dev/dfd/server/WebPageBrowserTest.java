package dev.dfd.server;

import com.fasterxml.jackson.databind.JsonNode;
import dev.dfd.Chromium;
import dev.dfd.Detector;
import dev.dfd.DetectorOptions;
import dev.dfd.Fixtures;
import dev.dfd.Json;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * End to end in headless Chromium (playwright-core from npm driving Debian's chromium): a user uploads an image on
 * the web page and sees the same verdict the API gives. Keeps the screenshot in target/. Skips without node, the npm
 * package (.ci/run installs it) or Chromium.
 */
class WebPageBrowserTest {
    @Test
    void uploadShowsTheVerdict() throws Exception {
        Path chromium = Chromium.binary();
        Path script = Path.of("src/test/browser/upload.mjs").toAbsolutePath();
        Assumptions.assumeTrue(Files.isDirectory(script.getParent().resolve("node_modules/playwright-core")),
                "playwright-core not installed (npm install --prefix dfd-server/src/test/browser)");
        Assumptions.assumeTrue(new ProcessBuilder("node", "--version").start().waitFor() == 0, "no node");
        Path image = Fixtures.dir().resolve("images/noise_64x48.png");
        Path shot = Path.of("target/web-page-upload.png").toAbsolutePath();
        Files.createDirectories(shot.getParent());
        Files.deleteIfExists(shot);
        try (Detector detector = Detector.load(Fixtures.tinyModel(), DetectorOptions.DEFAULTS.withThreads(1));
             DfdServer server = new DfdServer(detector, ServerConfig.DEFAULTS.withPort(0)).start()) {
            JsonNode api = Json.MAPPER.readTree(ServerTestSupport.post(server.port(), "/v1/detect", "image/png",
                    Files.readAllBytes(image)).body());
            ProcessBuilder pb = new ProcessBuilder("node", script.toString(), "http://127.0.0.1:" + server.port() + "/",
                    image.toString(), shot.toString()).redirectErrorStream(true);
            pb.environment().put("CHROMIUM", chromium.toString());
            Process p = pb.start();
            String out = new String(p.getInputStream().readAllBytes());
            assertTrue(p.waitFor(90, TimeUnit.SECONDS), "browser test timed out");
            assertEquals(0, p.exitValue(), out);
            JsonNode shown = Json.MAPPER.readTree(out.lines().filter(l -> l.startsWith("{")).reduce((a, b) -> b)
                    .orElseThrow());
            assertEquals(api.get("label").asText(), shown.get("label").asText());
            String score = String.format(Locale.ROOT, "%.3f", api.get("score").asDouble());
            assertTrue(shown.get("meta").asText().contains("Fake score " + score), shown.toString());
            assertTrue(shown.get("meta").asText().matches(".* \\d+ ms$"), "time taken shown: " + shown);
            assertTrue(shown.get("width").asText().endsWith("%"), "score bar drawn");
            assertTrue(Files.size(shot) > 5_000, "screenshot kept at " + shot);
        }
    }
}
