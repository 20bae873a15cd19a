package dev.dfd.eval;

import java.util.Arrays;
import java.util.SplittableRandom;
import java.util.function.BiFunction;

/**
 * Percentile bootstrap confidence intervals, stratified by class: each resample draws the positives and the
 * negatives with replacement from their own class, so every resample keeps the set's class counts (an AUC is always
 * defined). Seeded: the same inputs give the same interval.
 *
 * <pre>{@code
 * Bootstrap.Interval auc = Bootstrap.interval(y, scores, BinaryMetrics::rocAuc, 1000, 0.95, 42);
 * System.out.printf("%.3f [%.3f, %.3f]%n", auc.estimate(), auc.low(), auc.high());
 * }</pre>
 */
public final class Bootstrap {
    private Bootstrap() {
    }

    /** A point estimate and its interval. NaN bounds when the statistic is undefined on the set. */
    public record Interval(double estimate, double low, double high) {
    }

    /**
     * @param statistic  computed on (labels, scores) of the full set and of every resample
     * @param resamples  number of bootstrap resamples (1000 is usual)
     * @param confidence e.g. 0.95 for the 2.5th and 97.5th percentiles
     */
    public static Interval interval(boolean[] y, double[] score, BiFunction<boolean[], double[], Double> statistic,
                                    int resamples, double confidence, long seed) {
        if (y.length != score.length) {
            throw new IllegalArgumentException("y has " + y.length + " values, scores " + score.length);
        }
        if (resamples < 1 || !(confidence > 0 && confidence < 1)) {
            throw new IllegalArgumentException("resamples >= 1 and confidence in (0, 1) required");
        }
        double estimate = statistic.apply(y, score);
        int[] pos = indices(y, true);
        int[] neg = indices(y, false);
        SplittableRandom random = new SplittableRandom(seed);
        double[] stats = new double[resamples];
        boolean[] ry = new boolean[y.length];
        double[] rs = new double[y.length];
        for (int b = 0; b < resamples; b++) {
            int k = 0;
            for (int i = 0; i < pos.length; i++, k++) {
                int j = pos[random.nextInt(pos.length)];
                ry[k] = true;
                rs[k] = score[j];
            }
            for (int i = 0; i < neg.length; i++, k++) {
                int j = neg[random.nextInt(neg.length)];
                ry[k] = false;
                rs[k] = score[j];
            }
            stats[b] = statistic.apply(ry, rs);
        }
        double[] defined = Arrays.stream(stats).filter(v -> !Double.isNaN(v)).sorted().toArray();
        if (defined.length == 0) {
            return new Interval(estimate, Double.NaN, Double.NaN);
        }
        double tail = (1 - confidence) / 2;
        return new Interval(estimate, percentile(defined, tail), percentile(defined, 1 - tail));
    }

    /** numpy.percentile's default (linear interpolation between closest ranks) on sorted values, q in [0, 1]. */
    static double percentile(double[] sorted, double q) {
        double rank = q * (sorted.length - 1);
        int lo = (int) Math.floor(rank);
        int hi = Math.min(lo + 1, sorted.length - 1);
        return sorted[lo] + (rank - lo) * (sorted[hi] - sorted[lo]);
    }

    private static int[] indices(boolean[] y, boolean value) {
        int n = 0;
        for (boolean v : y) {
            n += v == value ? 1 : 0;
        }
        int[] out = new int[n];
        int k = 0;
        for (int i = 0; i < y.length; i++) {
            if (y[i] == value) {
                out[k++] = i;
            }
        }
        return out;
    }
}
