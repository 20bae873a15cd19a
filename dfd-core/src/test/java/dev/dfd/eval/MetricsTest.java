package dev.dfd.eval;

import com.fasterxml.jackson.databind.JsonNode;
import dev.dfd.Fixtures;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Metrics against scikit-learn 1.2.1's values (metrics.json, made by make_metric_fixtures.py). */
class MetricsTest {
    @TestFactory
    List<DynamicTest> matchScikitLearn() throws IOException {
        List<DynamicTest> tests = new ArrayList<>();
        for (JsonNode c : Fixtures.json("metrics.json").get("cases")) {
            tests.add(DynamicTest.dynamicTest(c.get("name").asText(), () -> check(c)));
        }
        return tests;
    }

    private static void check(JsonNode c) {
        List<String> names = new ArrayList<>();
        c.get("names").forEach(n -> names.add(n.asText()));
        int[] y = ints(c.get("y"));
        int[] pred = ints(c.get("pred"));
        ClassificationReport report = ClassificationReport.of(y, pred, names);
        assertEquals(c.get("report").asText(), report.format(c.get("digits").asInt()), "report text");
        long[][] cm = ConfusionMatrix.of(y, pred, names.size());
        for (int i = 0; i < names.size(); i++) {
            for (int j = 0; j < names.size(); j++) {
                assertEquals(c.at("/confusion/" + i + "/" + j).asLong(), cm[i][j], "confusion " + i + "," + j);
            }
        }
        if (!c.has("score")) {
            return;
        }
        boolean[] pos = new boolean[y.length];
        for (int i = 0; i < y.length; i++) {
            pos[i] = y[i] == 1;
        }
        double[] s = doubles(c.get("score"));
        expectOrNaN(c.get("roc_auc"), BinaryMetrics.rocAuc(pos, s), 1e-12, "roc_auc");
        expectOrNaN(c.get("average_precision"), BinaryMetrics.averagePrecision(pos, s), 1e-12, "average_precision");
        if (c.has("roc")) {
            BinaryMetrics.Roc roc = BinaryMetrics.roc(pos, s);
            assertArrayEquals(doubles(c.at("/roc/fpr")), roc.fpr(), 1e-15);
            assertArrayEquals(doubles(c.at("/roc/tpr")), roc.tpr(), 1e-15);
            double[] th = new double[roc.thresholds().length - 1];
            System.arraycopy(roc.thresholds(), 1, th, 0, th.length);
            assertArrayEquals(doubles(c.at("/roc/thresholds")), th, 0.0);
        }
        double[] p = s.clone();
        for (int i = 0; i < p.length; i++) {
            p[i] = Math.min(1, Math.max(0, p[i]));
        }
        assertEquals(c.get("log_loss").asDouble(), BinaryMetrics.logLoss(pos, p), 1e-12, "log_loss");
        assertEquals(c.get("brier").asDouble(), BinaryMetrics.brier(pos, p), 1e-12, "brier");
        BinaryMetrics.Calibration cal = BinaryMetrics.calibration(pos, p, 10);
        assertArrayEquals(doubles(c.at("/calibration/fraction_positive")), cal.fractionPositive(), 1e-12);
        assertArrayEquals(doubles(c.at("/calibration/mean_predicted")), cal.meanPredicted(), 1e-12);
    }

    private static void expectOrNaN(JsonNode expected, double actual, double tol, String what) {
        if (expected == null || expected.isNull()) {
            assertTrue(Double.isNaN(actual), what + " should be undefined (NaN), was " + actual);
        } else {
            assertEquals(expected.asDouble(), actual, tol, what);
        }
    }

    private static int[] ints(JsonNode a) {
        int[] v = new int[a.size()];
        for (int i = 0; i < v.length; i++) {
            v[i] = a.get(i).asInt();
        }
        return v;
    }

    private static double[] doubles(JsonNode a) {
        double[] v = new double[a.size()];
        for (int i = 0; i < v.length; i++) {
            v[i] = a.get(i).asDouble();
        }
        return v;
    }

    @Test
    void pythonRoundsHalfToEven() {
        assertEquals("0.12", ClassificationReport.fixed(0.125, 2)); // exact in binary: a true tie
        assertEquals("0.38", ClassificationReport.fixed(0.375, 2));
        assertEquals("0.6667", ClassificationReport.fixed(2.0 / 3, 4));
        assertEquals("1.0000", ClassificationReport.fixed(1.0, 4));
    }

    // hand-computed cases for the metrics scikit-learn does not name

    private static final boolean[] Y = {false, false, false, false, true, true, true, true};
    private static final double[] S = {0.1, 0.2, 0.3, 0.6, 0.4, 0.7, 0.8, 0.9};

    @Test
    void equalErrorRateAndTprAtFpr() {
        // ROC points (fpr, tpr): (0,0) (0,.25) (0,.5) (0,.75) (.25,.75) (.25,1) (.5,1) (.75,1) (1,1)
        // fnr = 1 - tpr crosses fpr between (0,.75)->fnr .25 and (.25,.75)->fnr .25: EER = 0.25
        assertEquals(0.25, BinaryMetrics.equalErrorRate(Y, S), 1e-12);
        assertEquals(0.75, BinaryMetrics.tprAtFpr(Y, S, 0.01), 1e-12);
        assertEquals(1.0, BinaryMetrics.tprAtFpr(Y, S, 0.25), 1e-12);
        assertEquals(15.0 / 16.0, BinaryMetrics.rocAuc(Y, S), 1e-12);
    }

    @Test
    void thresholdsForF1AndPrecision() {
        BinaryMetrics.OperatingPoint f1 = BinaryMetrics.bestF1(Y, S);
        assertEquals(0.4, f1.threshold()); // tp 4, fp 1: f1 = 8/9
        assertEquals(8.0 / 9.0, f1.f1(), 1e-12);
        BinaryMetrics.OperatingPoint p100 = BinaryMetrics.forPrecision(Y, S, 1.0);
        assertEquals(0.7, p100.threshold()); // the lowest threshold with no false positive: recall 3/4
        assertEquals(0.75, p100.recall(), 1e-12);
        BinaryMetrics.OperatingPoint p80 = BinaryMetrics.forPrecision(Y, S, 0.8);
        assertEquals(0.4, p80.threshold());
        assertEquals(1.0, p80.recall(), 1e-12);
        assertNull(BinaryMetrics.forPrecision(new boolean[]{false, true}, new double[]{0.9, 0.1}, 0.9));
        BinaryMetrics.OperatingPoint at = BinaryMetrics.at(Y, S, 0.65);
        assertEquals(1.0, at.precision());
        assertEquals(0.75, at.recall());
    }

    @Test
    void emptyInputIsUndefinedNotAnError() {
        boolean[] none = {};
        double[] nothing = {};
        assertTrue(Double.isNaN(BinaryMetrics.rocAuc(none, nothing)));
        assertTrue(Double.isNaN(BinaryMetrics.averagePrecision(none, nothing)));
        assertTrue(Double.isNaN(BinaryMetrics.logLoss(none, nothing)));
        assertTrue(Double.isNaN(BinaryMetrics.expectedCalibrationError(none, nothing, 10)));
        ClassificationReport r = ClassificationReport.of(new int[0], new int[0], List.of("Real", "Fake"));
        assertEquals(0.0, r.accuracy());
    }

    @Test
    void expectedCalibrationError() {
        // bins: p=0.05,0.05 (y 0,1) -> |0.5-0.05|; p=0.95,0.95 (y 1,1) -> |1-0.95|
        boolean[] y = {false, true, true, true};
        double[] p = {0.05, 0.05, 0.95, 0.95};
        assertEquals(0.5 * 0.45 + 0.5 * 0.05, BinaryMetrics.expectedCalibrationError(y, p, 10), 1e-12);
    }
}
