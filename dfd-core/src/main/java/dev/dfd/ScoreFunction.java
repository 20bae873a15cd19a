package dev.dfd;

import dev.dfd.internal.model.ModelConfig;

import java.util.Locale;

/**
 * How logits become scores, as transformers' image-classification pipeline computes them in float32.
 *
 * <pre>{@code
 * float[] scores = ScoreFunction.SOFTMAX.apply(new float[] {1.5f, -0.5f});   // {0.881, 0.119}
 * Decision d = Decision.DEFAULT.withFunction(ScoreFunction.parse("sigmoid"));
 * }</pre>
 */
public enum ScoreFunction {
    SOFTMAX, SIGMOID, NONE;

    /**
     * The pipeline's default: sigmoid for multi-label models or a single label, softmax for single-label models or
     * more than one label, else none.
     */
    public static ScoreFunction defaultFor(ModelConfig config) {
        if ("multi_label_classification".equals(config.problemType()) || config.numLabels() == 1) {
            return SIGMOID;
        }
        if ("single_label_classification".equals(config.problemType()) || config.numLabels() > 1) {
            return SOFTMAX;
        }
        return NONE;
    }

    public static ScoreFunction parse(String name) {
        try {
            return valueOf(name.trim().toUpperCase(Locale.ROOT));
        } catch (IllegalArgumentException e) {
            throw new dev.dfd.DfdException("unknown score function '" + name + "', expected softmax, sigmoid or none");
        }
    }

    /** Scores for one image's logits; a new array. */
    public float[] apply(float[] logits) {
        float[] s = new float[logits.length];
        switch (this) {
            case SOFTMAX -> {
                // numpy: maxes, exp(x - max), divided by their float32 sum
                float max = Float.NEGATIVE_INFINITY;
                for (float v : logits) {
                    max = Math.max(max, v);
                }
                float sum = 0f;
                for (int i = 0; i < logits.length; i++) {
                    s[i] = (float) Math.exp(logits[i] - max);
                    sum += s[i];
                }
                for (int i = 0; i < s.length; i++) {
                    s[i] = s[i] / sum;
                }
            }
            case SIGMOID -> {
                for (int i = 0; i < logits.length; i++) {
                    s[i] = (float) (1.0f / (1.0f + (float) Math.exp(-logits[i])));
                }
            }
            case NONE -> System.arraycopy(logits, 0, s, 0, logits.length);
        }
        return s;
    }

    public String id() {
        return name().toLowerCase(Locale.ROOT);
    }
}
