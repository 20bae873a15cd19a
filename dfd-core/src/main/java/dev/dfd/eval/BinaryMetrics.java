package dev.dfd.eval;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;

/**
 * Metrics of a score for one positive class, as pure functions over {@code (boolean[] positive, double[] score)},
 * following scikit-learn 1.2's definitions. A sample is predicted positive when {@code score >= threshold}.
 * Functions that are undefined for the data (one class only, empty input) return NaN, as a number that says so.
 *
 * <pre>{@code
 * boolean[] fake = {false, false, true, true};
 * double[] score = {0.1, 0.4, 0.35, 0.8};
 * double auc = BinaryMetrics.rocAuc(fake, score);                 // 0.75, as sklearn.metrics.roc_auc_score
 * double recall = BinaryMetrics.tprAtFpr(fake, score, 0.01);
 * }</pre>
 */
public final class BinaryMetrics {
    private BinaryMetrics() {
    }

    /**
     * scikit-learn's {@code _binary_clf_curve}: for each distinct score, from the highest down, the counts of true
     * and false positives at threshold = that score.
     *
     * @param thresholds distinct scores, descending
     * @param tps        (thresholds) positives with score >= threshold
     * @param fps        (thresholds) negatives with score >= threshold
     */
    public record ClfCurve(double[] thresholds, long[] tps, long[] fps) {
        public long positives() {
            return tps.length == 0 ? 0 : tps[tps.length - 1];
        }

        public long negatives() {
            return fps.length == 0 ? 0 : fps[fps.length - 1];
        }
    }

    public static ClfCurve clfCurve(boolean[] y, double[] score) {
        check(y, score);
        Integer[] order = new Integer[score.length];
        for (int i = 0; i < order.length; i++) {
            order[i] = i;
        }
        Arrays.sort(order, Comparator.comparingDouble((Integer i) -> score[i]).reversed());
        List<Double> thresholds = new ArrayList<>();
        List<long[]> counts = new ArrayList<>();
        long tp = 0;
        long fp = 0;
        for (int k = 0; k < order.length; k++) {
            if (y[order[k]]) {
                tp++;
            } else {
                fp++;
            }
            boolean lastOfValue = k == order.length - 1 || score[order[k + 1]] != score[order[k]];
            if (lastOfValue) {
                thresholds.add(score[order[k]]);
                counts.add(new long[]{tp, fp});
            }
        }
        int n = thresholds.size();
        double[] t = new double[n];
        long[] tps = new long[n];
        long[] fps = new long[n];
        for (int i = 0; i < n; i++) {
            t[i] = thresholds.get(i);
            tps[i] = counts.get(i)[0];
            fps[i] = counts.get(i)[1];
        }
        return new ClfCurve(t, tps, fps);
    }

    /**
     * The ROC curve with every distinct threshold (scikit-learn's {@code drop_intermediate=False}), starting at
     * (0, 0) with threshold +infinity.
     */
    public record Roc(double[] fpr, double[] tpr, double[] thresholds) {
    }

    public static Roc roc(boolean[] y, double[] score) {
        return roc(clfCurve(y, score), false);
    }

    static Roc roc(ClfCurve c, boolean dropIntermediate) {
        long[] tps = c.tps();
        long[] fps = c.fps();
        double[] th = c.thresholds();
        if (dropIntermediate && tps.length > 2) {
            // keep the ends and every point where the curve bends (scikit-learn's optimal_idxs)
            List<Integer> keep = new ArrayList<>();
            keep.add(0);
            for (int i = 1; i < tps.length - 1; i++) {
                if (fps[i + 1] - 2 * fps[i] + fps[i - 1] != 0 || tps[i + 1] - 2 * tps[i] + tps[i - 1] != 0) {
                    keep.add(i);
                }
            }
            keep.add(tps.length - 1);
            long[] t2 = new long[keep.size()];
            long[] f2 = new long[keep.size()];
            double[] h2 = new double[keep.size()];
            for (int i = 0; i < keep.size(); i++) {
                t2[i] = tps[keep.get(i)];
                f2[i] = fps[keep.get(i)];
                h2[i] = th[keep.get(i)];
            }
            tps = t2;
            fps = f2;
            th = h2;
        }
        int n = tps.length + 1;
        double[] fpr = new double[n];
        double[] tpr = new double[n];
        double[] thresholds = new double[n];
        double negatives = c.negatives();
        double positives = c.positives();
        thresholds[0] = Double.POSITIVE_INFINITY;
        for (int i = 1; i < n; i++) {
            fpr[i] = fps[i - 1] / negatives;
            tpr[i] = tps[i - 1] / positives;
            thresholds[i] = th[i - 1];
        }
        return new Roc(fpr, tpr, thresholds);
    }

    /** Area under the ROC curve (trapezoids, as {@code roc_auc_score}); NaN unless both classes are present. */
    public static double rocAuc(boolean[] y, double[] score) {
        ClfCurve c = clfCurve(y, score);
        if (c.positives() == 0 || c.negatives() == 0) {
            return Double.NaN;
        }
        Roc roc = roc(c, true);
        double area = 0;
        for (int i = 1; i < roc.fpr().length; i++) {
            area += (roc.fpr()[i] - roc.fpr()[i - 1]) * (roc.tpr()[i] + roc.tpr()[i - 1]) / 2.0;
        }
        return area;
    }

    /** Precision and recall per distinct threshold, descending thresholds. */
    public record PrCurve(double[] precision, double[] recall, double[] thresholds) {
    }

    public static PrCurve prCurve(boolean[] y, double[] score) {
        ClfCurve c = clfCurve(y, score);
        int n = c.thresholds().length;
        double[] p = new double[n];
        double[] r = new double[n];
        for (int i = 0; i < n; i++) {
            long predicted = c.tps()[i] + c.fps()[i];
            p[i] = predicted == 0 ? 0.0 : (double) c.tps()[i] / predicted;
            r[i] = c.positives() == 0 ? 1.0 : (double) c.tps()[i] / c.positives();
        }
        return new PrCurve(p, r, c.thresholds().clone());
    }

    /**
     * {@code average_precision_score}: sum over thresholds of (R_k - R_{k-1}) * P_k, thresholds descending,
     * R_0 = 0. NaN when there are no positives (scikit-learn warns and its value is meaningless).
     */
    public static double averagePrecision(boolean[] y, double[] score) {
        PrCurve pr = prCurve(y, score);
        if (positives(y) == 0) {
            return Double.NaN;
        }
        double ap = 0;
        double previousRecall = 0;
        for (int i = 0; i < pr.recall().length; i++) {
            ap += (pr.recall()[i] - previousRecall) * pr.precision()[i];
            previousRecall = pr.recall()[i];
        }
        return ap;
    }

    /**
     * Equal error rate: where the false positive rate equals the false negative rate (1 - TPR) on the ROC curve,
     * linearly interpolated between the two ROC points that bracket it.
     */
    public static double equalErrorRate(boolean[] y, double[] score) {
        ClfCurve c = clfCurve(y, score);
        if (c.positives() == 0 || c.negatives() == 0) {
            return Double.NaN;
        }
        Roc roc = roc(c, false);
        double[] fpr = roc.fpr();
        double[] fnr = new double[fpr.length];
        for (int i = 0; i < fpr.length; i++) {
            fnr[i] = 1.0 - roc.tpr()[i];
        }
        // fpr rises from 0 and fnr falls to 0 along the curve: find the first point where fpr >= fnr
        for (int i = 1; i < fpr.length; i++) {
            if (fpr[i] >= fnr[i]) {
                double d0 = fnr[i - 1] - fpr[i - 1];
                double d1 = fnr[i] - fpr[i];
                double t = d0 == d1 ? 0.0 : d0 / (d0 - d1);
                return fpr[i - 1] + t * (fpr[i] - fpr[i - 1]);
            }
        }
        return fpr[fpr.length - 1];
    }

    /** The highest true positive rate among thresholds whose false positive rate is at most {@code maxFpr}. */
    public static double tprAtFpr(boolean[] y, double[] score, double maxFpr) {
        ClfCurve c = clfCurve(y, score);
        if (c.positives() == 0 || c.negatives() == 0) {
            return Double.NaN;
        }
        Roc roc = roc(c, false);
        double best = 0;
        for (int i = 0; i < roc.fpr().length; i++) {
            if (roc.fpr()[i] <= maxFpr) {
                best = Math.max(best, roc.tpr()[i]);
            }
        }
        return best;
    }

    /**
     * Binary log loss of the positive class's probability, probabilities clipped to [eps, 1 - eps] with
     * eps = 2.22e-16 (float64 machine epsilon, scikit-learn 1.2's "auto" for float64 input).
     */
    public static double logLoss(boolean[] y, double[] p) {
        check(y, p);
        if (y.length == 0) {
            return Double.NaN;
        }
        double eps = Math.ulp(1.0);
        double sum = 0;
        for (int i = 0; i < y.length; i++) {
            double q = Math.min(Math.max(p[i], eps), 1 - eps);
            sum += y[i] ? -Math.log(q) : -Math.log(1 - q);
        }
        return sum / y.length;
    }

    /** {@code brier_score_loss}: mean of (p - y)^2. */
    public static double brier(boolean[] y, double[] p) {
        check(y, p);
        if (y.length == 0) {
            return Double.NaN;
        }
        double sum = 0;
        for (int i = 0; i < y.length; i++) {
            double d = p[i] - (y[i] ? 1 : 0);
            sum += d * d;
        }
        return sum / y.length;
    }

    /**
     * Reliability diagram as scikit-learn's {@code calibration_curve(strategy="uniform")}: bins of equal width on
     * [0, 1], a probability equal to an inner edge going to the lower bin; empty bins are left out.
     *
     * @param meanPredicted (bins) mean probability per non-empty bin
     * @param fractionPositive (bins) fraction of positives per non-empty bin
     * @param count (bins) samples per non-empty bin
     */
    public record Calibration(double[] meanPredicted, double[] fractionPositive, long[] count) {
    }

    public static Calibration calibration(boolean[] y, double[] p, int bins) {
        check(y, p);
        double[] sumP = new double[bins];
        double[] sumY = new double[bins];
        long[] n = new long[bins];
        for (int i = 0; i < y.length; i++) {
            int b = bin(p[i], bins);
            sumP[b] += p[i];
            sumY[b] += y[i] ? 1 : 0;
            n[b]++;
        }
        int nonEmpty = 0;
        for (long c : n) {
            nonEmpty += c > 0 ? 1 : 0;
        }
        double[] mp = new double[nonEmpty];
        double[] fp = new double[nonEmpty];
        long[] cnt = new long[nonEmpty];
        for (int b = 0, k = 0; b < bins; b++) {
            if (n[b] > 0) {
                mp[k] = sumP[b] / n[b];
                fp[k] = sumY[b] / n[b];
                cnt[k++] = n[b];
            }
        }
        return new Calibration(mp, fp, cnt);
    }

    /** numpy.searchsorted(linspace(0, 1 + 1e-8, bins + 1)[1:-1], p, side="left"). */
    private static int bin(double p, int bins) {
        double step = (1.0 + 1e-8) / bins; // linspace: edge k = k * step
        int b = 0;
        while (b < bins - 1 && p > (b + 1) * step) {
            b++;
        }
        return b;
    }

    /** Expected calibration error: sum over bins of (n_bin / N) * |fraction positive - mean probability|. */
    public static double expectedCalibrationError(boolean[] y, double[] p, int bins) {
        if (y.length == 0) {
            return Double.NaN;
        }
        Calibration c = calibration(y, p, bins);
        double ece = 0;
        for (int i = 0; i < c.count().length; i++) {
            ece += (double) c.count()[i] / y.length * Math.abs(c.fractionPositive()[i] - c.meanPredicted()[i]);
        }
        return ece;
    }

    /** An operating point: predicted positive when score >= threshold. */
    public record OperatingPoint(double threshold, double precision, double recall, double f1, double fpr) {
    }

    /** The threshold (a distinct score) that maximises the positive class's F1; the highest such on ties. */
    public static OperatingPoint bestF1(boolean[] y, double[] score) {
        ClfCurve c = clfCurve(y, score);
        OperatingPoint best = null;
        for (int i = 0; i < c.thresholds().length; i++) {
            OperatingPoint op = point(c, i);
            if (best == null || op.f1() > best.f1()) {
                best = op;
            }
        }
        return best;
    }

    /**
     * The lowest threshold (a distinct score) whose precision on this data is at least {@code target}: of all
     * thresholds that reach the precision, the one that keeps the most recall. Null when none reaches it.
     */
    public static OperatingPoint forPrecision(boolean[] y, double[] score, double target) {
        ClfCurve c = clfCurve(y, score);
        OperatingPoint found = null;
        for (int i = 0; i < c.thresholds().length; i++) {
            OperatingPoint op = point(c, i);
            if (c.tps()[i] > 0 && op.precision() >= target) {
                found = op; // thresholds descend: the last one that qualifies is the lowest
            }
        }
        return found;
    }

    /** The operating point at a given threshold. */
    public static OperatingPoint at(boolean[] y, double[] score, double threshold) {
        check(y, score);
        long tp = 0;
        long fp = 0;
        long pos = 0;
        for (int i = 0; i < y.length; i++) {
            pos += y[i] ? 1 : 0;
            if (score[i] >= threshold) {
                if (y[i]) {
                    tp++;
                } else {
                    fp++;
                }
            }
        }
        return point(threshold, tp, fp, pos, y.length - pos);
    }

    private static OperatingPoint point(ClfCurve c, int i) {
        return point(c.thresholds()[i], c.tps()[i], c.fps()[i], c.positives(), c.negatives());
    }

    private static OperatingPoint point(double threshold, long tp, long fp, long positives, long negatives) {
        double p = tp + fp == 0 ? 0.0 : (double) tp / (tp + fp);
        double r = positives == 0 ? 0.0 : (double) tp / positives;
        double fpr = negatives == 0 ? 0.0 : (double) fp / negatives;
        return new OperatingPoint(threshold, p, r, ClassificationReport.fScore(p, r), fpr);
    }

    private static long positives(boolean[] y) {
        long n = 0;
        for (boolean b : y) {
            n += b ? 1 : 0;
        }
        return n;
    }

    private static void check(boolean[] y, double[] s) {
        if (y.length != s.length) {
            throw new IllegalArgumentException("y has " + y.length + " values, scores " + s.length);
        }
        for (double v : s) {
            if (Double.isNaN(v)) {
                throw new IllegalArgumentException("scores contain NaN");
            }
        }
    }
}
