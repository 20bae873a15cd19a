package dev.dfd.cli;

import com.fasterxml.jackson.databind.JsonNode;
import dev.dfd.Fixtures;
import dev.dfd.internal.Json;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class QualityCommandTest {
    @TempDir
    Path tmp;

    private void fill(Path dir, List<String> images) throws IOException {
        Files.createDirectories(dir);
        for (String name : images) {
            Files.copy(Fixtures.dir().resolve("images").resolve(name), dir.resolve(name));
        }
    }

    @Test
    void printsOneRowPerSetWithTheThresholdFromValidationRealFaces() throws Exception {
        List<String> a = List.of("grad_37x23.png", "noise_64x48.png", "tall_9x40.png");
        List<String> b = List.of("tiny_5x3.png", "one_1x1.png");
        for (String split : List.of("val", "test")) {
            fill(tmp.resolve("dfdc-faces").resolve(split).resolve("Real"), a);
            fill(tmp.resolve("dfdc-faces").resolve(split).resolve("Fake"), b);
        }
        fill(tmp.resolve("gan-faces/Real"), b);
        fill(tmp.resolve("gan-faces/Fake"), a);
        Path json = tmp.resolve("q.json");
        MainTest.Run r = MainTest.run("quality", "-m", MainTest.model().toString(), "--data", tmp.toString(),
                "--fpr", "0.34", "--perturb", "jpeg:50", "--resamples", "50", "--json", json.toString());
        assertEquals(0, r.code(), r.err());
        List<String> lines = r.out().lines().toList();
        assertTrue(lines.get(0).contains("FPR 0.34 on DFDC validation real faces"), r.out());
        assertTrue(lines.get(2).startsWith("dfdc-val (threshold)"), r.out());
        assertTrue(lines.get(3).startsWith("dfdc-test "), r.out());
        assertTrue(lines.get(4).startsWith("dfdc-test jpeg:50"), r.out());
        assertTrue(lines.get(5).startsWith("gan-faces"), r.out());
        JsonNode o = Json.MAPPER.readTree(json.toFile());
        assertEquals(4, o.get("rows").size());
        // at most 1 of the 3 validation real images (34%) may score at or above the chosen threshold
        assertTrue(o.at("/rows/0/fpr_real/estimate").asDouble() <= 0.34, o.toString());
        // the same images in val and test: the same AUC and rates
        assertEquals(o.at("/rows/0/roc_auc/estimate").asDouble(), o.at("/rows/1/roc_auc/estimate").asDouble(), 0);
        // gan-faces swaps the classes: AUC mirrored
        assertEquals(1 - o.at("/rows/1/roc_auc/estimate").asDouble(), o.at("/rows/3/roc_auc/estimate").asDouble(),
                1e-12);
        // with faces on, these face-free images leave no real validation image scored: one line, naming the set
        MainTest.Run noFaces = MainTest.run("quality", "-m", MainTest.model().toString(), "--data", tmp.toString(),
                "--faces", "on", "--perturb", "none", "--resamples", "10");
        assertEquals(2, noFaces.code(), noFaces.err());
        assertTrue(noFaces.err().contains("dfdc-faces/val: no real image was scored (5 without a face, 0 failed)"),
                noFaces.err());
        MainTest.Run bad = MainTest.run("quality", "-m", MainTest.model().toString(), "--data", tmp.toString(),
                "--fpr", "2");
        assertEquals(2, bad.code());
        assertTrue(bad.err().contains("--fpr must be in (0, 1)"), bad.err());
    }
}
