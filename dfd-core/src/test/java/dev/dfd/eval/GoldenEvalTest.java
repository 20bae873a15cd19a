package dev.dfd.eval;

import com.fasterxml.jackson.databind.JsonNode;
import dev.dfd.Detector;
import dev.dfd.DetectorOptions;
import dev.dfd.Golden;
import dev.dfd.internal.Json;
import dev.dfd.internal.report.TextReport;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.TestFactory;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@code dfd eval} on the golden ImageFolder: the printed report (classification report, confusion matrix, ROC AUC
 * line) is identical to what the Python reference printed, the AUC equal within 1e-9, every image's scores within
 * 1e-5.
 */
class GoldenEvalTest {
    @TestFactory
    List<DynamicTest> reportsMatchScikitLearn() {
        if (!Golden.present()) {
            return Golden.skipped(Golden.MODELS);
        }
        Path expected = Golden.dir().resolve("expected");
        List<DynamicTest> tests = new ArrayList<>();
        for (String model : Golden.MODELS) {
            Path text = expected.resolve(model + ".dataset.txt");
            if (Files.exists(text)) {
                tests.add(DynamicTest.dynamicTest(model, () -> check(model, text,
                        expected.resolve(model + ".dataset.json"))));
            }
        }
        assertTrue(tests.size() >= 2, "expected golden data-set reports for at least two models");
        return tests;
    }

    private static void check(String model, Path textFile, Path jsonFile) throws IOException {
        Path data = Golden.dir().resolve("datasets/imagefolder-seed0");
        JsonNode golden = Json.MAPPER.readTree(jsonFile.toFile());
        try (Detector detector = Detector.load(Golden.model(model), DetectorOptions.DEFAULTS.withThreads(1))) {
            Dataset dataset = Dataset.open(data, null);
            LabelMapping mapping = LabelMapping.of(dataset.labels(), detector.model().config().labels(), Map.of());
            Evaluation.Result result = Evaluation.run(detector, dataset, mapping,
                    new Evaluation.Options(null, List.of()), null);
            String printed = TextReport.render(result, 4);
            String reference = Files.readString(textFile);
            String block = reference.substring(0, reference.indexOf("ROC AUC exact"));
            assertTrue(printed.startsWith(block), "printed report differs from the reference:\n" + printed
                    + "\nexpected to start with:\n" + block);
            assertEquals(golden.get("roc_auc").asDouble(), result.metrics().rocAuc(), 1e-9);
            assertEquals(golden.get("n").asInt(), result.scored().size());
            for (JsonNode img : golden.get("per_image")) {
                Evaluation.Scored s = find(result, data.resolve(img.get("path").asText()));
                assertEquals(img.get("true").asText(), detector.model().config().labels().get(s.trueId()));
                assertEquals(img.get("pred").asText(), detector.model().config().labels().get(s.predId()));
                for (int i = 0; i < detector.model().config().labels().size(); i++) {
                    String label = detector.model().config().labels().get(i);
                    assertEquals(img.at("/scores/" + label).asDouble(), s.scores()[i], 1e-5, img + " " + label);
                }
            }
        }
    }

    private static Evaluation.Scored find(Evaluation.Result result, Path path) {
        for (Evaluation.Scored s : result.scored()) {
            if (result.dataset().images().get(s.index()).path().equals(path)) {
                return s;
            }
        }
        throw new AssertionError("no result for " + path);
    }
}
