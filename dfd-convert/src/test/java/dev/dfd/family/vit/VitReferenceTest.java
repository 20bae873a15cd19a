package dev.dfd.family.vit;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.dfd.convert.Converter;
import dev.dfd.graph.WeightEncoding;
import dev.dfd.internal.Json;
import dev.dfd.internal.model.OnnxClassifier;
import dev.dfd.internal.model.PixelBatch;
import dev.dfd.safetensors.SafetensorsFile;
import dev.dfd.safetensors.SafetensorsWriter.FloatTensor;
import dev.dfd.safetensors.TensorSource;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Self-contained: a model from {@code dfd init} (with non-trivial LayerNorm and bias values), converted, run in
 * ONNX Runtime, against a naive ViT forward pass written here in plain loops from transformers' definition.
 */
class VitReferenceTest {
    @TempDir
    Path dir;

    @Test
    void exportedGraphComputesTheViTForward() throws Exception {
        ObjectNode user = Json.MAPPER.createObjectNode();
        user.put("image_size", 16).put("patch_size", 4).put("hidden_size", 12).put("num_hidden_layers", 2)
                .put("num_attention_heads", 3).put("intermediate_size", 20).put("initializer_range", 0.3);
        VitConfig c = VitInit.writeModelDir(user, dir.resolve("src"), 5);
        // init sets LayerNorm 1/0 and biases 0: perturb them so the test sees every parameter
        Map<String, FloatTensor> w = VitInit.weights(c, 5);
        Random r = new Random(9);
        w.replaceAll((name, t) -> {
            if (name.endsWith(".bias") || name.contains("layernorm")) {
                float[] v = t.values().clone();
                for (int i = 0; i < v.length; i++) {
                    v[i] += (float) (r.nextGaussian() * 0.2);
                }
                return new FloatTensor(v, t.shape());
            }
            return t;
        });
        dev.dfd.safetensors.SafetensorsWriter.write(dir.resolve("src/model.safetensors"), w, Map.of());
        Converter.convert(dir.resolve("src"), dir.resolve("out"), WeightEncoding.FP32, false);
        assertTrue(Files.exists(dir.resolve("out/preprocessor_config.json")));

        float[] pixels = new float[2 * 3 * 16 * 16];
        for (int i = 0; i < pixels.length; i++) {
            pixels[i] = (float) (r.nextDouble() * 2 - 1);
        }
        float[][] onnx;
        try (OnnxClassifier cls = OnnxClassifier.open(dir.resolve("out/onnx/model.onnx"), 1)) {
            onnx = cls.run(new PixelBatch(pixels, 2, 3, 16, 16));
        }
        try (SafetensorsFile weights = SafetensorsFile.open(dir.resolve("src/model.safetensors"))) {
            for (int b = 0; b < 2; b++) {
                float[] img = new float[3 * 16 * 16];
                System.arraycopy(pixels, b * img.length, img, 0, img.length);
                double[] expected = NaiveVit.forward(c, weights, img);
                assertEquals(2, onnx[b].length);
                for (int k = 0; k < 2; k++) {
                    assertEquals(expected[k], onnx[b][k], 1e-4, "image " + b + " logit " + k);
                }
            }
        }
    }

    @Test
    void initIsRepeatableAndShaped() {
        ObjectNode user = Json.MAPPER.createObjectNode();
        user.put("image_size", 32).put("patch_size", 8).put("hidden_size", 16).put("num_hidden_layers", 1)
                .put("num_attention_heads", 2).put("intermediate_size", 8);
        VitConfig c = VitInit.writeModelDir(user, dir.resolve("a"), 0);
        VitInit.writeModelDir(user, dir.resolve("b"), 0);
        try (SafetensorsFile a = SafetensorsFile.open(dir.resolve("a/model.safetensors"));
             SafetensorsFile b = SafetensorsFile.open(dir.resolve("b/model.safetensors"))) {
            assertEquals(a.tensors().keySet(), b.tensors().keySet());
            assertArrayEquals(a.floats("vit.embeddings.cls_token"), b.floats("vit.embeddings.cls_token"));
            assertArrayEquals(new long[]{1, 17, 16}, a.shape("vit.embeddings.position_embeddings"));
            assertArrayEquals(new long[]{2, 16}, a.shape("classifier.weight"));
            float[] q = a.floats("vit.encoder.layer.0.attention.attention.query.weight");
            double sum2 = 0;
            for (float v : q) {
                sum2 += v * v;
            }
            double std = Math.sqrt(sum2 / q.length);
            assertTrue(std > 0.012 && std < 0.028, "std " + std); // initializer_range 0.02
        }
        assertEquals(java.util.List.of("Real", "Fake"), c.labels());
    }

    /** transformers' ViT forward in plain double loops. */
    static final class NaiveVit {
        static double[] forward(VitConfig c, TensorSource w, float[] img) {
            int h = c.hidden();
            int p = c.patchSize();
            int gw = c.imageWidth() / p;
            int n = c.patches();
            int s = c.sequence();
            double[][] x = new double[s][h];
            float[] pw = w.floats("vit.embeddings.patch_embeddings.projection.weight"); // (h, C, p, p)
            float[] pb = w.floats("vit.embeddings.patch_embeddings.projection.bias");
            float[] cls = w.floats("vit.embeddings.cls_token");
            float[] pos = w.floats("vit.embeddings.position_embeddings"); // (1, s, h)
            for (int o = 0; o < h; o++) {
                x[0][o] = cls[o];
            }
            for (int t = 0; t < n; t++) {
                int py = t / gw;
                int px = t % gw;
                for (int o = 0; o < h; o++) {
                    double acc = pb[o];
                    for (int ch = 0; ch < 3; ch++) {
                        for (int ky = 0; ky < p; ky++) {
                            for (int kx = 0; kx < p; kx++) {
                                acc += pw[((o * 3 + ch) * p + ky) * p + kx]
                                        * img[(ch * c.imageHeight() + py * p + ky) * c.imageWidth() + px * p + kx];
                            }
                        }
                    }
                    x[1 + t][o] = acc;
                }
            }
            for (int t = 0; t < s; t++) {
                for (int o = 0; o < h; o++) {
                    x[t][o] += pos[t * h + o];
                }
            }
            int heads = c.heads();
            int d = c.headSize();
            for (int l = 0; l < c.layers(); l++) {
                String pre = "vit.encoder.layer." + l + ".";
                double[][] a = norm(x, w, pre + "layernorm_before", c.layerNormEps());
                double[][] q = linear(a, w, pre + "attention.attention.query");
                double[][] k = linear(a, w, pre + "attention.attention.key");
                double[][] v = linear(a, w, pre + "attention.attention.value");
                double[][] ctx = new double[s][h];
                for (int hd = 0; hd < heads; hd++) {
                    for (int i = 0; i < s; i++) {
                        double[] score = new double[s];
                        double max = Double.NEGATIVE_INFINITY;
                        for (int j = 0; j < s; j++) {
                            double dot = 0;
                            for (int e = 0; e < d; e++) {
                                dot += q[i][hd * d + e] * k[j][hd * d + e];
                            }
                            score[j] = dot / Math.sqrt(d);
                            max = Math.max(max, score[j]);
                        }
                        double z = 0;
                        for (int j = 0; j < s; j++) {
                            score[j] = Math.exp(score[j] - max);
                            z += score[j];
                        }
                        for (int j = 0; j < s; j++) {
                            for (int e = 0; e < d; e++) {
                                ctx[i][hd * d + e] += score[j] / z * v[j][hd * d + e];
                            }
                        }
                    }
                }
                add(x, linear(ctx, w, pre + "attention.output.dense"));
                double[][] m = linear(norm(x, w, pre + "layernorm_after", c.layerNormEps()), w, pre + "intermediate.dense");
                for (double[] row : m) {
                    for (int i = 0; i < row.length; i++) {
                        row[i] = 0.5 * row[i] * (1 + erf(row[i] / Math.sqrt(2)));
                    }
                }
                add(x, linear(m, w, pre + "output.dense"));
            }
            double[][] out = norm(x, w, "vit.layernorm", c.layerNormEps());
            return linear(new double[][]{out[0]}, w, "classifier")[0];
        }

        static double[][] linear(double[][] x, TensorSource w, String name) {
            float[] weight = w.floats(name + ".weight");
            float[] bias = w.has(name + ".bias") ? w.floats(name + ".bias") : null;
            int in = x[0].length;
            int out = weight.length / in;
            double[][] y = new double[x.length][out];
            for (int t = 0; t < x.length; t++) {
                for (int o = 0; o < out; o++) {
                    double acc = bias == null ? 0 : bias[o];
                    for (int i = 0; i < in; i++) {
                        acc += weight[o * in + i] * x[t][i];
                    }
                    y[t][o] = acc;
                }
            }
            return y;
        }

        static double[][] norm(double[][] x, TensorSource w, String name, double eps) {
            float[] g = w.floats(name + ".weight");
            float[] b = w.floats(name + ".bias");
            double[][] y = new double[x.length][x[0].length];
            for (int t = 0; t < x.length; t++) {
                double mean = 0;
                for (double v : x[t]) {
                    mean += v;
                }
                mean /= x[t].length;
                double var = 0;
                for (double v : x[t]) {
                    var += (v - mean) * (v - mean);
                }
                var /= x[t].length;
                for (int i = 0; i < x[t].length; i++) {
                    y[t][i] = (x[t][i] - mean) / Math.sqrt(var + eps) * g[i] + b[i];
                }
            }
            return y;
        }

        static void add(double[][] x, double[][] y) {
            for (int t = 0; t < x.length; t++) {
                for (int i = 0; i < x[t].length; i++) {
                    x[t][i] += y[t][i];
                }
            }
        }

        /** erf to 1e-15 by its Taylor series (small arguments) and continued fraction (large). */
        static double erf(double x) {
            double ax = Math.abs(x);
            double r;
            if (ax < 3) {
                double term = ax;
                double sum = ax;
                for (int n = 1; n < 100; n++) {
                    term *= -ax * ax / n;
                    sum += term / (2 * n + 1);
                }
                r = 2 / Math.sqrt(Math.PI) * sum;
            } else {
                double f = 0;
                for (int n = 60; n >= 1; n--) {
                    f = n / 2.0 / (ax + f);
                }
                r = 1 - Math.exp(-ax * ax) / Math.sqrt(Math.PI) / (ax + f);
            }
            return x < 0 ? -r : r;
        }
    }
}
