package dev.dfd;

import com.fasterxml.jackson.databind.JsonNode;
import dev.dfd.eval.Dataset;
import dev.dfd.eval.Evaluation;
import dev.dfd.eval.LabelMapping;
import dev.dfd.internal.Json;
import dev.dfd.internal.Provenance;
import dev.dfd.internal.report.TextReport;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Iterator;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The shipped models/default is what its files say: its recorded report reproduces, its provenance matches. */
class DefaultModelTest {
    private static final Path MODEL = SharedData.projectRoot().resolve("models/default");

    @Test
    void reproducesItsRecordedTestReportExactly() throws IOException {
        Path data = SharedData.require("data/dfdc-faces");
        Dataset test = Dataset.open(data, "test");
        assertEquals(3256, test.images().size(), "the DFDC test split");
        // the report was made on the crops themselves: the face stage off
        try (Detector d = Detector.load(MODEL, DetectorOptions.DEFAULTS.withExpectedImages(test.images().size())
                .withDecision(Decision.DEFAULT.withFaces(Decision.Faces.OFF)))) {
            LabelMapping mapping = LabelMapping.of(test.labels(), d.model().labels(), Map.of());
            Evaluation.Result r = Evaluation.run(d, test, mapping, new Evaluation.Options(null, List.of()), null);
            assertEquals(0, r.failures().size(), () -> "failures: " + r.failures());
            String expected = Files.readString(MODEL.resolve("eval/test_report.txt"));
            assertEquals(expected, TextReport.render(r, 4));
        }
    }

    @Test
    void conversionRecordMatchesTheShippedFiles() throws IOException {
        JsonNode record = Json.MAPPER.readTree(MODEL.resolve("dfd_conversion.json").toFile());
        assertTrue(record.has("onnx/model.onnx"), "the default ONNX file is described");
        for (Iterator<Map.Entry<String, JsonNode>> it = record.fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> e = it.next();
            Path onnx = MODEL.resolve(e.getKey());
            assertTrue(Files.isRegularFile(onnx), e.getKey() + " is described but not shipped");
            assertEquals(e.getValue().get("onnx_sha256").asText(), Provenance.sha256(onnx), e.getKey());
            for (Iterator<Map.Entry<String, JsonNode>> s = e.getValue().get("source_sha256").fields(); s.hasNext(); ) {
                Map.Entry<String, JsonNode> src = s.next();
                assertEquals(src.getValue().asText(), Provenance.sha256(MODEL.resolve(src.getKey())),
                        e.getKey() + " was converted from a " + src.getKey() + " other than the shipped one");
            }
        }
        try (var files = Files.list(MODEL.resolve("onnx"))) {
            files.filter(f -> f.toString().endsWith(".onnx")).forEach(f -> assertTrue(
                    record.has("onnx/" + f.getFileName()), f + " is shipped without a conversion record"));
        }
    }
}
