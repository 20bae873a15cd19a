package dev.dfd;

import java.util.List;

/**
 * What the model says about one image.
 *
 * <pre>{@code
 * Prediction p = detector.predict(detector.decode(bytes), Decision.DEFAULT.withThreshold(0.9));
 * System.out.println(p.label() + ": " + p.positiveLabel() + " score " + p.positiveScore());
 * }</pre>
 *
 * @param label         the decision: the argmax label, or with a threshold, the positive label when its score
 *                      reaches it and otherwise the best other label
 * @param positiveScore the positive label's score (the one a threshold is compared with), whatever the decided
 *                      label; each label's own score is in {@code scores} and {@code predictions}
 * @param positiveLabel the label the score and threshold are about (e.g. "Fake")
 * @param predictions   top-k labels by score, descending, ties in label-id order (the pipeline's list)
 * @param scores        (num_labels) every label's score in id order
 * @param logits        (num_labels) raw model output in id order
 */
public record Prediction(String label, float positiveScore, String positiveLabel, List<LabelScore> predictions,
                         float[] scores, float[] logits) {
    public Prediction {
        predictions = List.copyOf(predictions);
    }
}
