package dev.dfd.cli;

import com.fasterxml.jackson.databind.JsonNode;
import dev.dfd.internal.Json;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

import static dev.dfd.cli.MainTest.run;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** dfd info on the fixture model, on models/default (face crops, two variants, provenance) and on broken directories. */
class InfoCommandTest {
    @TempDir
    Path tmp;

    static Path defaultModel() {
        return Path.of(System.getProperty("dfd.fixtures.dir", "../dfd-core/src/test/resources/fixtures"))
                .resolve("../../../../..").normalize().resolve("models/default");
    }

    @Test
    void tinyFixtureModel() throws IOException {
        MainTest.Run r = run("info", MainTest.model().toString());
        assertEquals(0, r.code(), r.err());
        assertTrue(r.out().contains("variant    default   onnx/model.onnx"), r.out());
        assertTrue(r.out().contains("input      whole images (no dfd_faces.json)"), r.out());

        MainTest.Run j = run("info", "--json", MainTest.model().toString());
        assertEquals(0, j.code(), j.err());
        JsonNode d = Json.MAPPER.readTree(j.out());
        JsonNode expectedConfig = Json.readObject(MainTest.model().resolve("config.json"));
        assertEquals(expectedConfig.path("model_type").asText(null), d.path("model_type").asText(null));
        assertEquals(1, d.get("variants").size());
        JsonNode v = d.get("variants").get(0);
        assertEquals(Files.size(MainTest.model().resolve("onnx/model.onnx")), v.get("bytes").asLong());
        assertEquals(4, v.get("input_shape").size());
        assertEquals("whole images", d.get("faces").asText());
        assertTrue(d.get("labels").size() >= 1);
        assertTrue(d.get("processor").get("type").asText().endsWith("ImageProcessor")
                || d.get("processor").get("type").asText().endsWith("FeatureExtractor"), d.toString());
    }

    @Test
    void defaultModelDeclaresFacesAndTwoVariants() throws IOException {
        Path dir = defaultModel();
        MainTest.Run j = run("info", "--json", dir.toString());
        assertEquals(0, j.code(), j.err());
        JsonNode d = Json.MAPPER.readTree(j.out());
        assertEquals("mobilenet_v1", d.get("model_type").asText());
        assertEquals("MobileNetV1ForImageClassification", d.get("architectures").get(0).asText());
        assertEquals("[\"Real\",\"Fake\"]", d.get("labels").toString());
        assertEquals(2, d.get("variants").size());
        assertEquals("default", d.get("variants").get(0).get("variant").asText());
        assertEquals("quantized", d.get("variants").get(1).get("variant").asText());
        // the processor's output is what the graph takes (the 224 px face crops are resized to it)
        assertEquals(d.get("processor").get("output_size").get(0).asInt(),
                d.get("variants").get(0).get("input_shape").get(2).asInt());
        assertEquals("full_range_256", d.get("faces").get("detector").asText());
        assertEquals("int8", d.get("provenance").get("onnx/model_quantized.onnx").get("dtype").asText());

        MainTest.Run t = run("info", dir.toString());
        assertEquals(0, t.code(), t.err());
        assertTrue(t.out().contains("type       mobilenet_v1 [MobileNetV1ForImageClassification]"), t.out());
        assertTrue(t.out().contains("labels     [Real, Fake]"), t.out());
        assertTrue(t.out().contains("variant    quantized onnx/model_quantized.onnx"), t.out());
        assertTrue(t.out().contains("dtype int8"), t.out());
        assertTrue(t.out().contains("input      face crops (dfd_faces.json): {\"detector\":\"full_range_256\""), t.out());
    }

    @Test
    void brokenDirectoriesGiveOneLine() throws IOException {
        MainTest.Run missing = run("info", tmp.resolve("nothing").toString());
        assertEquals(2, missing.code());
        assertEquals("dfd: " + tmp.resolve("nothing") + ": model directory not found", missing.err().strip());

        Path empty = Files.createDirectories(tmp.resolve("empty"));
        MainTest.Run noConfig = run("info", empty.toString());
        assertEquals(2, noConfig.code());
        assertEquals(1, noConfig.err().strip().lines().count(), noConfig.err());
        assertTrue(noConfig.err().contains("config.json"), noConfig.err());

        Path broken = Files.createDirectories(tmp.resolve("broken"));
        Files.writeString(broken.resolve("config.json"), "{\"model_type\": \"vit\", ");
        MainTest.Run badJson = run("info", broken.toString());
        assertEquals(2, badJson.code());
        assertEquals(1, badJson.err().strip().lines().count(), badJson.err());
        assertTrue(badJson.err().contains("config.json"), badJson.err());

        Path noOnnx = Files.createDirectories(tmp.resolve("no-onnx"));
        Files.copy(MainTest.model().resolve("config.json"), noOnnx.resolve("config.json"));
        Files.copy(MainTest.model().resolve("preprocessor_config.json"), noOnnx.resolve("preprocessor_config.json"));
        Files.createDirectories(noOnnx.resolve("onnx"));
        Files.writeString(noOnnx.resolve("onnx/model_q4.onnx"), "not an onnx file");
        MainTest.Run r = run("info", noOnnx.toString());
        assertEquals(0, r.code(), r.err());
        assertTrue(r.out().contains("variant    q4        onnx/model_q4.onnx 0.0 kB, ONNX Runtime cannot load it: "),
                r.out());
    }
}
