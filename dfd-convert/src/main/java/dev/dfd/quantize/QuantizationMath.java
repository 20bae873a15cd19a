package dev.dfd.quantize;

/**
 * The arithmetic of static int8 quantisation, as ONNX's QuantizeLinear defines it:
 * {@code q = saturate(round_half_to_even(x / scale) + zero_point)}, {@code x' = (q - zero_point) * scale}.
 * Weights are int8, symmetric (zero point 0) with one scale per output channel; activations uint8, asymmetric, one
 * scale and zero point per tensor; a convolution's bias int32 at scale {@code input_scale * weight_scale[channel]},
 * the scale of the int32 accumulator, so QLinearConv adds it without rescaling.
 */
public final class QuantizationMath {
    /** int8 weights use -127..127: a symmetric range, so -128 never occurs and negation cannot overflow. */
    public static final int INT8_MAX = 127;
    /** 7-bit weights for AVX2 CPUs without VNNI, whose u8 x s8 multiply-adds saturate at 16 bits. */
    public static final int INT8_MAX_REDUCED = 63;
    public static final int UINT8_MAX = 255;

    private QuantizationMath() {
    }

    /**
     * Per-channel symmetric int8 weights.
     *
     * @param values int8 codes, laid out as the float weights were
     * @param scales one per channel, {@code max |w| / qmax} (1 for an all-zero channel)
     */
    public record ChannelWeights(byte[] values, float[] scales) {
    }

    /**
     * One uint8 scale and zero point for an activation tensor.
     *
     * @param scale     the real value of one step, positive
     * @param zeroPoint the code of the real value 0, in 0..255
     */
    public record ActivationParams(float scale, int zeroPoint) {
        public ActivationParams {
            if (!(scale > 0) || Float.isInfinite(scale)) {
                throw new IllegalArgumentException("scale must be positive and finite, got " + scale);
            }
            if (zeroPoint < 0 || zeroPoint > UINT8_MAX) {
                throw new IllegalArgumentException("uint8 zero point must be in 0..255, got " + zeroPoint);
            }
        }

        /** The smallest and largest real values the codes 0 and 255 stand for. */
        public float min() {
            return -zeroPoint * scale;
        }

        public float max() {
            return (UINT8_MAX - zeroPoint) * scale;
        }
    }

    /**
     * Symmetric int8 per channel for weights laid out (outer, channels, inner), row-major: a Conv weight
     * (out, in / groups, kh, kw) is (1, out, in / groups * kh * kw); a MatMul weight (in, out) is (in, out, 1).
     *
     * @param qmax {@link #INT8_MAX}, or {@link #INT8_MAX_REDUCED} for 7-bit weights
     */
    public static ChannelWeights symmetricPerChannel(float[] weights, int outer, int channels, int inner, int qmax) {
        if ((long) outer * channels * inner != weights.length) {
            throw new IllegalArgumentException(weights.length + " weights, expected " + outer + " x " + channels
                    + " x " + inner);
        }
        float[] scales = new float[channels];
        for (int o = 0; o < outer; o++) {
            for (int c = 0; c < channels; c++) {
                int base = (o * channels + c) * inner;
                for (int i = 0; i < inner; i++) {
                    scales[c] = Math.max(scales[c], Math.abs(weights[base + i]));
                }
            }
        }
        for (int c = 0; c < channels; c++) {
            scales[c] = scales[c] == 0 ? 1f : scales[c] / qmax;
        }
        byte[] q = new byte[weights.length];
        for (int o = 0; o < outer; o++) {
            for (int c = 0; c < channels; c++) {
                int base = (o * channels + c) * inner;
                for (int i = 0; i < inner; i++) {
                    q[base + i] = (byte) saturate(Math.rint(weights[base + i] / scales[c]), -qmax, qmax);
                }
            }
        }
        return new ChannelWeights(q, scales);
    }

    /**
     * uint8 parameters covering [min, max] widened to include 0 (zero must be exact: padding and ReLU produce it), as
     * ONNX Runtime's calibrators compute them: {@code scale = (max - min) / 255}, {@code zero_point = round(-min / scale)}.
     * A ReLU output (min 0) gets zero point 0, so the quantiser itself clamps negatives as the ReLU would.
     */
    public static ActivationParams uint8Asymmetric(float min, float max) {
        if (Float.isNaN(min) || Float.isNaN(max) || Float.isInfinite(min) || Float.isInfinite(max) || min > max) {
            throw new IllegalArgumentException("activation range [" + min + ", " + max + "] is not a finite interval");
        }
        float lo = Math.min(min, 0f);
        float hi = Math.max(max, 0f);
        float scale = (hi - lo) / UINT8_MAX;
        if (scale == 0) {
            return new ActivationParams(1f, 0); // a tensor that is always 0
        }
        int zeroPoint = (int) saturate(Math.rint(-lo / scale), 0, UINT8_MAX);
        return new ActivationParams(scale, zeroPoint);
    }

    /** QuantizeLinear of one value to uint8. */
    public static int quantizeUint8(float x, ActivationParams p) {
        return (int) saturate(Math.rint(x / p.scale()) + p.zeroPoint(), 0, UINT8_MAX);
    }

    /** A Conv or MatMul bias as int32 at the accumulator's per-channel scale {@code inputScale * weightScales[c]}. */
    public static int[] int32Bias(float[] bias, float inputScale, float[] weightScales) {
        if (bias.length != weightScales.length) {
            throw new IllegalArgumentException(bias.length + " biases for " + weightScales.length + " channels");
        }
        int[] q = new int[bias.length];
        for (int c = 0; c < bias.length; c++) {
            float scale = inputScale * weightScales[c]; // float32, as ONNX Runtime multiplies them
            q[c] = (int) saturate(Math.rint(bias[c] / scale), Integer.MIN_VALUE, Integer.MAX_VALUE);
        }
        return q;
    }

    private static double saturate(double v, double lo, double hi) {
        return Math.max(lo, Math.min(hi, v));
    }
}
