package dev.dfd.quantize;

import ai.onnx.proto.OnnxMl.TensorProto.DataType;
import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import dev.dfd.graph.OnnxBuilder;
import org.junit.jupiter.api.Test;

import java.math.BigDecimal;
import java.math.RoundingMode;
import java.nio.ByteBuffer;
import java.nio.FloatBuffer;
import java.util.List;
import java.util.Map;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

/**
 * {@link QuantizationMath} against a slow reference written here with BigDecimal (round half to even, as ONNX's
 * QuantizeLinear rounds), and its uint8 quantisation against ONNX Runtime's own QuantizeLinear.
 */
class QuantizationMathTest {
    /** The reference: saturate(round_half_even(x / scale) + zeroPoint) in exact decimal arithmetic of the floats. */
    static long slowQuantize(float x, float scale, long zeroPoint, long lo, long hi) {
        BigDecimal q = new BigDecimal(x).divide(new BigDecimal(scale), 30, RoundingMode.HALF_EVEN)
                .setScale(0, RoundingMode.HALF_EVEN);
        return Math.max(lo, Math.min(hi, q.longValueExact() + zeroPoint));
    }

    @Test
    void convWeightsGetOneSymmetricScalePerOutputChannel() {
        int out = 5;
        int per = 3 * 3 * 3; // (out, in 3, 3, 3)
        Random r = new Random(1);
        float[] w = new float[out * per];
        for (int i = 0; i < w.length; i++) {
            w[i] = (float) (r.nextGaussian() * (1 + i / per)); // a different magnitude per channel
        }
        for (int i = per * 4; i < per * 5; i++) {
            w[i] = 0; // an all-zero channel
        }
        for (int qmax : new int[]{QuantizationMath.INT8_MAX, QuantizationMath.INT8_MAX_REDUCED}) {
            QuantizationMath.ChannelWeights q = QuantizationMath.symmetricPerChannel(w, 1, out, per, qmax);
            for (int c = 0; c < out; c++) {
                float max = 0;
                for (int i = 0; i < per; i++) {
                    max = Math.max(max, Math.abs(w[c * per + i]));
                }
                float scale = max == 0 ? 1f : max / qmax;
                assertEquals(scale, q.scales()[c], "channel " + c);
                for (int i = 0; i < per; i++) {
                    int k = c * per + i;
                    assertEquals(slowQuantize(w[k], scale, 0, -qmax, qmax), q.values()[k], "weight " + k);
                }
            }
            // the largest weight of each non-zero channel is exactly +-qmax
            for (int c = 0; c < 4; c++) {
                int extreme = 0;
                for (int i = 0; i < per; i++) {
                    extreme = Math.max(extreme, Math.abs(q.values()[c * per + i]));
                }
                assertEquals(qmax, extreme);
            }
        }
    }

    @Test
    void matMulWeightsGetOneScalePerOutputColumn() {
        int in = 4;
        int columns = 3; // (in, out) row-major: channel c is every 3rd value
        float[] w = {0.5f, -8f, 1f,
                -1f, 2f, 0.25f,
                0.126f, 4f, -0.5f,
                0.3f, -1f, 0.75f};
        QuantizationMath.ChannelWeights q = QuantizationMath.symmetricPerChannel(w, in, columns, 1, 127);
        assertArrayEquals(new float[]{1f / 127, 8f / 127, 1f / 127}, q.scales());
        for (int i = 0; i < w.length; i++) {
            assertEquals(slowQuantize(w[i], q.scales()[i % columns], 0, -127, 127), q.values()[i], "weight " + i);
        }
        assertEquals(-127, q.values()[1]);
        assertEquals(32, q.values()[4]); // row 1, column 1: 2 / (8 / 127) = 31.75
    }

    @Test
    void roundsHalfToEvenAndSaturates() {
        QuantizationMath.ActivationParams p = new QuantizationMath.ActivationParams(0.5f, 10);
        assertEquals(10, QuantizationMath.quantizeUint8(0.25f, p)); // 0.5 -> 0
        assertEquals(12, QuantizationMath.quantizeUint8(0.75f, p)); // 1.5 -> 2
        assertEquals(12, QuantizationMath.quantizeUint8(1.25f, p)); // 2.5 -> 2
        assertEquals(10, QuantizationMath.quantizeUint8(-0.25f, p)); // -0.5 -> 0
        assertEquals(255, QuantizationMath.quantizeUint8(200f, p));
        assertEquals(0, QuantizationMath.quantizeUint8(-200f, p));
        QuantizationMath.ChannelWeights w = QuantizationMath.symmetricPerChannel(
                new float[]{127f, 0.5f, 1.5f, -2.5f, -127f}, 1, 1, 5, 127); // scale exactly 1
        assertArrayEquals(new byte[]{127, 0, 2, -2, -127}, w.values());
        QuantizationMath.ChannelWeights reduced = QuantizationMath.symmetricPerChannel(
                new float[]{63f, 31.5f, -63f}, 1, 1, 3, 63);
        assertArrayEquals(new byte[]{63, 32, -63}, reduced.values());
    }

    @Test
    void activationParametersCoverTheRangeAndZero() {
        QuantizationMath.ActivationParams relu = QuantizationMath.uint8Asymmetric(0f, 6.375f);
        assertEquals(0, relu.zeroPoint()); // after a ReLU: zero point 0, so quantising clamps negatives to 0
        assertEquals(6.375f / 255, relu.scale());
        assertEquals(0, QuantizationMath.quantizeUint8(-3f, relu));
        assertEquals(255, QuantizationMath.quantizeUint8(100f, relu));

        QuantizationMath.ActivationParams positive = QuantizationMath.uint8Asymmetric(2f, 5f);
        assertEquals(0f, positive.min()); // widened to include 0
        assertEquals(5f, positive.max(), 1e-6);

        QuantizationMath.ActivationParams negative = QuantizationMath.uint8Asymmetric(-4f, -1f);
        assertEquals(255, negative.zeroPoint());

        QuantizationMath.ActivationParams pixels = QuantizationMath.uint8Asymmetric(-1f, 1f);
        assertEquals(2f / 255, pixels.scale());
        assertEquals(slowQuantize(1f, 2f / 255, 0, 0, 255), pixels.zeroPoint()); // 1 / (2 / 255) in float32
        float zero = (QuantizationMath.quantizeUint8(0f, pixels) - pixels.zeroPoint()) * pixels.scale();
        assertEquals(0f, zero); // 0 is exact

        Random r = new Random(3);
        for (int i = 0; i < 1000; i++) {
            float lo = (float) (-r.nextDouble() * 10);
            float hi = (float) (r.nextDouble() * 10);
            QuantizationMath.ActivationParams q = QuantizationMath.uint8Asymmetric(lo, hi);
            assertEquals((hi - lo) / 255, q.scale(), 1e-6);
            assertEquals(slowQuantize(-lo, q.scale(), 0, 0, 255), q.zeroPoint());
            float x = (float) (lo + r.nextDouble() * (hi - lo));
            assertEquals(slowQuantize(x, q.scale(), q.zeroPoint(), 0, 255), QuantizationMath.quantizeUint8(x, q));
        }

        QuantizationMath.ActivationParams constant = QuantizationMath.uint8Asymmetric(0f, 0f);
        assertEquals(1f, constant.scale());
        assertThrows(IllegalArgumentException.class, () -> QuantizationMath.uint8Asymmetric(1f, Float.NaN));
        assertThrows(IllegalArgumentException.class, () -> QuantizationMath.uint8Asymmetric(2f, 1f));
    }

    @Test
    void biasIsInt32AtTheAccumulatorScale() {
        float xScale = 0.02f;
        float[] wScales = {0.01f, 0.5f, 1e-9f};
        float[] bias = {0.3f, -2.4999f, 1e6f};
        int[] q = QuantizationMath.int32Bias(bias, xScale, wScales);
        for (int c = 0; c < bias.length; c++) {
            assertEquals(slowQuantize(bias[c], xScale * wScales[c], 0, Integer.MIN_VALUE, Integer.MAX_VALUE), q[c]);
        }
        assertEquals(Integer.MAX_VALUE, q[2]); // 1e6 / 2e-11 saturates
    }

    /** Our quantisation of activations is ONNX Runtime's QuantizeLinear, value for value. */
    @Test
    void agreesWithOnnxRuntimesQuantizeLinear() throws OrtException {
        Random r = new Random(9);
        float[] x = new float[4096];
        for (int i = 0; i < x.length; i++) {
            x[i] = (float) (r.nextGaussian() * 3);
        }
        x[0] = 0.5f * 0.0625f; // exact halves: round to even
        x[1] = 1.5f * 0.0625f;
        x[2] = -2.5f * 0.0625f;
        for (QuantizationMath.ActivationParams p : List.of(new QuantizationMath.ActivationParams(0.0625f, 128),
                QuantizationMath.uint8Asymmetric(-2.7f, 5.1f), QuantizationMath.uint8Asymmetric(0f, 3f))) {
            OnnxBuilder g = new OnnxBuilder("quantize");
            g.input("x", DataType.FLOAT, new long[]{x.length});
            g.nodeWithOutputs("QuantizeLinear", List.of("x", g.floats("s", new float[]{p.scale()}),
                    g.uint8s("z", new byte[]{(byte) p.zeroPoint()})), List.of("q"));
            g.output("q", DataType.UINT8, new long[]{x.length});
            OrtEnvironment env = OrtEnvironment.getEnvironment();
            try (OrtSession.SessionOptions so = new OrtSession.SessionOptions()) {
                so.setIntraOpNumThreads(1);
                try (OrtSession s = env.createSession(g.build("test", Map.of()).toByteArray(), so);
                     OnnxTensor t = OnnxTensor.createTensor(env, FloatBuffer.wrap(x), new long[]{x.length});
                     OrtSession.Result res = s.run(Map.of("x", t))) {
                    ByteBuffer q = ((OnnxTensor) res.get(0)).getByteBuffer();
                    for (int i = 0; i < x.length; i++) {
                        assertEquals(QuantizationMath.quantizeUint8(x[i], p), q.get(i) & 0xFF, "x = " + x[i]);
                    }
                }
            }
        }
    }
}
