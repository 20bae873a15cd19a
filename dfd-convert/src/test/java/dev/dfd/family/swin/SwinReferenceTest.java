package dev.dfd.family.swin;

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
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * Self-contained: a random Swin whose windows shift (two blocks per stage), whose input is not a multiple of the
 * patch, whose token maps are not multiples of the window (padding before partition) and have odd widths (padding
 * in patch merging), converted, run in ONNX Runtime, against transformers' Swin forward written here in plain loops
 * (the roll as index arithmetic, the mask from transformers' slices, one window at a time). The golden zoo Swin has
 * one block per stage and so never shifts.
 */
class SwinReferenceTest {
    static final int H = 22;
    static final int W = 26;
    static final int PATCH = 4;
    static final int EMBED = 8;
    static final int WINDOW = 2;
    static final int[] DEPTHS = {2, 2};
    static final int[] HEADS = {2, 2};
    static final double EPS = 1e-5;

    @TempDir
    Path dir;

    @Test
    void shiftedPaddedWindowsMatchTheSwinForward() throws Exception {
        ObjectNode config = Json.MAPPER.createObjectNode();
        config.put("model_type", "swin").put("embed_dim", EMBED).put("patch_size", PATCH).put("window_size", WINDOW)
                .put("mlp_ratio", 2.0).put("hidden_act", "gelu_pytorch_tanh").put("layer_norm_eps", EPS)
                .put("image_size", 24);
        config.putArray("depths").add(DEPTHS[0]).add(DEPTHS[1]);
        config.putArray("num_heads").add(HEADS[0]).add(HEADS[1]);
        Map<String, FloatTensor> weights = Naive.random(shapes(), 3, 0.4);
        weights.replaceAll((name, t) -> { // LayerNorm gains around 1
            if (name.contains("norm") && name.endsWith(".weight")) {
                float[] v = t.values().clone();
                for (int i = 0; i < v.length; i++) {
                    v[i] += 1;
                }
                return new FloatTensor(v, t.shape());
            }
            return t;
        });
        float[] pixels = Naive.pixels(2 * 3 * H * W, 11);
        float[][] onnx = Naive.convertAndRun(dir.resolve("src"), dir.resolve("out"), config, weights, pixels, 2, H, W);
        try (SafetensorsFile w = SafetensorsFile.open(dir.resolve("src/model.safetensors"))) {
            for (int b = 0; b < 2; b++) {
                float[] img = new float[3 * H * W];
                System.arraycopy(pixels, b * img.length, img, 0, img.length);
                double[] expected = forward(w, img);
                for (int k = 0; k < 2; k++) {
                    assertEquals(expected[k], onnx[b][k], 1e-4, "image " + b + " logit " + k);
                }
            }
        }
    }

    static Map<String, long[]> shapes() {
        Map<String, long[]> s = new LinkedHashMap<>();
        String e = "swin.embeddings.";
        s.put(e + "patch_embeddings.projection.weight", new long[]{EMBED, 3, PATCH, PATCH});
        s.put(e + "patch_embeddings.projection.bias", new long[]{EMBED});
        s.put(e + "norm.weight", new long[]{EMBED});
        s.put(e + "norm.bias", new long[]{EMBED});
        for (int st = 0; st < DEPTHS.length; st++) {
            long dim = (long) EMBED << st;
            for (int j = 0; j < DEPTHS[st]; j++) {
                String l = "swin.encoder.layers." + st + ".blocks." + j + ".";
                for (String ln : new String[]{"layernorm_before", "layernorm_after"}) {
                    s.put(l + ln + ".weight", new long[]{dim});
                    s.put(l + ln + ".bias", new long[]{dim});
                }
                s.put(l + "attention.self.relative_position_bias_table",
                        new long[]{(2 * WINDOW - 1) * (2 * WINDOW - 1), HEADS[st]});
                for (String lin : new String[]{"attention.self.query", "attention.self.key", "attention.self.value",
                        "attention.output.dense"}) {
                    s.put(l + lin + ".weight", new long[]{dim, dim});
                    s.put(l + lin + ".bias", new long[]{dim});
                }
                s.put(l + "intermediate.dense.weight", new long[]{2 * dim, dim});
                s.put(l + "intermediate.dense.bias", new long[]{2 * dim});
                s.put(l + "output.dense.weight", new long[]{dim, 2 * dim});
                s.put(l + "output.dense.bias", new long[]{dim});
            }
            if (st < DEPTHS.length - 1) {
                String d = "swin.encoder.layers." + st + ".downsample.";
                s.put(d + "norm.weight", new long[]{4 * dim});
                s.put(d + "norm.bias", new long[]{4 * dim});
                s.put(d + "reduction.weight", new long[]{2 * dim, 4 * dim});
            }
        }
        long last = (long) EMBED << (DEPTHS.length - 1);
        s.put("swin.layernorm.weight", new long[]{last});
        s.put("swin.layernorm.bias", new long[]{last});
        s.put("classifier.weight", new long[]{2, last});
        s.put("classifier.bias", new long[]{2});
        return s;
    }

    /** transformers' SwinForImageClassification forward, plain loops. img: (3, H, W). */
    static double[] forward(TensorSource w, float[] img) {
        int gh = (H + PATCH - 1) / PATCH;
        int gw = (W + PATCH - 1) / PATCH;
        float[] k = w.floats("swin.embeddings.patch_embeddings.projection.weight");
        float[] kb = w.floats("swin.embeddings.patch_embeddings.projection.bias");
        double[][] x = new double[gh * gw][EMBED];
        for (int i = 0; i < gh; i++) {
            for (int j = 0; j < gw; j++) {
                for (int o = 0; o < EMBED; o++) {
                    double s = kb[o];
                    for (int c = 0; c < 3; c++) {
                        for (int ky = 0; ky < PATCH; ky++) {
                            for (int kx = 0; kx < PATCH; kx++) {
                                int y = i * PATCH + ky;
                                int xx = j * PATCH + kx;
                                if (y < H && xx < W) { // zero padding right and bottom
                                    s += img[(c * H + y) * W + xx] * k[((o * 3 + c) * PATCH + ky) * PATCH + kx];
                                }
                            }
                        }
                    }
                    x[i * gw + j][o] = s;
                }
            }
        }
        x = Naive.layerNorm(x, w, "swin.embeddings.norm", 1e-5);
        int h = gh;
        int wd = gw;
        for (int st = 0; st < DEPTHS.length; st++) {
            int dim = EMBED << st;
            for (int j = 0; j < DEPTHS[st]; j++) {
                x = block(w, "swin.encoder.layers." + st + ".blocks." + j + ".", x, h, wd, dim, HEADS[st],
                        j % 2 == 1 ? WINDOW / 2 : 0);
            }
            if (st < DEPTHS.length - 1) {
                x = merge(w, "swin.encoder.layers." + st + ".downsample.", x, h, wd, dim);
                h = (h + 1) / 2;
                wd = (wd + 1) / 2;
            }
        }
        x = Naive.layerNorm(x, w, "swin.layernorm", EPS);
        double[][] mean = new double[1][x[0].length];
        for (double[] row : x) {
            for (int i = 0; i < row.length; i++) {
                mean[0][i] += row[i] / x.length;
            }
        }
        return Naive.linear(mean, w, "classifier")[0];
    }

    static double[][] block(TensorSource w, String l, double[][] x, int h, int wd, int dim, int heads, int shift) {
        int ws = WINDOW;
        if (Math.min(h, wd) <= ws) {
            shift = 0;
            ws = Math.min(h, wd);
        }
        double[][] y = Naive.layerNorm(x, w, l + "layernorm_before", EPS);
        int hp = (h + ws - 1) / ws * ws;
        int wp = (wd + ws - 1) / ws * ws;
        double[][][] grid = new double[hp][wp][dim]; // zero padded
        for (int i = 0; i < h; i++) {
            for (int j = 0; j < wd; j++) {
                grid[i][j] = y[i * wd + j];
            }
        }
        double[][][] shifted = new double[hp][wp][];
        for (int i = 0; i < hp; i++) {
            for (int j = 0; j < wp; j++) {
                shifted[i][j] = grid[(i + shift) % hp][(j + shift) % wp]; // torch.roll by -shift
            }
        }
        int[][] label = new int[hp][wp];
        if (shift > 0) { // transformers' img_mask: slices (0, -ws), (-ws, -shift), (-shift, None) on each axis
            int[][] hs = {{0, hp - ws}, {hp - ws, hp - shift}, {hp - shift, hp}};
            int[][] wsl = {{0, wp - ws}, {wp - ws, wp - shift}, {wp - shift, wp}};
            int count = 0;
            for (int[] a : hs) {
                for (int[] b : wsl) {
                    for (int i = a[0]; i < a[1]; i++) {
                        for (int j = b[0]; j < b[1]; j++) {
                            label[i][j] = count;
                        }
                    }
                    count++;
                }
            }
        }
        float[] table = w.floats(l + "attention.self.relative_position_bias_table");
        int hd = dim / heads;
        double[][][] out = new double[hp][wp][];
        for (int wy = 0; wy < hp / ws; wy++) {
            for (int wx = 0; wx < wp / ws; wx++) {
                int n = ws * ws;
                double[][] t = new double[n][];
                for (int a = 0; a < n; a++) {
                    t[a] = shifted[wy * ws + a / ws][wx * ws + a % ws];
                }
                double[][] q = Naive.linear(t, w, l + "attention.self.query");
                double[][] kk = Naive.linear(t, w, l + "attention.self.key");
                double[][] v = Naive.linear(t, w, l + "attention.self.value");
                double[][] ctx = new double[n][dim];
                for (int head = 0; head < heads; head++) {
                    for (int a = 0; a < n; a++) {
                        double[] score = new double[n];
                        double max = Double.NEGATIVE_INFINITY;
                        for (int b = 0; b < n; b++) {
                            double s = 0;
                            for (int d = 0; d < hd; d++) {
                                s += q[a][head * hd + d] * kk[b][head * hd + d];
                            }
                            s /= Math.sqrt(hd);
                            int index = (a / ws - b / ws + ws - 1) * (2 * ws - 1) + (a % ws - b % ws + ws - 1);
                            s += table[index * heads + head];
                            if (label[wy * ws + a / ws][wx * ws + a % ws] != label[wy * ws + b / ws][wx * ws + b % ws]) {
                                s += -100;
                            }
                            score[b] = s;
                            max = Math.max(max, s);
                        }
                        double sum = 0;
                        for (int b = 0; b < n; b++) {
                            score[b] = Math.exp(score[b] - max);
                            sum += score[b];
                        }
                        for (int b = 0; b < n; b++) {
                            for (int d = 0; d < hd; d++) {
                                ctx[a][head * hd + d] += score[b] / sum * v[b][head * hd + d];
                            }
                        }
                    }
                }
                double[][] o = Naive.linear(ctx, w, l + "attention.output.dense");
                for (int a = 0; a < n; a++) {
                    out[wy * ws + a / ws][wx * ws + a % ws] = o[a];
                }
            }
        }
        double[][] attn = new double[h * wd][];
        for (int i = 0; i < hp; i++) {
            for (int j = 0; j < wp; j++) {
                int oi = (i + shift) % hp; // roll back by +shift
                int oj = (j + shift) % wp;
                if (oi < h && oj < wd) {
                    attn[oi * wd + oj] = out[i][j];
                }
            }
        }
        double[][] r = new double[x.length][];
        for (int i = 0; i < x.length; i++) {
            r[i] = x[i].clone();
        }
        Naive.addInPlace(r, attn);
        double[][] m = Naive.geluTanh(Naive.linear(Naive.layerNorm(r, w, l + "layernorm_after", EPS), w,
                l + "intermediate.dense"));
        Naive.addInPlace(r, Naive.linear(m, w, l + "output.dense"));
        return r;
    }

    static double[][] merge(TensorSource w, String name, double[][] x, int h, int wd, int dim) {
        int nh = (h + 1) / 2;
        int nw = (wd + 1) / 2;
        double[][] out = new double[nh * nw][4 * dim];
        int[][] offsets = {{0, 0}, {1, 0}, {0, 1}, {1, 1}}; // (row, column): x0, x1, x2, x3 in transformers
        for (int i = 0; i < nh; i++) {
            for (int j = 0; j < nw; j++) {
                for (int p = 0; p < 4; p++) {
                    int y = 2 * i + offsets[p][0];
                    int xx = 2 * j + offsets[p][1];
                    if (y < h && xx < wd) {
                        System.arraycopy(x[y * wd + xx], 0, out[i * nw + j], p * dim, dim);
                    }
                }
            }
        }
        return Naive.linear(Naive.layerNorm(out, w, name + "norm", 1e-5), w, name + "reduction");
    }
}
