package dev.dfd.internal.report;

import dev.dfd.eval.BinaryMetrics.OperatingPoint;
import dev.dfd.eval.EvalMetrics;
import dev.dfd.eval.Evaluation;

import java.util.List;
import java.util.Locale;
import java.util.stream.Collectors;

/**
 * The evaluation as text for a terminal. It opens with scikit-learn's classification report, the confusion matrix
 * as NumPy prints it and the ROC AUC, in the same form as Python's reference scripts print them, then the other
 * metrics, the thresholds and the robustness table.
 */
public final class TextReport {
    private TextReport() {
    }

    public static String render(Evaluation.Result result, int digits) {
        String text = render(result.metrics(), result.robustness(), digits);
        if (result.noFace().isEmpty()) {
            return text;
        }
        return text + "\nNo face found in " + result.noFace().size() + " images (no verdict; excluded from the"
                + " metrics above, never counted as Real)\n";
    }

    /** The same text from metrics alone (distributed evaluation has no local {@link Evaluation.Result}). */
    public static String render(EvalMetrics m, List<Evaluation.RobustnessRow> robustness, int digits) {
        StringBuilder sb = new StringBuilder();
        sb.append(m.report().format(digits)).append('\n');
        sb.append("Confusion matrix (rows = true, columns = predicted; order ")
                .append(m.labels().stream().map(l -> "'" + l + "'").collect(Collectors.joining(", ", "[", "]")))
                .append("):\n");
        sb.append(numpyMatrix(m.confusion())).append('\n');
        sb.append("ROC AUC (positive = ").append(m.positiveLabel()).append("): ").append(f(m.rocAuc(), 4)).append('\n');
        sb.append('\n');
        sb.append(String.format(Locale.ROOT, "%-30s %s%n", "Average precision", f(m.averagePrecision(), 4)));
        sb.append(String.format(Locale.ROOT, "%-30s %s%n", "Equal error rate", f(m.equalErrorRate(), 4)));
        sb.append(String.format(Locale.ROOT, "%-30s %s%n", m.positiveLabel() + " recall at 1% FPR", f(m.tprAtFpr1(), 4)));
        sb.append(String.format(Locale.ROOT, "%-30s %s%n", m.positiveLabel() + " recall at 5% FPR", f(m.tprAtFpr5(), 4)));
        sb.append(String.format(Locale.ROOT, "%-30s %s%n", "Log loss", f(m.logLoss(), 4)));
        sb.append(String.format(Locale.ROOT, "%-30s %s%n", "Brier score", f(m.brier(), 4)));
        sb.append(String.format(Locale.ROOT, "%-30s %s%n", "Expected calibration error", f(m.ece(), 4)));
        if (m.bestF1() != null) {
            sb.append(String.format(Locale.ROOT, "%-30s %s%n", "Threshold for best F1", point(m.bestF1())));
        }
        if (m.targetPrecision() != null) {
            String label = "Threshold for precision " + f(m.targetPrecision(), 4);
            if (m.targetPoint() != null) {
                sb.append(String.format(Locale.ROOT, "%-30s %s%n", label, point(m.targetPoint())));
            } else {
                sb.append(String.format(Locale.ROOT, "%-30s none: no threshold reaches precision %s for %s on this"
                        + " data%n", label, f(m.targetPrecision(), 4), m.positiveLabel()));
            }
        }
        if (!robustness.isEmpty()) {
            sb.append('\n').append(robustness(robustness, m.positiveLabel()));
        }
        return sb.toString();
    }

    private static String point(OperatingPoint p) {
        return String.format(Locale.ROOT, "%s (precision %s, recall %s, F1 %s, FPR %s)", f(p.threshold(), 4),
                f(p.precision(), 4), f(p.recall(), 4), f(p.f1(), 4), f(p.fpr(), 4));
    }

    static String robustness(List<Evaluation.RobustnessRow> rows, String positive) {
        StringBuilder sb = new StringBuilder("Robustness (each perturbation applied to every image before"
                + " preprocessing):\n");
        String recall = positive + " recall";
        int w = Math.max(9, recall.length());
        sb.append(String.format(Locale.ROOT, "%-16s %9s %9s %" + w + "s %s%n", "perturbation", "accuracy", "ROC AUC",
                recall, "images"));
        for (Evaluation.RobustnessRow r : rows) {
            sb.append(String.format(Locale.ROOT, "%-16s %9s %9s %" + w + "s %d%s%n", r.perturbation(), f(r.accuracy(), 4),
                    f(r.rocAuc(), 4), f(r.positiveRecall(), 4), r.evaluated(),
                    r.failed() > 0 ? " (" + r.failed() + " failed)" : ""));
        }
        return sb.toString();
    }

    /** NumPy's repr of a 2-D integer array: elements right-aligned to the widest. */
    static String numpyMatrix(long[][] m) {
        int width = 1;
        for (long[] row : m) {
            for (long v : row) {
                width = Math.max(width, Long.toString(v).length());
            }
        }
        StringBuilder sb = new StringBuilder("[");
        for (int i = 0; i < m.length; i++) {
            sb.append(i == 0 ? "[" : " [");
            for (int j = 0; j < m[i].length; j++) {
                String v = Long.toString(m[i][j]);
                sb.append(j == 0 ? "" : " ").append(" ".repeat(width - v.length())).append(v);
            }
            sb.append(i == m.length - 1 ? "]]" : "]\n");
        }
        return sb.toString();
    }

    /** A number to {@code digits} places like Python's format (half-even on the exact value); "undefined" for NaN. */
    public static String f(double v, int digits) {
        if (Double.isNaN(v)) {
            return "undefined";
        }
        return new java.math.BigDecimal(v).setScale(digits, java.math.RoundingMode.HALF_EVEN).toPlainString();
    }
}
