package dev.dfd;

/**
 * How one call turns a model's scores into a verdict: a per-call choice over the same loaded model (no new
 * session). Every field may be null, meaning the model's default (see {@link Detector#model()}).
 *
 * <pre>{@code
 * Decision strict = Decision.DEFAULT.withThreshold(0.9);          // Fake only when its score >= 0.9
 * Detection d = detector.detect(Path.of("photo.jpg"), strict);
 * }</pre>
 *
 * @param topK          predictions listed per image, capped at the number of labels (null: 5, as the pipeline)
 * @param function      how logits become scores (null: the pipeline's choice for the model)
 * @param positiveLabel the label the score and threshold are about (null: the label that reads Fake, Deepfake,
 *                      AI, Synthetic..., else label 1)
 * @param threshold     call an image positive when its positive-label score is at least this (null: the top label
 *                      wins); within [0, 1] unless {@code function} is {@code none}
 * @param faces         whether the model judges each face found in the image or the whole image (null: {@link
 *                      Faces#AUTO}, faces when the model directory declares face input in dfd_faces.json)
 */
public record Decision(Integer topK, ScoreFunction function, String positiveLabel, Double threshold, Faces faces) {
    /** The model's defaults: top 5, the pipeline's score function, the Fake-like label, argmax. */
    public static final Decision DEFAULT = new Decision(null, null, null, null, null);

    /** Which regions of an image the model judges. */
    public enum Faces {
        /** Faces when the model declares face input (dfd_faces.json), else the whole image. */
        AUTO,
        /** Every face found, cut as the model declares (or as the default model's crops when it declares none). */
        ON,
        /** The whole image, as transformers' pipeline feeds it. */
        OFF;

        /** auto, on or off. */
        public static Faces parse(String s) {
            try {
                return valueOf(s.trim().toUpperCase(java.util.Locale.ROOT));
            } catch (IllegalArgumentException e) {
                throw new DfdException("unknown faces setting '" + s + "', expected auto, on or off");
            }
        }
    }

    /** A decision without a faces setting (the detector's default applies). */
    public Decision(Integer topK, ScoreFunction function, String positiveLabel, Double threshold) {
        this(topK, function, positiveLabel, threshold, null);
    }

    /** top_k when none is given, as transformers' pipeline. */
    public static final int DEFAULT_TOP_K = 5;

    public Decision {
        if (topK != null && topK < 1) {
            throw new DfdException("top-k must be at least 1, got " + topK);
        }
        if (threshold != null) {
            if (!Double.isFinite(threshold)) {
                throw new DfdException("threshold must be a finite number, got " + threshold);
            }
            if (function != ScoreFunction.NONE && (threshold < 0 || threshold > 1)) {
                throw new DfdException("threshold must be within [0, 1] (it is compared with a score), got "
                        + threshold);
            }
        }
        if (positiveLabel != null && positiveLabel.isBlank()) {
            positiveLabel = null;
        }
    }

    public Decision withTopK(Integer k) {
        return new Decision(k, function, positiveLabel, threshold, faces);
    }

    public Decision withFunction(ScoreFunction f) {
        return new Decision(topK, f, positiveLabel, threshold, faces);
    }

    public Decision withPositiveLabel(String label) {
        return new Decision(topK, function, label, threshold, faces);
    }

    public Decision withThreshold(Double t) {
        return new Decision(topK, function, positiveLabel, t, faces);
    }

    public Decision withFaces(Faces f) {
        return new Decision(topK, function, positiveLabel, threshold, f);
    }

    /** These settings over {@code base}: each field set here wins. */
    public Decision over(Decision base) {
        return new Decision(topK != null ? topK : base.topK, function != null ? function : base.function,
                positiveLabel != null ? positiveLabel : base.positiveLabel,
                threshold != null ? threshold : base.threshold, faces != null ? faces : base.faces);
    }
}
