package dev.dfd.eval;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;

/**
 * The generalisation protocol's numbers for one evaluated set: ROC AUC, and at one fixed threshold the false
 * positive rate on real faces (a false "Fake" accuses a real person) and the recall of fakes, each with a stratified
 * bootstrap 95% interval. Pure functions over labels and scores; running the model is {@link Evaluation}'s job.
 *
 * <pre>{@code
 * double t = Protocol.thresholdForFpr(valRealScores, 0.05);             // chosen on held-out real faces
 * Protocol.Row row = Protocol.row("gan-faces", y, scores, t, 1000, 0);
 * System.out.println(Protocol.render(List.of(row)));
 * }</pre>
 */
public final class Protocol {
    private Protocol() {
    }

    /**
     * One set's row.
     *
     * @param name      the set, e.g. "dfdc-test" or "gan-faces"
     * @param positives fakes scored
     * @param negatives real images scored
     * @param auc       ROC AUC of the positive score
     * @param fpr       real images called positive at {@code threshold}
     * @param tpr       fakes called positive at {@code threshold}
     */
    public record Row(String name, int positives, int negatives, Bootstrap.Interval auc, double threshold,
                      Bootstrap.Interval fpr, Bootstrap.Interval tpr) {
    }

    public static Row row(String name, boolean[] y, double[] score, double threshold, int resamples, long seed) {
        int pos = 0;
        for (boolean v : y) {
            pos += v ? 1 : 0;
        }
        Bootstrap.Interval auc = Bootstrap.interval(y, score, BinaryMetrics::rocAuc, resamples, 0.95, seed);
        Bootstrap.Interval fpr = Bootstrap.interval(y, score, (ry, rs) -> rate(ry, rs, false, threshold), resamples,
                0.95, seed + 1);
        Bootstrap.Interval tpr = Bootstrap.interval(y, score, (ry, rs) -> rate(ry, rs, true, threshold), resamples,
                0.95, seed + 2);
        return new Row(name, pos, y.length - pos, auc, threshold, fpr, tpr);
    }

    /** The share of images of class {@code positive} whose score is at least the threshold (NaN without any). */
    public static double rate(boolean[] y, double[] score, boolean positive, double threshold) {
        long n = 0;
        long called = 0;
        for (int i = 0; i < y.length; i++) {
            if (y[i] == positive) {
                n++;
                called += score[i] >= threshold ? 1 : 0;
            }
        }
        return n == 0 ? Double.NaN : (double) called / n;
    }

    /**
     * The lowest threshold at which at most {@code maxFpr} of {@code realScores} would be called positive (scores
     * >= threshold are positive): the next representable value above the score at that rank, or the lowest score
     * when every image may be called.
     */
    public static double thresholdForFpr(double[] realScores, double maxFpr) {
        if (realScores.length == 0 || !(maxFpr >= 0 && maxFpr <= 1)) {
            throw new IllegalArgumentException("need real scores and a rate in [0, 1]");
        }
        for (double v : realScores) {
            if (Double.isNaN(v)) {
                throw new IllegalArgumentException("a real image's score is NaN");
            }
        }
        double[] s = realScores.clone();
        Arrays.sort(s);
        int allowed = (int) Math.floor(maxFpr * s.length + 1e-9); // real images that may score >= threshold
        if (allowed >= s.length) {
            return s[0];
        }
        // the (allowed+1)-th highest score must fall below the threshold, and ties with it too
        return Math.nextUp(s[s.length - 1 - allowed]);
    }

    /** The rows as one text table. */
    public static String render(List<Row> rows) {
        StringBuilder b = new StringBuilder(String.format(Locale.ROOT, "%-24s %6s %6s  %-22s  %-9s  %-22s  %-22s%n",
                "set", "fake", "real", "ROC AUC [95% CI]", "threshold", "FPR on real [95% CI]",
                "fake recall [95% CI]"));
        for (Row r : rows) {
            b.append(String.format(Locale.ROOT, "%-24s %6d %6d  %-22s  %-9.4f  %-22s  %-22s%n", r.name(),
                    r.positives(), r.negatives(), text(r.auc()), r.threshold(), text(r.fpr()), text(r.tpr())));
        }
        return b.toString();
    }

    static String text(Bootstrap.Interval i) {
        if (Double.isNaN(i.estimate())) {
            return "n/a";
        }
        return String.format(Locale.ROOT, "%.3f [%.3f, %.3f]", i.estimate(), i.low(), i.high());
    }

    /** Labels and positive scores of an evaluation's scored images, the positive class being {@code positive}. */
    public static boolean[] labels(List<Evaluation.Scored> scored, int positive) {
        boolean[] y = new boolean[scored.size()];
        for (int i = 0; i < y.length; i++) {
            y[i] = scored.get(i).trueId() == positive;
        }
        return y;
    }

    public static double[] scores(List<Evaluation.Scored> scored, int positive) {
        double[] s = new double[scored.size()];
        for (int i = 0; i < s.length; i++) {
            s[i] = scored.get(i).scores()[positive];
        }
        return s;
    }

    /** The positive scores of the negative (real) images only. */
    public static double[] negativeScores(boolean[] y, double[] score) {
        List<Double> out = new ArrayList<>();
        for (int i = 0; i < y.length; i++) {
            if (!y[i]) {
                out.add(score[i]);
            }
        }
        return out.stream().mapToDouble(Double::doubleValue).toArray();
    }
}
