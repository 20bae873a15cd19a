package dev.dfd.cli;

import com.fasterxml.jackson.databind.JsonNode;
import dev.dfd.Fixtures;
import dev.dfd.Json;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The model shipped in models/default is what `./dfd detect photo.jpg` uses on a fresh clone. */
class DefaultModelTest {
    @Test
    void shippedDefaultModelDetects() throws Exception {
        Path repo = Path.of(System.getProperty("dfd.fixtures.dir", "../dfd-core/src/test/resources/fixtures"))
                .resolve("../../../../..").normalize();
        Path model = repo.resolve("models/default");
        Assumptions.assumeTrue(Files.isRegularFile(model.resolve("onnx/model.onnx")), "no default model in " + model);
        String home = System.getProperty("dfd.home");
        System.setProperty("dfd.home", repo.toString());
        try {
            MainTest.Run r = MainTest.run("detect", "--format", "json",
                    Fixtures.dir().resolve("images/noise_64x48.png").toString());
            assertEquals(0, r.code(), r.err());
            JsonNode o = Json.MAPPER.readTree(r.out().trim());
            assertTrue(List.of("Real", "Fake").contains(o.get("label").asText()), r.out());
            assertTrue(o.get("score").asDouble() >= 0 && o.get("score").asDouble() <= 1);
            assertTrue(Files.readString(model.resolve("README.md")).contains("ROC AUC"), "model card");
            long bytes;
            try (var files = Files.walk(model)) {
                bytes = files.filter(Files::isRegularFile).mapToLong(p -> p.toFile().length()).sum();
            }
            assertTrue(bytes <= 25L << 20, "models/default is " + bytes + " bytes, over 25 MB");
        } finally {
            if (home == null) {
                System.clearProperty("dfd.home");
            } else {
                System.setProperty("dfd.home", home);
            }
        }
    }
}
