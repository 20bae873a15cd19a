package dev.dfd.eval;

import java.math.BigDecimal;
import java.math.RoundingMode;
import java.util.List;

/**
 * scikit-learn's {@code classification_report(y_true, y_pred, labels=range(n), target_names=names)}, as values and
 * as the exact text it prints. Classes are every label of the model, in id order, so a class that is never
 * predicted (or never present) still has its row: its undefined precision or recall is 0, as scikit-learn's
 * {@code zero_division="warn"} makes it.
 *
 * <pre>{@code
 * ClassificationReport r = ClassificationReport.of(yTrue, yPred, List.of("Real", "Fake"));
 * System.out.println(r.format(4));   // sklearn.metrics.classification_report's text, to the character
 * }</pre>
 *
 * @param names     class names in id order
 * @param precision per class: tp / (tp + fp)
 * @param recall    per class: tp / (tp + fn)
 * @param f1        per class: 2 * p * r / (p + r)
 * @param support   per class: number of true samples
 * @param accuracy  micro-averaged F1, which is the accuracy
 * @param macro     unweighted mean of (precision, recall, f1)
 * @param weighted  support-weighted mean of (precision, recall, f1)
 * @param total     number of samples
 */
public record ClassificationReport(List<String> names, double[] precision, double[] recall, double[] f1,
                                   long[] support, double accuracy, double[] macro, double[] weighted, long total) {
    public ClassificationReport {
        names = List.copyOf(names);
    }

    /** Computes the report; labels are ids 0..names.size()-1. */
    public static ClassificationReport of(int[] yTrue, int[] yPred, List<String> names) {
        if (yTrue.length != yPred.length) {
            throw new IllegalArgumentException("y_true has " + yTrue.length + " labels, y_pred " + yPred.length);
        }
        int n = names.size();
        long[][] cm = ConfusionMatrix.of(yTrue, yPred, n);
        double[] p = new double[n];
        double[] r = new double[n];
        double[] f = new double[n];
        long[] support = new long[n];
        long tpSum = 0;
        long predSum = 0;
        long trueSum = 0;
        for (int c = 0; c < n; c++) {
            long tp = cm[c][c];
            long predicted = 0;
            long actual = 0;
            for (int k = 0; k < n; k++) {
                predicted += cm[k][c];
                actual += cm[c][k];
            }
            p[c] = divide(tp, predicted);
            r[c] = divide(tp, actual);
            f[c] = fScore(p[c], r[c]);
            support[c] = actual;
            tpSum += tp;
            predSum += predicted;
            trueSum += actual;
        }
        double microP = divide(tpSum, predSum);
        double microR = divide(tpSum, trueSum);
        double accuracy = fScore(microP, microR);
        double[] macro = {mean(p), mean(r), mean(f)};
        double[] weighted = {weightedMean(p, support), weightedMean(r, support), weightedMean(f, support)};
        return new ClassificationReport(names, p, r, f, support, accuracy, macro, weighted, yTrue.length);
    }

    private static double divide(long a, long b) {
        return b == 0 ? 0.0 : (double) a / b;
    }

    /** scikit-learn's F-beta with beta = 1, in its operation order: (1 + 1) * p * r / (1 * p + r). */
    static double fScore(double p, double r) {
        double denom = p + r;
        if (denom == 0.0) {
            denom = 1.0;
        }
        return 2.0 * p * r / denom;
    }

    private static double mean(double[] v) {
        double s = 0;
        for (double x : v) {
            s += x;
        }
        return s / v.length;
    }

    /** numpy.average(values, weights): sum(v * w) / sum(w); 0 when every weight is 0. */
    private static double weightedMean(double[] v, long[] w) {
        double s = 0;
        double sw = 0;
        for (int i = 0; i < v.length; i++) {
            s += v[i] * w[i];
            sw += w[i];
        }
        return sw == 0 ? 0.0 : s / sw;
    }

    /** The report text exactly as scikit-learn prints it with {@code digits}. */
    public String format(int digits) {
        if (digits < 0 || digits > 15) {
            throw new IllegalArgumentException("digits must be 0..15, got " + digits);
        }
        String[] headers = {"precision", "recall", "f1-score", "support"};
        int nameWidth = 0;
        for (String name : names) {
            nameWidth = Math.max(nameWidth, name.length());
        }
        int width = Math.max(Math.max(nameWidth, "weighted avg".length()), digits);
        StringBuilder sb = new StringBuilder();
        sb.append(right("", width)).append(' ');
        for (String h : headers) {
            sb.append(' ').append(right(h, 9));
        }
        sb.append("\n\n");
        for (int c = 0; c < names.size(); c++) {
            row(sb, names.get(c), width, digits, precision[c], recall[c], f1[c], support[c]);
        }
        sb.append('\n');
        // accuracy: the first two columns are blank, the f1 column holds the accuracy
        sb.append(right("accuracy", width)).append(' ');
        sb.append(' ').append(right("", 9)).append(' ').append(right("", 9));
        sb.append(' ').append(right(fixed(accuracy, digits), 9)).append(' ').append(right(Long.toString(total), 9));
        sb.append('\n');
        row(sb, "macro avg", width, digits, macro[0], macro[1], macro[2], total);
        row(sb, "weighted avg", width, digits, weighted[0], weighted[1], weighted[2], total);
        return sb.toString();
    }

    private static void row(StringBuilder sb, String name, int width, int digits, double p, double r, double f,
                            long support) {
        sb.append(right(name, width)).append(' ');
        sb.append(' ').append(right(fixed(p, digits), 9));
        sb.append(' ').append(right(fixed(r, digits), 9));
        sb.append(' ').append(right(fixed(f, digits), 9));
        sb.append(' ').append(right(Long.toString(support), 9));
        sb.append('\n');
    }

    /** Python's {@code format(x, ".{digits}f")}: the exact binary value rounded half to even. */
    static String fixed(double x, int digits) {
        if (Double.isNaN(x)) {
            return "nan";
        }
        return new BigDecimal(x).setScale(digits, RoundingMode.HALF_EVEN).toPlainString();
    }

    private static String right(String s, int width) {
        return s.length() >= width ? s : " ".repeat(width - s.length()) + s;
    }
}
