package dev.dfd.quantize;

/**
 * The smallest and largest value a float tensor took over the calibration images.
 *
 * @param min the minimum over every element of every calibration batch
 * @param max the maximum likewise
 */
public record ActivationRange(float min, float max) {
    public ActivationRange {
        if (Float.isNaN(min) || Float.isNaN(max) || min > max) {
            throw new IllegalArgumentException("range [" + min + ", " + max + "] is not an interval");
        }
    }

    /** The range of {@code values}; the caller has at least one value. */
    public static ActivationRange of(float[] values) {
        float lo = Float.POSITIVE_INFINITY;
        float hi = Float.NEGATIVE_INFINITY;
        for (float v : values) {
            lo = Math.min(lo, v);
            hi = Math.max(hi, v);
        }
        return new ActivationRange(lo, hi);
    }

    /** The range covering both. */
    public ActivationRange union(ActivationRange other) {
        return new ActivationRange(Math.min(min, other.min), Math.max(max, other.max));
    }
}
