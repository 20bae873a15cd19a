package dev.dfd.convert;

import ai.onnx.proto.OnnxMl;
import ai.onnx.proto.OnnxMl.TensorProto.DataType;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.dfd.DfdException;
import dev.dfd.safetensors.TensorSource;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static dev.dfd.convert.OnnxBuilder.attr;
import static dev.dfd.convert.OnnxBuilder.attrs;

/**
 * {@code ResNetForImageClassification} with basic layers (transformers' names) as an ONNX graph, BatchNorm folded
 * into the preceding convolution (inference mode: running statistics, eps 1e-5):
 * {@code w' = w * gamma / sqrt(var + eps)}, {@code b' = beta - mean * gamma / sqrt(var + eps)}.
 * int8 quantises the classifier's MatMul (the only MatMul; convolutions stay float32).
 */
public final class ResNetOnnxExporter {
    static final double BN_EPS = 1e-5;

    /**
     * @param embedding    stem width
     * @param hiddenSizes  width per stage
     * @param depths       layers per stage
     * @param downsampleInFirstStage stride 2 in stage 0
     */
    record Arch(int channels, int embedding, List<Integer> hiddenSizes, List<Integer> depths,
                boolean downsampleInFirstStage, int labels) {
        static Arch of(ObjectNode config, int labels, Path file) {
            if (!"basic".equals(config.path("layer_type").asText("bottleneck"))) {
                throw new DfdException(file + ": only ResNets with layer_type \"basic\" are converted");
            }
            return new Arch(config.path("num_channels").asInt(3), config.path("embedding_size").asInt(64),
                    ints(config.get("hidden_sizes")), ints(config.get("depths")),
                    config.path("downsample_in_first_stage").asBoolean(false), labels);
        }

        private static List<Integer> ints(JsonNode n) {
            List<Integer> out = new ArrayList<>();
            if (n != null) {
                n.forEach(v -> out.add(v.asInt()));
            }
            return out;
        }
    }

    private final Arch a;
    private final TensorSource w;
    private final WeightEncoding encoding;
    private final boolean reduceRange;
    private final OnnxBuilder g = new OnnxBuilder("resnet_image_classifier");

    private ResNetOnnxExporter(Arch arch, TensorSource weights, WeightEncoding encoding, boolean reduceRange) {
        this.a = arch;
        this.w = weights;
        this.encoding = encoding;
        this.reduceRange = reduceRange;
    }

    static OnnxMl.ModelProto export(Arch arch, TensorSource weights, WeightEncoding encoding, boolean reduceRange,
                                    int imageHeight, int imageWidth, String producerVersion, Map<String, String> metadata) {
        ResNetOnnxExporter e = new ResNetOnnxExporter(arch, weights, encoding, reduceRange);
        e.graph(imageHeight, imageWidth);
        return e.g.build(producerVersion, metadata);
    }

    private void graph(int height, int width) {
        g.input("pixel_values", DataType.FLOAT, new long[]{-1, a.channels(), height, width}, "batch_size");
        String x = convBn("pixel_values", "resnet.embedder.embedder", a.embedding(), a.channels(), 7, 2, 3, true);
        x = g.node("MaxPool", "stem_pool", List.of(x), attrs("kernel_shape", 3, 3), attrs("strides", 2, 2),
                attrs("pads", 1, 1, 1, 1));
        int in = a.embedding();
        for (int s = 0; s < a.hiddenSizes().size(); s++) {
            int out = a.hiddenSizes().get(s);
            int stride = s > 0 || a.downsampleInFirstStage() ? 2 : 1;
            for (int j = 0; j < a.depths().get(s); j++) {
                String l = "resnet.encoder.stages." + s + ".layers." + j + ".";
                int layerIn = j == 0 ? in : out;
                int layerStride = j == 0 ? stride : 1;
                String residual = layerIn != out || layerStride != 1
                        ? convBn(x, l + "shortcut", out, layerIn, 1, layerStride, 0, false) : x;
                String h = convBn(x, l + "layer.0", out, layerIn, 3, layerStride, 1, true);
                h = convBn(h, l + "layer.1", out, out, 3, 1, 1, false);
                x = g.node("Relu", "block_out", List.of(g.node("Add", "block_sum", List.of(h, residual))));
            }
            in = out;
        }
        String pooled = g.node("Flatten", "pooled", List.of(g.node("GlobalAveragePool", "gap", List.of(x))),
                attr("axis", 1L)); // (B, C)
        float[] weight = w.floats("classifier.1.weight", a.labels(), in);
        float[] t = new float[in * a.labels()];
        for (int o = 0; o < a.labels(); o++) {
            for (int i = 0; i < in; i++) {
                t[i * a.labels() + o] = weight[o * in + i];
            }
        }
        String y = encoding == WeightEncoding.INT8
                ? new Int8MatMul(g, reduceRange).apply(pooled, "classifier.1", t, in, a.labels())
                : g.node("MatMul", "matmul", List.of(pooled, stored("classifier.1.weight_t", t, in, a.labels())));
        String logits = g.node("Add", "linear", List.of(y, stored("classifier.1.bias",
                w.floats("classifier.1.bias", a.labels()), a.labels())));
        g.nodeWithOutputs("Identity", List.of(logits), List.of("logits"));
        g.output("logits", DataType.FLOAT, new long[]{-1, a.labels()}, "batch_size");
    }

    /** Conv (no bias) + BatchNorm folded into one Conv with bias, then ReLU when asked. */
    private String convBn(String x, String name, int out, int in, int k, int stride, int pad, boolean relu) {
        float[] conv = w.floats(name + ".convolution.weight", out, in, k, k);
        String bn = name + ".normalization.";
        float[] gamma = w.floats(bn + "weight", out);
        float[] beta = w.floats(bn + "bias", out);
        float[] mean = w.floats(bn + "running_mean", out);
        float[] var = w.floats(bn + "running_var", out);
        float[] folded = new float[conv.length];
        float[] bias = new float[out];
        int per = in * k * k;
        for (int o = 0; o < out; o++) {
            double s = gamma[o] / Math.sqrt(var[o] + BN_EPS);
            for (int i = 0; i < per; i++) {
                folded[o * per + i] = (float) (conv[o * per + i] * s);
            }
            bias[o] = (float) (beta[o] - mean[o] * s);
        }
        String y = g.node("Conv", "conv", List.of(x, stored(name + ".folded_weight", folded, out, in, k, k),
                        stored(name + ".folded_bias", bias, out)), attrs("kernel_shape", k, k),
                attrs("strides", stride, stride), attrs("pads", pad, pad, pad, pad));
        return relu ? g.node("Relu", "relu", List.of(y)) : y;
    }

    private String stored(String name, float[] values, long... shape) {
        if (encoding == WeightEncoding.FP16) {
            return g.node("Cast", name, List.of(g.halves(name + "_fp16", values, shape)),
                    attr("to", (long) DataType.FLOAT.getNumber()));
        }
        return g.floats(name, values, shape);
    }
}
