package dev.dfd.eval;

/**
 * scikit-learn's confusion matrix: rows are true labels, columns predicted labels, both in label-id order.
 *
 * <pre>{@code
 * long[][] m = ConfusionMatrix.of(new int[] {0, 1, 1}, new int[] {0, 0, 1}, 2);   // {{1, 0}, {1, 1}}
 * }</pre>
 */
public final class ConfusionMatrix {
    private ConfusionMatrix() {
    }

    public static long[][] of(int[] yTrue, int[] yPred, int numLabels) {
        long[][] cm = new long[numLabels][numLabels];
        for (int i = 0; i < yTrue.length; i++) {
            if (yTrue[i] < 0 || yTrue[i] >= numLabels || yPred[i] < 0 || yPred[i] >= numLabels) {
                throw new IllegalArgumentException("label out of range 0.." + (numLabels - 1) + " at " + i);
            }
            cm[yTrue[i]][yPred[i]]++;
        }
        return cm;
    }
}
