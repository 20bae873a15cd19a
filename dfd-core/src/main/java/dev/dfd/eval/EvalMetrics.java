package dev.dfd.eval;

import java.util.List;

/**
 * Every number an evaluation reports, computed by pure functions from true label ids, predicted label ids and the
 * per-label scores. The binary metrics are about one positive label (one-vs-rest when there are more than two).
 *
 * <pre>{@code
 * EvalMetrics m = Evaluation.run(detector, null, data, mapping, new Evaluation.Options(null, List.of()), null)
 *         .metrics();
 * System.out.println(m.positiveLabel() + " ROC AUC " + m.rocAuc() + ", accuracy " + m.accuracy());
 * }</pre>
 *
 * @param labels           model labels in id order
 * @param positive         id of the positive label
 * @param report           scikit-learn's classification report
 * @param confusion        rows true, columns predicted, label-id order
 * @param rocAuc           ROC AUC of the positive score (NaN with one class only)
 * @param averagePrecision average precision of the positive score
 * @param equalErrorRate   where false positive rate = false negative rate
 * @param tprAtFpr1        highest recall with at most 1% false positives
 * @param tprAtFpr5        highest recall with at most 5% false positives
 * @param logLoss          binary log loss of the positive score
 * @param brier            Brier score of the positive score
 * @param ece              expected calibration error, 10 equal-width bins
 * @param bestF1           the threshold that maximises the positive label's F1
 * @param targetPrecision  the precision asked for, or null
 * @param targetPoint      the lowest threshold reaching it, or null when none does
 * @param roc              ROC curve (every distinct threshold)
 * @param pr               precision-recall curve
 * @param calibration      reliability diagram, 10 bins
 * @param histograms       (labels, HISTOGRAM_BINS) counts of positive scores per true label, bins of width 1/20 on [0, 1]
 */
public record EvalMetrics(List<String> labels, int positive, ClassificationReport report, long[][] confusion,
                          double rocAuc, double averagePrecision, double equalErrorRate, double tprAtFpr1,
                          double tprAtFpr5, double logLoss, double brier, double ece,
                          BinaryMetrics.OperatingPoint bestF1, Double targetPrecision,
                          BinaryMetrics.OperatingPoint targetPoint, BinaryMetrics.Roc roc, BinaryMetrics.PrCurve pr,
                          BinaryMetrics.Calibration calibration, long[][] histograms) {
    public static final int CALIBRATION_BINS = 10;
    public static final int HISTOGRAM_BINS = 20;

    public String positiveLabel() {
        return labels.get(positive);
    }

    public double accuracy() {
        return report.accuracy();
    }

    /** Recall of the positive label. */
    public double positiveRecall() {
        return report.recall()[positive];
    }

    /**
     * @param yTrue  (n) true label ids
     * @param yPred  (n) predicted label ids
     * @param scores (n, labels) scores in label-id order
     */
    public static EvalMetrics compute(List<String> labels, int positive, int[] yTrue, int[] yPred, float[][] scores,
                                      Double targetPrecision) {
        int n = yTrue.length;
        boolean[] isPositive = new boolean[n];
        double[] score = new double[n];
        double[] probability = new double[n];
        long[][] histograms = new long[labels.size()][HISTOGRAM_BINS];
        for (int i = 0; i < n; i++) {
            isPositive[i] = yTrue[i] == positive;
            score[i] = scores[i][positive];
            probability[i] = Math.min(1.0, Math.max(0.0, score[i])); // scores from --function none are not probabilities
            int bin = Math.min(HISTOGRAM_BINS - 1, (int) (probability[i] * HISTOGRAM_BINS));
            histograms[yTrue[i]][bin]++;
        }
        return new EvalMetrics(labels, positive,
                ClassificationReport.of(yTrue, yPred, labels),
                ConfusionMatrix.of(yTrue, yPred, labels.size()),
                BinaryMetrics.rocAuc(isPositive, score),
                BinaryMetrics.averagePrecision(isPositive, score),
                BinaryMetrics.equalErrorRate(isPositive, score),
                BinaryMetrics.tprAtFpr(isPositive, score, 0.01),
                BinaryMetrics.tprAtFpr(isPositive, score, 0.05),
                BinaryMetrics.logLoss(isPositive, probability),
                BinaryMetrics.brier(isPositive, probability),
                BinaryMetrics.expectedCalibrationError(isPositive, probability, CALIBRATION_BINS),
                n == 0 ? null : BinaryMetrics.bestF1(isPositive, score),
                targetPrecision,
                targetPrecision == null ? null : BinaryMetrics.forPrecision(isPositive, score, targetPrecision),
                BinaryMetrics.roc(isPositive, score),
                BinaryMetrics.prCurve(isPositive, score),
                BinaryMetrics.calibration(isPositive, probability, CALIBRATION_BINS),
                histograms);
    }
}
