package dev.dfd.quantize;

import ai.onnx.proto.OnnxMl.TensorProto.DataType;
import ai.onnx.proto.OnnxMl;
import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import dev.dfd.graph.OnnxBuilder;
import dev.dfd.internal.model.PixelBatch;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.FloatBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.stream.Collectors;

import static dev.dfd.graph.OnnxBuilder.attr;
import static dev.dfd.graph.OnnxBuilder.attrs;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A small residual CNN built here (conv 3x3 -> ReLU -> conv 1x1, + the ReLU output, ReLU, global average pool,
 * flatten, linear), its ranges measured by {@link Calibrator} against plain-loop min/max, and its QDQ graph run by
 * ONNX Runtime against the quantised network computed here in double precision from {@link QuantizationMath}.
 */
class QdqQuantizerTest {
    static final int B = 3;
    static final int C = 4;
    static final int H = 7;
    static final int W = 6;
    static final int LABELS = 2;

    final Random random = new Random(11);
    final float[] w1 = gaussian(C * 3 * 3 * 3, 0.4); // (C, 3, 3, 3)
    final float[] b1 = gaussian(C, 0.2);
    final float[] w2 = gaussian(C * C, 0.5); // (C, C, 1, 1)
    final float[] b2 = gaussian(C, 0.2);
    final float[] fc = gaussian(C * LABELS, 1.0); // (C, LABELS), as MatMul takes it
    final float[] fcBias = {0.1f, -0.2f};

    @TempDir
    Path tmp;

    private float[] gaussian(int n, double std) {
        float[] v = new float[n];
        for (int i = 0; i < n; i++) {
            v[i] = (float) (random.nextGaussian() * std);
        }
        return v;
    }

    private OnnxMl.ModelProto model() {
        OnnxBuilder g = new OnnxBuilder("small_residual_cnn");
        g.input("pixel_values", DataType.FLOAT, new long[]{-1, 3, H, W}, "batch");
        String conv1 = g.node("Conv", "conv1", List.of("pixel_values", g.floats("w1", w1, C, 3, 3, 3),
                g.floats("b1", b1, C)), attrs("kernel_shape", 3, 3), attrs("pads", 1, 1, 1, 1));
        String r = g.node("Relu", "r", List.of(conv1));
        String c2 = g.node("Conv", "c2", List.of(r, g.floats("w2", w2, C, C, 1, 1), g.floats("b2", b2, C)),
                attrs("kernel_shape", 1, 1));
        String s = g.node("Relu", "s", List.of(g.node("Add", "sum", List.of(c2, r))));
        String gap = g.node("GlobalAveragePool", "gap", List.of(s));
        String flat = g.node("Flatten", "flat", List.of(gap), attr("axis", 1L));
        String y = g.node("Add", "y", List.of(g.node("MatMul", "mm", List.of(flat, g.floats("fc", fc, C, LABELS))),
                g.floats("fc_bias", fcBias, LABELS)));
        g.nodeWithOutputs("Identity", List.of(y), List.of("logits"));
        g.output("logits", DataType.FLOAT, new long[]{-1, LABELS}, "batch");
        return g.build("test", Map.of());
    }

    private List<PixelBatch> batches(int n, long seed) {
        Random r = new Random(seed);
        List<PixelBatch> out = new ArrayList<>();
        for (int k = 0; k < n; k++) {
            float[] x = new float[B * 3 * H * W];
            for (int i = 0; i < x.length; i++) {
                x[i] = (float) (r.nextDouble() * 2 - 1);
            }
            out.add(new PixelBatch(x, B, 3, H, W));
        }
        return out;
    }

    @Test
    void plansTheTensorsAroundConvAddAndPool() {
        assertEquals(List.of("pixel_values", "r", "c2", "s", "gap"), QdqQuantizer.tensorsToCalibrate(model()));
    }

    @Test
    void calibrationRangesAreTheBruteForceMinMax() {
        List<PixelBatch> batches = batches(4, 1);
        Map<String, ActivationRange> ranges = Calibrator.minMax(model(), QdqQuantizer.tensorsToCalibrate(model()),
                batches, 1);
        float[][] expected = new float[5][]; // pixel_values, r, c2, s, gap: {min, max}
        for (int i = 0; i < 5; i++) {
            expected[i] = new float[]{Float.POSITIVE_INFINITY, Float.NEGATIVE_INFINITY};
        }
        for (PixelBatch b : batches) {
            for (int n = 0; n < B; n++) {
                double[][][] x = image(b.data(), n);
                double[][][] r = relu(conv(x, w1, b1, 3, 1));
                double[][][] c2 = conv(r, w2, b2, 1, 0);
                double[][][] s = relu(add(c2, r));
                double[] gap = mean(s);
                widen(expected[0], x);
                widen(expected[1], r);
                widen(expected[2], c2);
                widen(expected[3], s);
                widen(expected[4], new double[][][]{{gap}});
            }
        }
        List<String> names = List.of("pixel_values", "r", "c2", "s", "gap");
        for (int i = 0; i < names.size(); i++) {
            ActivationRange got = ranges.get(names.get(i));
            assertEquals(expected[i][0], got.min(), 1e-5, names.get(i) + " min");
            assertEquals(expected[i][1], got.max(), 1e-5, names.get(i) + " max");
        }
    }

    @Test
    void onnxRuntimeRunsTheQuantisedNetworkInIntegerKernels() throws OrtException {
        OnnxMl.ModelProto fp32 = model();
        Map<String, ActivationRange> ranges = Calibrator.minMax(fp32, QdqQuantizer.tensorsToCalibrate(fp32),
                batches(4, 1), 1);
        OnnxMl.ModelProto int8 = QdqQuantizer.quantize(fp32, ranges, Int8Kernels.weightQmax());

        Map<String, Long> ops = int8.getGraph().getNodeList().stream()
                .collect(Collectors.groupingBy(OnnxMl.NodeProto::getOpType, Collectors.counting()));
        // pixel_values, r, c2, s, gap, and flat with gap's parameters, so that ONNX Runtime drops the pair
        assertEquals(6L, ops.get("QuantizeLinear"), ops.toString());
        assertEquals(2L, ops.get("Conv"));
        assertTrue(int8.getGraph().getInitializerList().stream().noneMatch(t -> t.getName().equals("w1")),
                "the float weights are gone");
        long int8Weights = int8.getGraph().getInitializerList().stream()
                .filter(t -> t.getDataType() == DataType.INT8.getNumber() && t.getDimsCount() > 1)
                .mapToLong(t -> t.getRawData().size()).sum();
        assertEquals(w1.length + w2.length + fc.length, int8Weights, "one byte per weight");

        // the quantised network, computed here: every tensor ONNX Runtime quantises goes through q -> dq
        QuantizationMath.ActivationParams px = params(ranges, "pixel_values");
        QuantizationMath.ActivationParams pr = params(ranges, "r");
        QuantizationMath.ActivationParams pc2 = params(ranges, "c2");
        QuantizationMath.ActivationParams ps = params(ranges, "s");
        QuantizationMath.ActivationParams pg = params(ranges, "gap");
        int qmax = Int8Kernels.weightQmax();
        QuantizationMath.ChannelWeights q1 = QuantizationMath.symmetricPerChannel(w1, 1, C, 27, qmax);
        QuantizationMath.ChannelWeights q2 = QuantizationMath.symmetricPerChannel(w2, 1, C, C, qmax);
        QuantizationMath.ChannelWeights qfc = QuantizationMath.symmetricPerChannel(fc, C, LABELS, 1, qmax);
        float[] w1q = dequantize(q1, 1, C, 27);
        float[] w2q = dequantize(q2, 1, C, C);
        float[] fcq = dequantize(qfc, C, LABELS, 1);
        float[] b1q = dequantizeBias(QuantizationMath.int32Bias(b1, px.scale(), q1.scales()), px.scale(), q1.scales());
        float[] b2q = dequantizeBias(QuantizationMath.int32Bias(b2, pr.scale(), q2.scales()), pr.scale(), q2.scales());

        PixelBatch test = batches(1, 99).get(0);
        double[][] reference = new double[B][LABELS];
        double[][] fp32Reference = new double[B][LABELS];
        for (int n = 0; n < B; n++) {
            double[][][] x = qdq(image(test.data(), n), px);
            double[][][] r = qdq(relu(conv(x, w1q, b1q, 3, 1)), pr);
            double[][][] c2 = qdq(conv(r, w2q, b2q, 1, 0), pc2);
            double[][][] s = qdq(relu(add(c2, r)), ps);
            double[] gap = qdq(new double[][][]{{mean(s)}}, pg)[0][0];
            reference[n] = linear(gap, fcq);
            double[][][] fx = image(test.data(), n);
            double[][][] fr = relu(conv(fx, w1, b1, 3, 1));
            fp32Reference[n] = linear(mean(relu(add(conv(fr, w2, b2, 1, 0), fr))), fc);
        }
        float[][] unfused = run(int8, test, OrtSession.SessionOptions.OptLevel.NO_OPT, null);
        Path optimized = tmp.resolve("optimized.onnx");
        float[][] fused = run(int8, test, OrtSession.SessionOptions.OptLevel.EXTENDED_OPT, optimized);
        float[][] allOpt = run(int8, test, OrtSession.SessionOptions.OptLevel.ALL_OPT, null);
        // one output step of the pooled features through the classifier: what a rounding tie decided otherwise moves
        double step = 0;
        for (int k = 0; k < LABELS; k++) {
            double sum = 0;
            for (int c = 0; c < C; c++) {
                sum += Math.abs(fcq[c * LABELS + k]);
            }
            step = Math.max(step, pg.scale() * sum);
        }
        double maxUnfused = 0;
        double maxFused = 0;
        double maxAllOpt = 0;
        double maxFp32 = 0;
        for (int n = 0; n < B; n++) {
            for (int k = 0; k < LABELS; k++) {
                maxUnfused = Math.max(maxUnfused, Math.abs(unfused[n][k] - reference[n][k]));
                maxFused = Math.max(maxFused, Math.abs(fused[n][k] - reference[n][k]));
                maxAllOpt = Math.max(maxAllOpt, Math.abs(allOpt[n][k] - reference[n][k]));
                maxFp32 = Math.max(maxFp32, Math.abs(fp32Reference[n][k] - reference[n][k]));
            }
        }
        System.out.printf("small residual CNN, max |logit diff| vs the quantised reference: unfused %.2e, fused %.2e,"
                + " NHWC %.2e (one pooled step %.2e); reference vs float32 %.2e%n", maxUnfused, maxFused, maxAllOpt,
                step, maxFp32);
        // DQ -> float Conv -> Q, as the graph says, differs from the reference only by float32 rounding
        assertTrue(maxUnfused <= 1e-4 + step, "unfused QDQ graph vs reference: " + maxUnfused);
        // QLinearConv requantises its int32 sums in float32: at most a rounding tie away from the reference
        assertTrue(maxFused <= step, "fused (QLinearConv) vs reference: " + maxFused + ", step " + step);
        assertTrue(maxAllOpt <= step, "ALL_OPT (NHWC) vs reference: " + maxAllOpt + ", step " + step);
        assertTrue(maxFp32 < 0.1, "the quantised network stays near float32: " + maxFp32);

        List<String> fusedOps = optimizedOps(optimized);
        for (String op : List.of("QLinearConv", "QLinearAdd", "QLinearGlobalAveragePool")) {
            assertTrue(fusedOps.contains(op), op + " in ONNX Runtime's optimised graph " + fusedOps);
        }
        assertTrue(!fusedOps.contains("Conv"), "no float Conv left: " + fusedOps);
    }

    private static List<String> optimizedOps(Path file) {
        try {
            return OnnxMl.ModelProto.parseFrom(Files.readAllBytes(file)).getGraph().getNodeList().stream()
                    .map(OnnxMl.NodeProto::getOpType).toList();
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    private static float[][] run(OnnxMl.ModelProto model, PixelBatch b, OrtSession.SessionOptions.OptLevel level,
                                 Path optimized) throws OrtException {
        OrtEnvironment env = OrtEnvironment.getEnvironment();
        try (OrtSession.SessionOptions so = new OrtSession.SessionOptions()) {
            so.setIntraOpNumThreads(1);
            so.setOptimizationLevel(level);
            if (optimized != null) {
                so.setOptimizedModelFilePath(optimized.toString());
            }
            try (OrtSession s = env.createSession(model.toByteArray(), so);
                 OnnxTensor t = OnnxTensor.createTensor(env, FloatBuffer.wrap(b.data()), b.shape());
                 OrtSession.Result res = s.run(Map.of("pixel_values", t))) {
                return (float[][]) res.get(0).getValue();
            }
        }
    }

    private static QuantizationMath.ActivationParams params(Map<String, ActivationRange> ranges, String name) {
        return QuantizationMath.uint8Asymmetric(ranges.get(name).min(), ranges.get(name).max());
    }

    private static float[] dequantize(QuantizationMath.ChannelWeights q, int outer, int channels, int inner) {
        float[] w = new float[q.values().length];
        for (int i = 0; i < w.length; i++) {
            w[i] = q.values()[i] * q.scales()[(i / inner) % channels];
        }
        return w;
    }

    private static float[] dequantizeBias(int[] q, float xScale, float[] wScales) {
        float[] b = new float[q.length];
        for (int c = 0; c < q.length; c++) {
            b[c] = q[c] * (xScale * wScales[c]);
        }
        return b;
    }

    private static double[][][] qdq(double[][][] x, QuantizationMath.ActivationParams p) {
        double[][][] y = new double[x.length][x[0].length][x[0][0].length];
        for (int c = 0; c < x.length; c++) {
            for (int i = 0; i < x[0].length; i++) {
                for (int j = 0; j < x[0][0].length; j++) {
                    y[c][i][j] = (QuantizationMath.quantizeUint8((float) x[c][i][j], p) - p.zeroPoint())
                            * (double) p.scale();
                }
            }
        }
        return y;
    }

    /** Image n of (B, 3, H, W) as [c][y][x]. */
    private static double[][][] image(float[] data, int n) {
        double[][][] x = new double[3][H][W];
        for (int c = 0; c < 3; c++) {
            for (int i = 0; i < H; i++) {
                for (int j = 0; j < W; j++) {
                    x[c][i][j] = data[((n * 3 + c) * H + i) * W + j];
                }
            }
        }
        return x;
    }

    /** Stride-1 convolution, weight (out, in, k, k), zero padding {@code pad}. */
    private static double[][][] conv(double[][][] x, float[] w, float[] b, int k, int pad) {
        int in = x.length;
        int out = b.length;
        double[][][] y = new double[out][H][W];
        for (int o = 0; o < out; o++) {
            for (int i = 0; i < H; i++) {
                for (int j = 0; j < W; j++) {
                    double sum = b[o];
                    for (int c = 0; c < in; c++) {
                        for (int di = 0; di < k; di++) {
                            for (int dj = 0; dj < k; dj++) {
                                int yi = i + di - pad;
                                int xj = j + dj - pad;
                                if (yi >= 0 && yi < H && xj >= 0 && xj < W) {
                                    sum += x[c][yi][xj] * w[((o * in + c) * k + di) * k + dj];
                                }
                            }
                        }
                    }
                    y[o][i][j] = sum;
                }
            }
        }
        return y;
    }

    private static double[][][] relu(double[][][] x) {
        double[][][] y = new double[x.length][x[0].length][x[0][0].length];
        for (int c = 0; c < x.length; c++) {
            for (int i = 0; i < x[0].length; i++) {
                for (int j = 0; j < x[0][0].length; j++) {
                    y[c][i][j] = Math.max(0, x[c][i][j]);
                }
            }
        }
        return y;
    }

    private static double[][][] add(double[][][] a, double[][][] b) {
        double[][][] y = new double[a.length][a[0].length][a[0][0].length];
        for (int c = 0; c < a.length; c++) {
            for (int i = 0; i < a[0].length; i++) {
                for (int j = 0; j < a[0][0].length; j++) {
                    y[c][i][j] = a[c][i][j] + b[c][i][j];
                }
            }
        }
        return y;
    }

    private static double[] mean(double[][][] x) {
        double[] m = new double[x.length];
        for (int c = 0; c < x.length; c++) {
            for (double[] row : x[c]) {
                for (double v : row) {
                    m[c] += v;
                }
            }
            m[c] /= x[c].length * x[c][0].length;
        }
        return m;
    }

    /** (C) times (C, LABELS) plus the bias. */
    private double[] linear(double[] x, float[] weight) {
        double[] y = new double[LABELS];
        for (int k = 0; k < LABELS; k++) {
            y[k] = fcBias[k];
            for (int c = 0; c < C; c++) {
                y[k] += x[c] * weight[c * LABELS + k];
            }
        }
        return y;
    }

    private static void widen(float[] minMax, double[][][] x) {
        for (double[][] plane : x) {
            for (double[] row : plane) {
                for (double v : row) {
                    minMax[0] = (float) Math.min(minMax[0], v);
                    minMax[1] = (float) Math.max(minMax[1], v);
                }
            }
        }
    }
}
