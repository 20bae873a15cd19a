package dev.dfd.server;

import com.fasterxml.jackson.databind.JsonNode;
import dev.dfd.Chromium;
import dev.dfd.Detector;
import dev.dfd.DetectorOptions;
import dev.dfd.Fixtures;
import dev.dfd.internal.Json;
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
        try (Detector detector = Detector.load(Fixtures.tinyModel(), DetectorOptions.DEFAULTS.withThreads(1));
             DfdServer server = new DfdServer(detector, ServerConfig.DEFAULTS.withPort(0)).start()) {
            JsonNode api = Json.MAPPER.readTree(ServerTestSupport.post(server.port(), "/v1/detect", "image/png",
                    Files.readAllBytes(image)).body());
            JsonNode shown = upload(chromium, script, server, image, shot);
            assertEquals(api.get("label").asText(), shown.get("label").asText());
            String score = String.format(Locale.ROOT, "%.3f", api.get("score").asDouble());
            assertTrue(shown.get("meta").asText().contains("Fake score " + score), shown.toString());
            assertTrue(shown.get("meta").asText().matches(".* \\d+ ms$"), "time taken shown: " + shown);
            assertTrue(shown.get("width").asText().endsWith("%"), "score bar drawn");
            assertTrue(Files.size(shot) > 5_000, "screenshot kept at " + shot);
        }
    }

    /** A model that judges faces: every face's box drawn over the photo with its verdict; no face, no verdict. */
    @Test
    void facesAreBoxedWithTheirVerdicts() throws Exception {
        Path chromium = Chromium.binary();
        Path script = Path.of("src/test/browser/upload.mjs").toAbsolutePath();
        Assumptions.assumeTrue(Files.isDirectory(script.getParent().resolve("node_modules/playwright-core")),
                "playwright-core not installed (npm install --prefix dfd-server/src/test/browser)");
        Assumptions.assumeTrue(new ProcessBuilder("node", "--version").start().waitFor() == 0, "no node");
        Path model = Files.createTempDirectory("dfd-face-model");
        Files.createDirectories(model.resolve("onnx"));
        for (String f : java.util.List.of("config.json", "preprocessor_config.json", "onnx/model.onnx")) {
            Files.copy(Fixtures.tinyModel().resolve(f), model.resolve(f));
        }
        Files.writeString(model.resolve(dev.dfd.internal.face.FaceCrop.FILE), dev.dfd.internal.face.FaceCrop.DFDC.toJson());
        // two copies of the astronaut's face on a grey photo
        java.awt.image.BufferedImage face = javax.imageio.ImageIO.read(Fixtures.dir()
                .resolve("faces/astronaut_face.png").toFile());
        java.awt.image.BufferedImage photo = new java.awt.image.BufferedImage(900, 500,
                java.awt.image.BufferedImage.TYPE_INT_RGB);
        java.awt.Graphics2D g = photo.createGraphics();
        g.setColor(new java.awt.Color(90, 90, 90));
        g.fillRect(0, 0, 900, 500);
        g.drawImage(face, 80, 120, null);
        g.drawImage(face, 560, 140, null);
        g.dispose();
        Path group = Files.createTempFile("group", ".png");
        javax.imageio.ImageIO.write(photo, "png", group.toFile());
        Path black = Files.createTempFile("black", ".png");
        javax.imageio.ImageIO.write(new java.awt.image.BufferedImage(300, 200,
                java.awt.image.BufferedImage.TYPE_INT_RGB), "png", black.toFile());
        try (Detector detector = Detector.load(model, DetectorOptions.DEFAULTS.withThreads(1));
             DfdServer server = new DfdServer(detector, ServerConfig.DEFAULTS.withPort(0)).start()) {
            JsonNode api = Json.MAPPER.readTree(ServerTestSupport.post(server.port(), "/v1/detect", "image/png",
                    Files.readAllBytes(group)).body());
            assertEquals(2, api.get("faces").size(), api.toString());
            JsonNode shown = upload(chromium, script, server, group,
                    Path.of("target/web-page-faces.png").toAbsolutePath());
            assertEquals(2, shown.get("faces").size(), shown.toString());
            for (int i = 0; i < 2; i++) {
                JsonNode f = api.get("faces").get(i);
                JsonNode s = shown.get("faces").get(i);
                assertEquals(String.format(Locale.ROOT, "%s %.2f", f.get("label").asText(), f.get("score").asDouble()),
                        s.get("text").asText());
                assertEquals(f.at("/box/0").asDouble(), s.get("x").asDouble(), 1e-3);
                assertEquals(f.at("/box/3").asDouble(), s.get("h").asDouble(), 1e-3);
                assertTrue(s.get("onScreen").asBoolean(), "box drawn over the image: " + s);
            }
            assertTrue(shown.get("meta").asText().contains("2 faces"), shown.toString());

            JsonNode none = upload(chromium, script, server, black, Path.of("target/web-page-no-face.png")
                    .toAbsolutePath());
            assertEquals("no face", none.get("label").asText(), none.toString());
            assertTrue(none.get("meta").asText().startsWith("no face found: no verdict"), none.toString());
            assertEquals(0, none.get("faces").size());
        }
    }

    /** Uploads {@code image} on the page in headless Chromium; what the card shows, as the script prints it. */
    private static JsonNode upload(Path chromium, Path script, DfdServer server, Path image, Path shot)
            throws Exception {
        Files.createDirectories(shot.getParent());
        Files.deleteIfExists(shot);
        ProcessBuilder pb = new ProcessBuilder("node", script.toString(), "http://127.0.0.1:" + server.port() + "/",
                image.toString(), shot.toString()).redirectErrorStream(true);
        pb.environment().put("CHROMIUM", chromium.toString());
        Process p = pb.start();
        String out = new String(p.getInputStream().readAllBytes());
        assertTrue(p.waitFor(90, TimeUnit.SECONDS), "browser test timed out");
        assertEquals(0, p.exitValue(), out);
        return Json.MAPPER.readTree(out.lines().filter(l -> l.startsWith("{")).reduce((a, b) -> b).orElseThrow());
    }
}
