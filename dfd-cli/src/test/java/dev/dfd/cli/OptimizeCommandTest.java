package dev.dfd.cli;

import com.fasterxml.jackson.databind.JsonNode;
import dev.dfd.Fixtures;
import dev.dfd.internal.Json;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

import static dev.dfd.cli.MainTest.run;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** dfd init -> convert -> optimize -> detect --variant optimized gives the default graph's answer. */
class OptimizeCommandTest {
    @TempDir
    Path tmp;

    @Test
    void optimizedVariantGivesTheSameAnswer() throws IOException {
        Path config = Files.writeString(tmp.resolve("small.json"), "{\"image_size\": 32, \"patch_size\": 8,"
                + " \"hidden_size\": 24, \"num_hidden_layers\": 2, \"num_attention_heads\": 2, \"intermediate_size\": 48}");
        Path model = tmp.resolve("model");
        assertEquals(0, run("init", "--config", config.toString(), model.toString(), "--seed", "3").code());
        assertEquals(0, run("convert", model.toString(), model.toString()).code());
        MainTest.Run r = run("optimize", model.toString());
        assertEquals(0, r.code(), r.err());
        assertTrue(r.err().contains("Attention                2"), r.err());
        assertTrue(r.err().contains("SkipLayerNormalization   4"), r.err());
        assertTrue(r.err().contains("BiasGelu                 2"), r.err());
        assertTrue(r.err().contains("wrote " + model.resolve("onnx/model_optimized.onnx")), r.err());

        String images = Fixtures.dir().resolve("images").toString();
        MainTest.Run plain = run("detect", "-m", model.toString(), "--faces", "off", "--format", "json", images);
        MainTest.Run fused = run("detect", "-m", model.toString(), "--faces", "off", "--format", "json",
                "--variant", "optimized", images);
        assertEquals(0, plain.code(), plain.err());
        assertEquals(0, fused.code(), fused.err());
        var a = plain.out().strip().lines().toList();
        var b = fused.out().strip().lines().toList();
        assertEquals(a.size(), b.size());
        assertTrue(a.size() >= 3, plain.out());
        for (int i = 0; i < a.size(); i++) {
            JsonNode x = Json.MAPPER.readTree(a.get(i));
            JsonNode y = Json.MAPPER.readTree(b.get(i));
            assertEquals(x.get("path"), y.get("path"));
            assertEquals(x.get("label"), y.get("label"));
            assertEquals(x.get("score").asDouble(), y.get("score").asDouble(), 1e-5, a.get(i));
            for (int k = 0; k < x.get("logits").size(); k++) {
                assertEquals(x.get("logits").get(k).asDouble(), y.get("logits").get(k).asDouble(), 1e-4);
            }
        }

        MainTest.Run bad = run("optimize", model.toString(), "--fusions", "fastgelu");
        assertEquals(2, bad.code());
        assertTrue(bad.err().contains("unknown fusion 'fastgelu'"), bad.err());
        MainTest.Run cnn = run("optimize", Fixtures.tinyModel().toString(), "--output",
                tmp.resolve("cnn.onnx").toString());
        assertEquals(0, cnn.code(), cnn.err());
        assertTrue(cnn.err().contains("nothing written") && !Files.exists(tmp.resolve("cnn.onnx")), cnn.err());
    }
}
