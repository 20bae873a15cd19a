package dev.dfd;

import com.fasterxml.jackson.databind.JsonNode;
import dev.dfd.internal.Json;

import java.io.IOException;
import java.net.URISyntaxException;
import java.nio.file.Path;

/** The self-contained fixtures in src/test/resources/fixtures (made by make_fixtures.py beside them). */
public final class Fixtures {
    private Fixtures() {
    }

    public static Path dir() {
        String configured = System.getProperty("dfd.fixtures.dir");
        if (configured != null && java.nio.file.Files.isDirectory(Path.of(configured))) {
            return Path.of(configured); // other modules' tests: the jar's resources are not files
        }
        try {
            return Path.of(Fixtures.class.getResource("/fixtures/resize.json").toURI()).getParent();
        } catch (URISyntaxException e) {
            throw new IllegalStateException(e);
        }
    }

    public static Path tinyModel() {
        return dir().resolve("tiny-cnn");
    }

    public static JsonNode json(String relative) throws IOException {
        return Json.MAPPER.readTree(dir().resolve(relative).toFile());
    }
}
