package dev.dfd.cli;

import com.fasterxml.jackson.databind.JsonNode;
import dev.dfd.Fixtures;
import dev.dfd.internal.Json;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static dev.dfd.cli.MainTest.run;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class EvalCommandTest {
    @TempDir
    Path tmp;
    Path data;

    @BeforeEach
    void dataset() throws IOException {
        data = tmp.resolve("data");
        for (String label : List.of("real", "fake")) {
            Files.createDirectories(data.resolve(label));
            for (String n : List.of("grad_37x23.png", "noise_64x48.png", "tall_9x40.png")) {
                Files.copy(Fixtures.dir().resolve("images").resolve(n), data.resolve(label).resolve(n));
            }
        }
    }

    @Test
    void writesReportPredictionsJsonAndHtml() throws IOException {
        Path preds = tmp.resolve("p.csv");
        Path json = tmp.resolve("m.json");
        Path html = tmp.resolve("r.html");
        MainTest.Run r = run("eval", "-m", Fixtures.tinyModel().toString(), data.toString(), "--predictions",
                preds.toString(), "--json", json.toString(), "--report", html.toString(), "--target-precision", "0.5",
                "--perturb", "jpeg:50", "-q");
        assertEquals(0, r.code(), r.err());
        assertTrue(r.out().startsWith("              precision    recall  f1-score   support\n"), r.out());
        assertTrue(r.out().contains("Confusion matrix (rows = true, columns = predicted; order ['Real', 'Fake']):"));
        assertTrue(r.out().contains("jpeg:50"));
        List<String> lines = Files.readAllLines(preds);
        assertEquals("path,true_label,predicted_label,score,score_Real,score_Fake,error,status", lines.get(0));
        assertEquals(7, lines.size());
        JsonNode m = Json.MAPPER.readTree(json.toFile());
        assertEquals(6, m.at("/dataset/evaluated").asInt());
        assertTrue(m.at("/metrics/roc_auc").isNumber());
        assertEquals(64, m.at("/provenance/onnx_sha256").asText().length());
        assertEquals(2, m.get("robustness").size());
        assertTrue(Files.readString(html).contains("<svg"));
        assertTrue(r.err().contains("evaluated 6 images"), r.err());
    }

    @Test
    void unknownLabelsStopBeforeInference() throws IOException {
        Files.createDirectories(data.resolve("gan"));
        Files.copy(Fixtures.dir().resolve("images/tiny_5x3.png"), data.resolve("gan/x.png"));
        MainTest.Run r = run("eval", "-m", Fixtures.tinyModel().toString(), data.toString(), "-q");
        assertEquals(2, r.code());
        assertTrue(r.err().startsWith("dfd: data set label [gan] not among the model's labels [Real, Fake]"), r.err());
        assertEquals("", r.out());
        MainTest.Run mapped = run("eval", "-m", Fixtures.tinyModel().toString(), data.toString(), "-q",
                "--label-map", "gan=Fake");
        assertEquals(0, mapped.code(), mapped.err());
    }

    @Test
    void unreadableImagesAreListedOrFailTheRunWithStrict() throws IOException {
        Files.writeString(data.resolve("fake/broken.jpg"), "garbage");
        MainTest.Run lenient = run("eval", "-m", Fixtures.tinyModel().toString(), data.toString(), "-q");
        assertEquals(0, lenient.code());
        assertTrue(lenient.err().contains("1 image(s) could not be read and are excluded"), lenient.err());
        assertTrue(lenient.err().contains("broken.jpg: not an image"), lenient.err());
        MainTest.Run strict = run("eval", "-m", Fixtures.tinyModel().toString(), data.toString(), "-q", "--strict");
        assertEquals(1, strict.code());
        assertTrue(strict.err().contains("--strict: " + data.resolve("fake/broken.jpg")), strict.err());
    }

    @Test
    void badOptionsAreUsageErrors() {
        assertEquals(2, run("eval", "-m", Fixtures.tinyModel().toString(), data.toString(), "--perturb", "zoom:2").code());
        assertEquals(2, run("eval", "-m", Fixtures.tinyModel().toString(), tmp.resolve("none").toString()).code());
        assertEquals(2, run("eval", "-m", Fixtures.tinyModel().toString(), data.toString(),
                "--target-precision", "1.5").code());
    }
}
