package dev.dfd.family.resnet;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.dfd.family.Naive;
import dev.dfd.internal.Json;
import dev.dfd.safetensors.SafetensorsFile;
import dev.dfd.safetensors.SafetensorsWriter.FloatTensor;
import dev.dfd.safetensors.TensorSource;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * Self-contained: a random bottleneck ResNet (microsoft/resnet-50's layout; the golden zoo ResNet has basic layers),
 * with the stride on the 3x3 or, with downsample_in_bottleneck, on the first 1x1, and BatchNorm statistics that are
 * not 0/1, converted, run in ONNX Runtime, against transformers' ResNet forward written here in plain loops with
 * BatchNorm unfolded.
 */
class ResNetReferenceTest {
    static final int H = 29;
    static final int W = 23;
    static final int EMBED = 8;
    static final int[] SIZES = {16, 32};
    static final int[] DEPTHS = {2, 1};

    @TempDir
    Path dir;

    @ParameterizedTest
    @ValueSource(booleans = {false, true})
    void bottleneckLayersMatchTheResNetForward(boolean downsampleInBottleneck) throws Exception {
        ObjectNode config = Json.MAPPER.createObjectNode();
        config.put("model_type", "resnet").put("layer_type", "bottleneck").put("embedding_size", EMBED)
                .put("downsample_in_bottleneck", downsampleInBottleneck).put("downsample_in_first_stage", false);
        config.putArray("hidden_sizes").add(SIZES[0]).add(SIZES[1]);
        config.putArray("depths").add(DEPTHS[0]).add(DEPTHS[1]);
        Map<String, FloatTensor> weights = Naive.random(shapes(), 5, 0.3);
        weights.replaceAll((name, t) -> {
            float[] v = t.values().clone();
            for (int i = 0; i < v.length; i++) {
                if (name.endsWith("running_var")) {
                    v[i] = 0.5f + Math.abs(v[i]);
                } else if (name.endsWith("normalization.weight")) {
                    v[i] += 1;
                }
            }
            return new FloatTensor(v, t.shape());
        });
        float[] pixels = Naive.pixels(2 * 3 * H * W, 7);
        float[][] onnx = Naive.convertAndRun(dir.resolve("src"), dir.resolve("out"), config, weights, pixels, 2, H, W);
        try (SafetensorsFile w = SafetensorsFile.open(dir.resolve("src/model.safetensors"))) {
            for (int b = 0; b < 2; b++) {
                float[] img = new float[3 * H * W];
                System.arraycopy(pixels, b * img.length, img, 0, img.length);
                double[] expected = forward(w, img, downsampleInBottleneck);
                for (int k = 0; k < 2; k++) {
                    assertEquals(expected[k], onnx[b][k], 1e-4, "image " + b + " logit " + k);
                }
            }
        }
    }

    static Map<String, long[]> shapes() {
        Map<String, long[]> s = new LinkedHashMap<>();
        convBn(s, "resnet.embedder.embedder", EMBED, 3, 7);
        int in = EMBED;
        for (int st = 0; st < SIZES.length; st++) {
            int out = SIZES[st];
            int mid = out / 4;
            for (int j = 0; j < DEPTHS[st]; j++) {
                String l = "resnet.encoder.stages." + st + ".layers." + j + ".";
                int layerIn = j == 0 ? in : out;
                int stride = j == 0 && st > 0 ? 2 : 1;
                if (layerIn != out || stride != 1) {
                    convBn(s, l + "shortcut", out, layerIn, 1);
                }
                convBn(s, l + "layer.0", mid, layerIn, 1);
                convBn(s, l + "layer.1", mid, mid, 3);
                convBn(s, l + "layer.2", out, mid, 1);
            }
            in = out;
        }
        s.put("classifier.1.weight", new long[]{2, in});
        s.put("classifier.1.bias", new long[]{2});
        return s;
    }

    private static void convBn(Map<String, long[]> s, String name, int out, int in, int k) {
        s.put(name + ".convolution.weight", new long[]{out, in, k, k});
        for (String p : new String[]{"weight", "bias", "running_mean", "running_var"}) {
            s.put(name + ".normalization." + p, new long[]{out});
        }
    }

    /** A feature map: channels x height x width. */
    record Map3(double[][][] v) {
        int c() {
            return v.length;
        }

        int h() {
            return v[0].length;
        }

        int w() {
            return v[0][0].length;
        }
    }

    static double[] forward(TensorSource w, float[] img, boolean downsampleInBottleneck) {
        double[][][] x = new double[3][H][W];
        for (int c = 0; c < 3; c++) {
            for (int y = 0; y < H; y++) {
                for (int xx = 0; xx < W; xx++) {
                    x[c][y][xx] = img[(c * H + y) * W + xx];
                }
            }
        }
        Map3 m = convBn(w, "resnet.embedder.embedder", new Map3(x), 7, 2, 3, true);
        m = maxPool(m);
        int in = EMBED;
        for (int st = 0; st < SIZES.length; st++) {
            int out = SIZES[st];
            for (int j = 0; j < DEPTHS[st]; j++) {
                String l = "resnet.encoder.stages." + st + ".layers." + j + ".";
                int layerIn = j == 0 ? in : out;
                int stride = j == 0 && st > 0 ? 2 : 1;
                Map3 residual = layerIn != out || stride != 1 ? convBn(w, l + "shortcut", m, 1, stride, 0, false) : m;
                Map3 h = convBn(w, l + "layer.0", m, 1, downsampleInBottleneck ? stride : 1, 0, true);
                h = convBn(w, l + "layer.1", h, 3, downsampleInBottleneck ? 1 : stride, 1, true);
                h = convBn(w, l + "layer.2", h, 1, 1, 0, false);
                for (int c = 0; c < h.c(); c++) {
                    for (int y = 0; y < h.h(); y++) {
                        for (int xx = 0; xx < h.w(); xx++) {
                            h.v()[c][y][xx] = Math.max(0, h.v()[c][y][xx] + residual.v()[c][y][xx]);
                        }
                    }
                }
                m = h;
            }
            in = out;
        }
        double[][] pooled = new double[1][m.c()];
        for (int c = 0; c < m.c(); c++) {
            for (double[] row : m.v()[c]) {
                for (double v : row) {
                    pooled[0][c] += v / (m.h() * m.w());
                }
            }
        }
        return Naive.linear(pooled, w, "classifier.1")[0];
    }

    /** Conv (no bias, zero padding) then BatchNorm with running statistics (eps 1e-5), then ReLU when asked. */
    static Map3 convBn(TensorSource w, String name, Map3 x, int k, int stride, int pad, boolean relu) {
        long[] shape = w.shape(name + ".convolution.weight");
        int out = (int) shape[0];
        int in = (int) shape[1];
        float[] kw = w.floats(name + ".convolution.weight");
        float[] g = w.floats(name + ".normalization.weight");
        float[] b = w.floats(name + ".normalization.bias");
        float[] mean = w.floats(name + ".normalization.running_mean");
        float[] var = w.floats(name + ".normalization.running_var");
        int oh = (x.h() + 2 * pad - k) / stride + 1;
        int ow = (x.w() + 2 * pad - k) / stride + 1;
        double[][][] y = new double[out][oh][ow];
        for (int o = 0; o < out; o++) {
            for (int i = 0; i < oh; i++) {
                for (int j = 0; j < ow; j++) {
                    double s = 0;
                    for (int c = 0; c < in; c++) {
                        for (int ky = 0; ky < k; ky++) {
                            for (int kx = 0; kx < k; kx++) {
                                int yy = i * stride + ky - pad;
                                int xx = j * stride + kx - pad;
                                if (yy >= 0 && yy < x.h() && xx >= 0 && xx < x.w()) {
                                    s += x.v()[c][yy][xx] * kw[((o * in + c) * k + ky) * k + kx];
                                }
                            }
                        }
                    }
                    double v = (s - mean[o]) / Math.sqrt(var[o] + 1e-5) * g[o] + b[o];
                    y[o][i][j] = relu ? Math.max(0, v) : v;
                }
            }
        }
        return new Map3(y);
    }

    /** MaxPool 3x3, stride 2, padding 1 (padding never wins). */
    static Map3 maxPool(Map3 x) {
        int oh = (x.h() + 2 - 3) / 2 + 1;
        int ow = (x.w() + 2 - 3) / 2 + 1;
        double[][][] y = new double[x.c()][oh][ow];
        for (int c = 0; c < x.c(); c++) {
            for (int i = 0; i < oh; i++) {
                for (int j = 0; j < ow; j++) {
                    double m = Double.NEGATIVE_INFINITY;
                    for (int ky = 0; ky < 3; ky++) {
                        for (int kx = 0; kx < 3; kx++) {
                            int yy = 2 * i + ky - 1;
                            int xx = 2 * j + kx - 1;
                            if (yy >= 0 && yy < x.h() && xx >= 0 && xx < x.w()) {
                                m = Math.max(m, x.v()[c][yy][xx]);
                            }
                        }
                    }
                    y[c][i][j] = m;
                }
            }
        }
        return new Map3(y);
    }
}
