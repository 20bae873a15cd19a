package dev.dfd.family;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.dfd.convert.Converter;
import dev.dfd.graph.WeightEncoding;
import dev.dfd.internal.Json;
import dev.dfd.internal.model.OnnxClassifier;
import dev.dfd.internal.model.PixelBatch;
import dev.dfd.safetensors.SafetensorsWriter.FloatTensor;
import dev.dfd.safetensors.SafetensorsWriter;
import dev.dfd.safetensors.TensorSource;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Random;

/**
 * For the slow reference tests: random checkpoints in Hugging Face layout, conversion and one ONNX Runtime run, and
 * the plain-loop layers (double precision) the reference forward passes are written with.
 */
public final class Naive {
    private Naive() {
    }

    /** Normal(0, std) values for every named shape. */
    public static Map<String, FloatTensor> random(Map<String, long[]> shapes, long seed, double std) {
        Random r = new Random(seed);
        Map<String, FloatTensor> out = new LinkedHashMap<>();
        shapes.forEach((name, shape) -> {
            long n = 1;
            for (long d : shape) {
                n *= d;
            }
            float[] v = new float[Math.toIntExact(n)];
            for (int i = 0; i < v.length; i++) {
                v[i] = (float) (r.nextGaussian() * std);
            }
            out.put(name, new FloatTensor(v, shape));
        });
        return out;
    }

    /**
     * Writes config.json, a ViTImageProcessor preprocessor_config.json of this size and model.safetensors into
     * {@code src}, converts to {@code out} (fp32) and runs the graph on {@code pixels} (batch, 3, height, width).
     */
    public static float[][] convertAndRun(Path src, Path out, ObjectNode config, Map<String, FloatTensor> weights,
                                          float[] pixels, int batch, int height, int width) throws IOException {
        Files.createDirectories(src);
        ObjectNode id2label = config.putObject("id2label");
        id2label.put("0", "Real");
        id2label.put("1", "Fake");
        Files.writeString(src.resolve("config.json"), Json.MAPPER.writeValueAsString(config));
        ObjectNode pre = Json.MAPPER.createObjectNode();
        pre.put("image_processor_type", "ViTImageProcessor");
        pre.putObject("size").put("height", height).put("width", width);
        Files.writeString(src.resolve("preprocessor_config.json"), Json.MAPPER.writeValueAsString(pre));
        SafetensorsWriter.write(src.resolve("model.safetensors"), weights, Map.of());
        Converter.convert(src, out, WeightEncoding.FP32, false);
        try (OnnxClassifier cls = OnnxClassifier.open(out.resolve("onnx/model.onnx"), 1)) {
            return cls.run(new PixelBatch(pixels, batch, 3, height, width));
        }
    }

    /** x (rows, in) times the transformers Linear {@code name} (weight (out, in)), plus its bias when it has one. */
    public static double[][] linear(double[][] x, TensorSource w, String name) {
        long[] shape = w.shape(name + ".weight");
        int out = (int) shape[0];
        int in = (int) shape[1];
        float[] weight = w.floats(name + ".weight");
        float[] bias = w.has(name + ".bias") ? w.floats(name + ".bias") : new float[out];
        double[][] y = new double[x.length][out];
        for (int r = 0; r < x.length; r++) {
            for (int o = 0; o < out; o++) {
                double s = bias[o];
                for (int i = 0; i < in; i++) {
                    s += x[r][i] * weight[o * in + i];
                }
                y[r][o] = s;
            }
        }
        return y;
    }

    /** LayerNorm of each row with the parameters {@code name}.weight and .bias. */
    public static double[][] layerNorm(double[][] x, TensorSource w, String name, double eps) {
        float[] g = w.floats(name + ".weight");
        float[] b = w.floats(name + ".bias");
        double[][] y = new double[x.length][];
        for (int r = 0; r < x.length; r++) {
            int n = x[r].length;
            double mean = 0;
            for (double v : x[r]) {
                mean += v / n;
            }
            double var = 0;
            for (double v : x[r]) {
                var += (v - mean) * (v - mean) / n;
            }
            y[r] = new double[n];
            for (int i = 0; i < n; i++) {
                y[r][i] = (x[r][i] - mean) / Math.sqrt(var + eps) * g[i] + b[i];
            }
        }
        return y;
    }

    /** transformers' gelu_pytorch_tanh, in place. */
    public static double[][] geluTanh(double[][] x) {
        for (double[] row : x) {
            for (int i = 0; i < row.length; i++) {
                double v = row[i];
                row[i] = 0.5 * v * (1 + Math.tanh(Math.sqrt(2 / Math.PI) * (v + 0.044715 * v * v * v)));
            }
        }
        return x;
    }

    public static void addInPlace(double[][] x, double[][] y) {
        for (int r = 0; r < x.length; r++) {
            for (int i = 0; i < x[r].length; i++) {
                x[r][i] += y[r][i];
            }
        }
    }

    /** Random pixels in [-1, 1). */
    public static float[] pixels(int n, long seed) {
        Random r = new Random(seed);
        float[] p = new float[n];
        for (int i = 0; i < p.length; i++) {
            p[i] = (float) (r.nextDouble() * 2 - 1);
        }
        return p;
    }
}
