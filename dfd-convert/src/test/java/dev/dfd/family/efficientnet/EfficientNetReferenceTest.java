package dev.dfd.family.efficientnet;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.dfd.family.Naive;
import dev.dfd.internal.Json;
import dev.dfd.safetensors.SafetensorsFile;
import dev.dfd.safetensors.SafetensorsWriter.FloatTensor;
import dev.dfd.safetensors.TensorSource;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * Self-contained: a random EfficientNet with repeated blocks (the residual sum; the golden zoo model repeats none),
 * a block in depthwise_padding (symmetric stride-2 padding), odd input sizes and max pooling, converted, run in ONNX
 * Runtime, against transformers' EfficientNet forward written here in plain loops with explicit zero padding and
 * unfolded BatchNorm.
 */
class EfficientNetReferenceTest {
    static final int H = 27;
    static final int W = 21;
    static final double EPS = 1e-3;

    @TempDir
    Path dir;

    @Test
    void repeatedBlocksAndPaddingMatchTheEfficientNetForward() throws Exception {
        ObjectNode config = Json.MAPPER.createObjectNode();
        config.put("model_type", "efficientnet").put("width_coefficient", 0.25).put("depth_coefficient", 1.0)
                .put("depth_divisor", 8).put("hidden_dim", 24).put("pooling_type", "max").put("batch_norm_eps", EPS)
                .put("hidden_act", "swish").put("squeeze_expansion_ratio", 0.25);
        config.putArray("kernel_sizes").add(3).add(5).add(3);
        config.putArray("in_channels").add(32).add(16).add(24);
        config.putArray("out_channels").add(16).add(24).add(40);
        config.putArray("strides").add(1).add(2).add(2);
        config.putArray("num_block_repeats").add(1).add(2).add(2);
        config.putArray("expand_ratios").add(1).add(3).add(2);
        config.putArray("depthwise_padding").add(3);
        EfficientNetConfig c = EfficientNetConfig.read(write(config));
        assertEquals(5, c.blocks().size());
        // hidden_dim 24 is not round_filters(1280) = 320: the top conv reads its width from hidden_dim, as the checkpoint
        Map<String, FloatTensor> weights = Naive.random(shapes(c), 13, 0.3);
        weights.replaceAll((name, t) -> {
            float[] v = t.values().clone();
            for (int i = 0; i < v.length; i++) {
                if (name.endsWith("running_var")) {
                    v[i] = 0.5f + Math.abs(v[i]);
                } else if (name.contains("_bn.weight") || name.contains("norm.weight") || name.endsWith("batchnorm.weight")) {
                    v[i] += 1;
                }
            }
            return new FloatTensor(v, t.shape());
        });
        float[] pixels = Naive.pixels(2 * 3 * H * W, 17);
        float[][] onnx = Naive.convertAndRun(dir.resolve("src"), dir.resolve("out"), config, weights, pixels, 2, H, W);
        try (SafetensorsFile w = SafetensorsFile.open(dir.resolve("src/model.safetensors"))) {
            for (int b = 0; b < 2; b++) {
                float[] img = new float[3 * H * W];
                System.arraycopy(pixels, b * img.length, img, 0, img.length);
                double[] expected = forward(c, w, img);
                for (int k = 0; k < 2; k++) {
                    assertEquals(expected[k], onnx[b][k], 1e-4, "image " + b + " logit " + k);
                }
            }
        }
    }

    private Path write(ObjectNode config) throws java.io.IOException {
        Path f = dir.resolve("config-probe.json");
        java.nio.file.Files.writeString(f, Json.MAPPER.writeValueAsString(config));
        return f;
    }

    static Map<String, long[]> shapes(EfficientNetConfig c) {
        Map<String, long[]> s = new LinkedHashMap<>();
        String p = "efficientnet.";
        int stem = c.roundFilters(32);
        convBn(s, p + "embeddings.convolution", p + "embeddings.batchnorm", stem, 3, 3);
        List<EfficientNetConfig.Block> blocks = c.blocks();
        int last = stem;
        for (int b = 0; b < blocks.size(); b++) {
            EfficientNetConfig.Block k = blocks.get(b);
            String l = p + "encoder.blocks." + b + ".";
            int dim = k.in() * k.expand();
            if (k.expand() != 1) {
                convBn(s, l + "expansion.expand_conv", l + "expansion.expand_bn", dim, k.in(), 1);
            }
            s.put(l + "depthwise_conv.depthwise_conv.weight", new long[]{dim, 1, k.kernel(), k.kernel()});
            bn(s, l + "depthwise_conv.depthwise_norm", dim);
            int se = Math.max(1, (int) (k.in() * 0.25));
            s.put(l + "squeeze_excite.reduce.weight", new long[]{se, dim, 1, 1});
            s.put(l + "squeeze_excite.reduce.bias", new long[]{se});
            s.put(l + "squeeze_excite.expand.weight", new long[]{dim, se, 1, 1});
            s.put(l + "squeeze_excite.expand.bias", new long[]{dim});
            convBn(s, l + "projection.project_conv", l + "projection.project_bn", k.out(), dim, 1);
            last = k.out();
        }
        convBn(s, p + "encoder.top_conv", p + "encoder.top_bn", c.hiddenDim(), last, 1);
        s.put("classifier.weight", new long[]{2, c.hiddenDim()});
        s.put("classifier.bias", new long[]{2});
        return s;
    }

    private static void convBn(Map<String, long[]> s, String conv, String bn, int out, int in, int k) {
        s.put(conv + ".weight", new long[]{out, in, k, k});
        bn(s, bn, out);
    }

    private static void bn(Map<String, long[]> s, String bn, int n) {
        for (String p : new String[]{"weight", "bias", "running_mean", "running_var"}) {
            s.put(bn + "." + p, new long[]{n});
        }
    }

    /** channels x height x width. */
    static double[] forward(EfficientNetConfig c, TensorSource w, float[] img) {
        double[][][] x = new double[3][H][W];
        for (int ch = 0; ch < 3; ch++) {
            for (int y = 0; y < H; y++) {
                for (int xx = 0; xx < W; xx++) {
                    x[ch][y][xx] = img[(ch * H + y) * W + xx];
                }
            }
        }
        String p = "efficientnet.";
        x = swish(bn(w, p + "embeddings.batchnorm", conv(w, p + "embeddings.convolution", pad(x, 0, 0, 1, 1), 2, 1)));
        List<EfficientNetConfig.Block> blocks = c.blocks();
        for (int b = 0; b < blocks.size(); b++) {
            EfficientNetConfig.Block k = blocks.get(b);
            String l = p + "encoder.blocks." + b + ".";
            double[][][] h = x;
            if (k.expand() != 1) {
                h = swish(bn(w, l + "expansion.expand_bn", conv(w, l + "expansion.expand_conv", h, 1, 1)));
            }
            int half = k.kernel() / 2;
            if (k.stride() == 2) { // ZeroPad2d(correct_pad(k, adjust)), then a valid convolution
                h = k.adjustPadding() ? pad(h, half - 1, half - 1, half, half) : pad(h, half, half, half, half);
            } else {
                h = pad(h, half, half, half, half); // "same"
            }
            h = swish(bn(w, l + "depthwise_conv.depthwise_norm", conv(w, l + "depthwise_conv.depthwise_conv", h,
                    k.stride(), h.length)));
            // squeeze-excite
            double[][][] s = new double[h.length][1][1];
            for (int ch = 0; ch < h.length; ch++) {
                for (double[] row : h[ch]) {
                    for (double v : row) {
                        s[ch][0][0] += v / (h[ch].length * row.length);
                    }
                }
            }
            s = swish(biased(w, l + "squeeze_excite.reduce", conv(w, l + "squeeze_excite.reduce", s, 1, 1)));
            s = biased(w, l + "squeeze_excite.expand", conv(w, l + "squeeze_excite.expand", s, 1, 1));
            for (int ch = 0; ch < h.length; ch++) {
                double gate = 1 / (1 + Math.exp(-s[ch][0][0]));
                for (double[] row : h[ch]) {
                    for (int i = 0; i < row.length; i++) {
                        row[i] *= gate;
                    }
                }
            }
            h = bn(w, l + "projection.project_bn", conv(w, l + "projection.project_conv", h, 1, 1));
            if (k.residual()) {
                for (int ch = 0; ch < h.length; ch++) {
                    for (int y = 0; y < h[ch].length; y++) {
                        for (int i = 0; i < h[ch][y].length; i++) {
                            h[ch][y][i] += x[ch][y][i];
                        }
                    }
                }
            }
            x = h;
        }
        x = swish(bn(w, p + "encoder.top_bn", conv(w, p + "encoder.top_conv", x, 1, 1)));
        double[][] pooled = new double[1][x.length];
        for (int ch = 0; ch < x.length; ch++) {
            pooled[0][ch] = Double.NEGATIVE_INFINITY;
            for (double[] row : x[ch]) {
                for (double v : row) {
                    pooled[0][ch] = Math.max(pooled[0][ch], v); // MaxPool2d(hidden_dim, ceil_mode) over a smaller map
                }
            }
        }
        return Naive.linear(pooled, w, "classifier")[0];
    }

    static double[][][] pad(double[][][] x, int top, int left, int bottom, int right) {
        int h = x[0].length;
        int wd = x[0][0].length;
        double[][][] y = new double[x.length][h + top + bottom][wd + left + right];
        for (int c = 0; c < x.length; c++) {
            for (int i = 0; i < h; i++) {
                System.arraycopy(x[c][i], 0, y[c][i + top], left, wd);
            }
        }
        return y;
    }

    /** A valid (unpadded) convolution without bias; weight (out, in / groups, k, k). */
    static double[][][] conv(TensorSource w, String name, double[][][] x, int stride, int groups) {
        long[] shape = w.shape(name + ".weight");
        int out = (int) shape[0];
        int per = (int) shape[1];
        int k = (int) shape[2];
        float[] kw = w.floats(name + ".weight");
        int oh = (x[0].length - k) / stride + 1;
        int ow = (x[0][0].length - k) / stride + 1;
        int outPerGroup = out / groups;
        double[][][] y = new double[out][oh][ow];
        for (int o = 0; o < out; o++) {
            int g = o / outPerGroup;
            for (int i = 0; i < oh; i++) {
                for (int j = 0; j < ow; j++) {
                    double s = 0;
                    for (int c = 0; c < per; c++) {
                        for (int ky = 0; ky < k; ky++) {
                            for (int kx = 0; kx < k; kx++) {
                                s += x[g * per + c][i * stride + ky][j * stride + kx] * kw[((o * per + c) * k + ky) * k + kx];
                            }
                        }
                    }
                    y[o][i][j] = s;
                }
            }
        }
        return y;
    }

    static double[][][] biased(TensorSource w, String name, double[][][] x) {
        float[] b = w.floats(name + ".bias");
        for (int c = 0; c < x.length; c++) {
            for (double[] row : x[c]) {
                for (int i = 0; i < row.length; i++) {
                    row[i] += b[c];
                }
            }
        }
        return x;
    }

    static double[][][] bn(TensorSource w, String name, double[][][] x) {
        float[] g = w.floats(name + ".weight");
        float[] b = w.floats(name + ".bias");
        float[] mean = w.floats(name + ".running_mean");
        float[] var = w.floats(name + ".running_var");
        for (int c = 0; c < x.length; c++) {
            for (double[] row : x[c]) {
                for (int i = 0; i < row.length; i++) {
                    row[i] = (row[i] - mean[c]) / Math.sqrt(var[c] + EPS) * g[c] + b[c];
                }
            }
        }
        return x;
    }

    static double[][][] swish(double[][][] x) {
        for (double[][] plane : x) {
            for (double[] row : plane) {
                for (int i = 0; i < row.length; i++) {
                    row[i] = row[i] / (1 + Math.exp(-row[i]));
                }
            }
        }
        return x;
    }
}
