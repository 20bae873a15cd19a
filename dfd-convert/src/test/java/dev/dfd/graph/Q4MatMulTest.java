package dev.dfd.graph;

import ai.onnx.proto.OnnxMl.TensorProto.DataType;
import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import dev.dfd.DfdException;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.api.Test;

import java.nio.FloatBuffer;
import java.util.List;
import java.util.Map;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@link Q4MatMul}'s packing against ONNX Runtime's MatMulNBits: a one-node graph run by ONNX Runtime gives what a
 * plain double-precision matmul of {@link Q4MatMul#dequantize} gives (so ONNX Runtime reads the codes, scales and
 * zero points where we put them), and the dequantised weights are within the quantisation step of the originals.
 */
class Q4MatMulTest {
    @ParameterizedTest(name = "K={0} N={1} block={2} symmetric={3}")
    @CsvSource({"64, 24, 32, true", "64, 24, 32, false", "48, 7, 32, true", "48, 7, 32, false",
            "100, 9, 16, true", "100, 9, 64, false", "768, 40, 32, true", "37, 5, 128, false"})
    void onnxRuntimeComputesTheDequantisedProduct(int k, int n, int blockSize, boolean symmetric) throws OrtException {
        Random r = new Random(k * 31L + n);
        float[] w = new float[k * n]; // (K, N)
        for (int i = 0; i < w.length; i++) {
            w[i] = (float) (r.nextGaussian() * 0.1 + (symmetric ? 0 : 0.05)); // off-centre blocks for zero points
        }
        Q4Options o = new Q4Options(blockSize, symmetric, 0);
        Q4MatMul.Packed p = Q4MatMul.quantize(w, k, n, o);
        int blocks = (k + blockSize - 1) / blockSize;
        assertEquals(n * blocks * blockSize / 2, p.b().length);
        assertEquals(n * blocks, p.scales().length);
        if (symmetric) {
            assertEquals(null, p.zeroPoints()); // ONNX Runtime's default, 8
        } else {
            assertEquals(n * ((blocks + 1) / 2), p.zeroPoints().length);
        }

        float[] dq = Q4MatMul.dequantize(p);
        for (int i = 0; i < k; i++) {
            for (int c = 0; c < n; c++) {
                float scale = Math.abs(p.scales()[c * blocks + i / blockSize]);
                // round-to-nearest is within half a step; symmetric clamps +8 steps to +7, a whole step
                double bound = (symmetric ? 1.0 : 0.5) * scale + 1e-6;
                assertTrue(Math.abs(dq[i * n + c] - w[i * n + c]) <= bound,
                        "w[" + i + "][" + c + "] " + w[i * n + c] + " dequantised " + dq[i * n + c]);
            }
        }

        int rows = 6; // as (2, 3, K): MatMulNBits takes the leading axes as rows
        float[] x = new float[rows * k];
        for (int i = 0; i < x.length; i++) {
            x[i] = (float) r.nextGaussian();
        }
        float[] got = run(p, x, new long[]{2, 3, k});
        double max = 0;
        for (int row = 0; row < rows; row++) {
            for (int c = 0; c < n; c++) {
                double want = 0; // the slow reference: a plain matmul with the dequantised weights
                for (int i = 0; i < k; i++) {
                    want += (double) x[row * k + i] * dq[i * n + c];
                }
                max = Math.max(max, Math.abs(want - got[row * n + c]));
            }
        }
        assertTrue(max <= 2e-5, "ONNX Runtime's MatMulNBits vs the dequantised matmul: max |diff| " + max);
    }

    @Test
    void packsTheEvenElementInTheLowNibble() {
        float[] w = new float[32]; // K = 32, N = 1: one block
        for (int i = 0; i < 32; i++) {
            w[i] = i % 2 == 0 ? -8 : 7; // scale -8 / -8 = 1, codes 0 (even) and 15 (odd)
        }
        Q4MatMul.Packed p = Q4MatMul.quantize(w, 32, 1, Q4Options.DEFAULT);
        assertEquals(1f, p.scales()[0]);
        for (byte b : p.b()) {
            assertEquals((byte) 0xF0, b);
        }
        assertArrayEquals(w, Q4MatMul.dequantize(p));
    }

    @Test
    void rejectsBlockSizesOnnxRuntimeDoesNot() {
        assertThrows(DfdException.class, () -> new Q4Options(8, true, 0));
        assertThrows(DfdException.class, () -> new Q4Options(48, true, 0));
        assertThrows(DfdException.class, () -> new Q4Options(32, true, 5));
    }

    private static float[] run(Q4MatMul.Packed p, float[] x, long[] shape) throws OrtException {
        OnnxBuilder g = new OnnxBuilder("q4_matmul");
        g.input("x", DataType.FLOAT, new long[]{shape[0], shape[1], shape[2]});
        String y = Q4MatMul.node(g, "x", "w", p, 0);
        g.nodeWithOutputs("Identity", List.of(y), List.of("y"));
        g.output("y", DataType.FLOAT, new long[]{shape[0], shape[1], p.n()});
        OrtEnvironment env = OrtEnvironment.getEnvironment();
        try (OrtSession.SessionOptions so = new OrtSession.SessionOptions()) {
            so.setIntraOpNumThreads(1);
            try (OrtSession s = env.createSession(g.build("test", Map.of()).toByteArray(), so);
                 OnnxTensor t = OnnxTensor.createTensor(env, FloatBuffer.wrap(x), shape);
                 OrtSession.Result res = s.run(Map.of("x", t))) {
                float[][][] out = (float[][][]) res.get(0).getValue();
                float[] flat = new float[x.length / p.k() * p.n()];
                int i = 0;
                for (float[][] a : out) {
                    for (float[] b : a) {
                        for (float v : b) {
                            flat[i++] = v;
                        }
                    }
                }
                return flat;
            }
        }
    }
}
