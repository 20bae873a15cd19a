package dev.dfd.cli;

import com.fasterxml.jackson.databind.JsonNode;
import dev.dfd.Fixtures;
import dev.dfd.internal.Json;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The model shipped in models/default is what `./dfd detect photo.jpg` uses on a fresh clone. */
class DefaultModelTest {
    @org.junit.jupiter.api.io.TempDir
    Path tmp;

    @Test
    void shippedDefaultModelDetects() throws Exception {
        Path repo = Path.of(System.getProperty("dfd.fixtures.dir", "../dfd-core/src/test/resources/fixtures"))
                .resolve("../../../../..").normalize();
        Path model = repo.resolve("models/default");
        Assumptions.assumeTrue(Files.isRegularFile(model.resolve("onnx/model.onnx")), "no default model in " + model);
        String home = System.getProperty("dfd.home");
        System.setProperty("dfd.home", repo.toString());
        try {
            // images without a face get no verdict: black, white, noise, a text screenshot
            Path dir = Files.createDirectories(tmp.resolve("no-faces"));
            java.awt.image.BufferedImage text = new java.awt.image.BufferedImage(1280, 720,
                    java.awt.image.BufferedImage.TYPE_INT_RGB);
            java.awt.Graphics2D g = text.createGraphics();
            g.setColor(java.awt.Color.WHITE);
            g.fillRect(0, 0, 1280, 720);
            g.setColor(java.awt.Color.DARK_GRAY);
            g.setFont(new java.awt.Font(java.awt.Font.MONOSPACED, java.awt.Font.PLAIN, 16));
            for (int line = 0; line < 30; line++) {
                g.drawString("dfd detect --model DIR --format json photos/  # line " + line + " of the docs", 20,
                        30 + line * 22);
            }
            g.dispose();
            javax.imageio.ImageIO.write(text, "png", dir.resolve("screenshot.png").toFile());
            for (int v : new int[]{0, 255}) {
                java.awt.image.BufferedImage flat = new java.awt.image.BufferedImage(1920, 1080,
                        java.awt.image.BufferedImage.TYPE_INT_RGB);
                java.awt.Graphics2D f = flat.createGraphics();
                f.setColor(new java.awt.Color(v, v, v));
                f.fillRect(0, 0, 1920, 1080);
                f.dispose();
                javax.imageio.ImageIO.write(flat, "jpg", dir.resolve("flat" + v + ".jpg").toFile());
            }
            MainTest.Run none = MainTest.run("detect", "--format", "json", dir.toString(),
                    Fixtures.dir().resolve("images/noise_64x48.png").toString());
            assertEquals(0, none.code(), none.err());
            List<String> lines = none.out().lines().toList();
            assertEquals(4, lines.size(), none.out());
            for (String line : lines) {
                JsonNode o = Json.MAPPER.readTree(line);
                assertEquals("no_face", o.get("status").asText(), line);
                assertTrue(o.get("label").isNull() && o.get("score").isNull(), line);
            }
            assertTrue(none.err().contains("no face found in 4 of 4 images"), none.err());

            // a face gets a verdict, with its box
            MainTest.Run r = MainTest.run("detect", "--format", "json",
                    Fixtures.dir().resolve("faces/astronaut_face.png").toString());
            assertEquals(0, r.code(), r.err());
            JsonNode o = Json.MAPPER.readTree(r.out().trim());
            assertEquals("ok", o.get("status").asText(), r.out());
            assertTrue(List.of("Real", "Fake").contains(o.get("label").asText()), r.out());
            assertTrue(o.get("score").asDouble() >= 0 && o.get("score").asDouble() <= 1);
            assertEquals(1, o.get("faces").size(), r.out());
            assertEquals(o.get("score").asDouble(), o.at("/faces/0/score").asDouble(), 0);
            assertTrue(Files.readString(model.resolve("README.md")).contains("ROC AUC"), "model card");
            long bytes;
            try (var files = Files.walk(model)) {
                bytes = files.filter(Files::isRegularFile).mapToLong(p -> p.toFile().length()).sum();
            }
            // fp32 safetensors and ONNX (12.8 MB each) and the int8 ONNX (3.4 MB) of a 3.2M-parameter network
            assertTrue(bytes <= 32L << 20, "models/default is " + bytes + " bytes, over 32 MB");
        } finally {
            if (home == null) {
                System.clearProperty("dfd.home");
            } else {
                System.setProperty("dfd.home", home);
            }
        }
    }
}
