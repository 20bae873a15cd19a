package dev.dfd.eval;

import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Random;
import java.util.TreeSet;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class ProtocolTest {
    @Test
    void percentileIsNumpysLinearInterpolation() {
        double[] v = {1, 2, 3, 4};
        assertEquals(1.75, Bootstrap.percentile(v, 0.25), 1e-12); // numpy.percentile([1,2,3,4], 25)
        assertEquals(3.85, Bootstrap.percentile(v, 0.95), 1e-12);
        assertEquals(4.0, Bootstrap.percentile(v, 1.0), 0);
        assertEquals(1.0, Bootstrap.percentile(v, 0.0), 0);
    }

    @Test
    void intervalsAreSeededAndSane() {
        Random r = new Random(3);
        int n = 300;
        boolean[] y = new boolean[n];
        double[] s = new double[n];
        for (int i = 0; i < n; i++) {
            y[i] = i % 3 == 0;
            s[i] = r.nextGaussian() + (y[i] ? 1 : 0);
        }
        Bootstrap.Interval a = Bootstrap.interval(y, s, BinaryMetrics::rocAuc, 500, 0.95, 7);
        Bootstrap.Interval b = Bootstrap.interval(y, s, BinaryMetrics::rocAuc, 500, 0.95, 7);
        assertEquals(a, b, "same seed, same interval");
        assertEquals(BinaryMetrics.rocAuc(y, s), a.estimate(), 0);
        assertTrue(a.low() < a.estimate() && a.estimate() < a.high(), a.toString());
        // a perfectly separated set stays perfect in every stratified resample
        boolean[] y2 = {false, false, true, true};
        double[] s2 = {0.1, 0.2, 0.8, 0.9};
        assertEquals(new Bootstrap.Interval(1, 1, 1), Bootstrap.interval(y2, s2, BinaryMetrics::rocAuc, 100, 0.95, 0));
    }

    /** Over many simulated sets with a known true AUC, the 95% interval should cover it about 95% of the time. */
    @Test
    void aucIntervalsCoverTheTrueValue() {
        // scores N(0,1) for real, N(1,1) for fake: true AUC = Phi(1 / sqrt(2)) = 0.76025
        double trueAuc = 0.7602499389065233;
        Random r = new Random(11);
        int trials = 150;
        int covered = 0;
        for (int t = 0; t < trials; t++) {
            int n = 160;
            boolean[] y = new boolean[n];
            double[] s = new double[n];
            for (int i = 0; i < n; i++) {
                y[i] = i < n / 2;
                s[i] = r.nextGaussian() + (y[i] ? 1 : 0);
            }
            Bootstrap.Interval ci = Bootstrap.interval(y, s, BinaryMetrics::rocAuc, 300, 0.95, t);
            covered += ci.low() <= trueAuc && trueAuc <= ci.high() ? 1 : 0;
        }
        double coverage = covered / (double) trials;
        assertTrue(coverage >= 0.88 && coverage <= 0.995, "coverage " + coverage);
    }

    @Test
    void thresholdForFprAgainstABruteForceSearch() {
        Random r = new Random(5);
        for (int trial = 0; trial < 200; trial++) {
            int n = 1 + r.nextInt(40);
            double[] real = new double[n];
            for (int i = 0; i < n; i++) {
                real[i] = r.nextInt(10) / 10.0; // many ties
            }
            double maxFpr = List.of(0.0, 0.01, 0.05, 0.1, 0.25, 0.5, 1.0).get(r.nextInt(7));
            double t = Protocol.thresholdForFpr(real, maxFpr);
            assertEquals(slowLowestThreshold(real, maxFpr), t, 0, "trial " + trial);
            boolean[] y = new boolean[n];
            assertTrue(Protocol.rate(y, real, false, t) <= maxFpr + 1e-12);
        }
    }

    /** The lowest candidate threshold (each score, or just above each score) whose FPR is at most maxFpr. */
    private static double slowLowestThreshold(double[] real, double maxFpr) {
        TreeSet<Double> candidates = new TreeSet<>();
        for (double v : real) {
            candidates.add(v);
            candidates.add(Math.nextUp(v));
        }
        for (double t : candidates) {
            long called = 0;
            for (double v : real) {
                called += v >= t ? 1 : 0;
            }
            if (called <= Math.floor(maxFpr * real.length + 1e-9)) {
                return t;
            }
        }
        throw new AssertionError("unreachable");
    }

    @Test
    void rowNumbers() {
        boolean[] y = {true, true, true, false, false, false, false};
        double[] s = {0.9, 0.6, 0.3, 0.7, 0.2, 0.1, 0.05};
        Protocol.Row row = Protocol.row("set", y, s, 0.5, 200, 1);
        assertEquals(3, row.positives());
        assertEquals(4, row.negatives());
        assertEquals(BinaryMetrics.rocAuc(y, s), row.auc().estimate(), 0);
        assertEquals(0.25, row.fpr().estimate(), 0); // 0.7 of 4 real
        assertEquals(2 / 3.0, row.tpr().estimate(), 1e-12);
        String table = Protocol.render(List.of(row));
        assertTrue(table.lines().skip(1).findFirst().orElseThrow().startsWith("set"), table);
    }
}
