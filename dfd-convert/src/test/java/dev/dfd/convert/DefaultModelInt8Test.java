package dev.dfd.convert;

import com.fasterxml.jackson.databind.JsonNode;
import dev.dfd.Decision;
import dev.dfd.Detector;
import dev.dfd.DetectorOptions;
import dev.dfd.SharedData;
import dev.dfd.eval.Dataset;
import dev.dfd.eval.Evaluation;
import dev.dfd.eval.LabelMapping;
import dev.dfd.graph.Q4Options;
import dev.dfd.graph.WeightEncoding;
import dev.dfd.internal.Json;
import dev.dfd.internal.Provenance;
import dev.dfd.quantize.StaticInt8;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * models/default's int8 variant is the static quantisation its conversion record describes, and loses no more
 * accuracy than its model card states: reconverting with the recorded calibration (DFDC train images) gives the
 * shipped file byte for byte, and its ROC AUC on the DFDC test split (on the crops, face stage off) is 0.908 against
 * fp32's 0.941. The MobileNet loses that much (the ResNet before it lost 0.001) because one scale per activation
 * tensor serves channels whose ranges differ widely after the depthwise convolutions; the bound is the card's loss
 * plus 0.005, so any further loss fails.
 */
class DefaultModelInt8Test {
    private static final Path MODEL = SharedData.projectRoot().resolve("models/default");
    /** fp32 minus int8 ROC AUC on DFDC test, as the model card gives it (0.9412 - 0.9085). */
    private static final double MEASURED_LOSS = 0.033;

    @TempDir
    Path tmp;

    @Test
    void reconvertingWithTheRecordedCalibrationGivesTheShippedFile() {
        JsonNode record = Json.readObject(MODEL.resolve(Converter.PROVENANCE_FILE)).get("onnx/model_quantized.onnx");
        JsonNode q = record.get("static_quantization");
        assertTrue(q.get("calibration_dir").asText().endsWith("dfdc-faces/train"),
                "calibrated on the train split, never test: " + q.get("calibration_dir"));
        Path train = SharedData.require("data/dfdc-faces/train");
        Converter.Result r = Converter.convert(MODEL, tmp, WeightEncoding.INT8, false, Q4Options.DEFAULT,
                new StaticInt8(train, q.get("calibration_images").asInt(), 0), ExternalData.Mode.AUTO);
        assertEquals(record.get("onnx_sha256").asText(), Provenance.sha256(r.onnx()));
        assertEquals(q.get("calibration_files_sha256").asText(), Json.readObject(tmp.resolve(Converter.PROVENANCE_FILE))
                .get("onnx/model_quantized.onnx").get("static_quantization").get("calibration_files_sha256").asText());
    }

    /** fp32's AUC from its recorded report, which dfd-core's DefaultModelTest reproduces exactly. */
    @Test
    void keepsTheRocAucOnDfdcTest() throws java.io.IOException {
        java.util.regex.Matcher m = java.util.regex.Pattern.compile("ROC AUC \\(positive = Fake\\): ([0-9.]+)")
                .matcher(java.nio.file.Files.readString(MODEL.resolve("eval/test_report.txt")));
        assertTrue(m.find(), "the recorded report states the ROC AUC");
        double fp32 = Double.parseDouble(m.group(1));
        double int8 = rocAuc("quantized", Dataset.open(SharedData.require("data/dfdc-faces"), "test"));
        System.out.printf("models/default on DFDC test: ROC AUC fp32 %.4f, static int8 %.4f%n", fp32, int8);
        assertTrue(fp32 - int8 <= MEASURED_LOSS + 0.005, "fp32 " + fp32 + ", int8 " + int8);
    }

    private static double rocAuc(String variant, Dataset test) {
        // on the crops themselves, as the recorded report
        try (Detector d = Detector.load(MODEL, DetectorOptions.DEFAULTS.withVariant(variant)
                .withExpectedImages(test.images().size()).withDecision(Decision.DEFAULT.withFaces(Decision.Faces.OFF)))) {
            LabelMapping mapping = LabelMapping.of(test.labels(), d.model().labels(), Map.of());
            Evaluation.Result r = Evaluation.run(d, test, mapping, new Evaluation.Options(null, List.of()), null);
            assertEquals(0, r.failures().size(), () -> "failures: " + r.failures());
            return r.metrics().rocAuc();
        }
    }
}
