package dev.dfd.family.mobilenetv1;

import ai.onnx.proto.OnnxMl;
import dev.dfd.family.ExportSettings;
import dev.dfd.graph.Layers;
import dev.dfd.graph.OnnxBuilder;
import dev.dfd.safetensors.TensorSource;

import java.util.List;

import static dev.dfd.graph.OnnxBuilder.attr;
import static dev.dfd.graph.OnnxBuilder.attrs;

/**
 * {@code MobileNetV1ForImageClassification} (transformers' layout) as an ONNX graph, BatchNorm folded into each
 * convolution (running statistics): {@code w' = w * gamma / sqrt(var + eps)}, {@code b' = beta - mean * gamma /
 * sqrt(var + eps)}.
 * <pre>
 * stem:      act(BN(conv 3x3/2))                                      (B, 3, H, W) -> (B, 32a, H/2, W/2)
 * layer i:   act(BN(conv1x1(act(BN(depthwise 3x3/stride_i(x))))))    13 layers, strides {@link MobileNetV1Config#STRIDES}
 * head:      global average pool -> Linear ("classifier")             (B, 1024a) -> (B, labels)
 * </pre>
 * TensorFlow's "SAME" padding ({@code tf_padding}) is ONNX's {@code auto_pad SAME_UPPER}: the same total
 * {@code max((ceil(in / s) - 1) s + k - in, 0)}, the odd row or column after; so the graph takes any input size, as
 * transformers' model does. The classifier's dropout is the identity at inference.
 */
public final class MobileNetV1OnnxExporter {
    private final MobileNetV1Config a;
    private final TensorSource w;
    private final Layers n;
    private final OnnxBuilder g;

    private MobileNetV1OnnxExporter(MobileNetV1Config config, TensorSource weights, ExportSettings s) {
        this.a = config;
        this.w = weights;
        this.n = new Layers("mobilenet_v1_image_classifier", weights, s.encoding(), s.reduceRange(), s.q4());
        this.g = n.g;
    }

    public static OnnxMl.ModelProto export(MobileNetV1Config config, TensorSource weights, ExportSettings s) {
        MobileNetV1OnnxExporter e = new MobileNetV1OnnxExporter(config, weights, s);
        e.graph(s.height(), s.width());
        return e.g.build(s.producerVersion(), s.metadata());
    }

    private void graph(int height, int width) {
        n.pixelValues(a.channels(), height, width);
        int in = a.stemWidth();
        String x = convBn("pixel_values", "mobilenet_v1.conv_stem", in, a.channels(), 3, 2, 1);
        List<Integer> widths = a.layerWidths();
        for (int i = 0; i < widths.size(); i++) {
            int out = widths.get(i);
            x = convBn(x, "mobilenet_v1.layer." + (2 * i), in, in, 3, MobileNetV1Config.STRIDES[i], in);
            x = convBn(x, "mobilenet_v1.layer." + (2 * i + 1), out, in, 1, 1, 1);
            in = out;
        }
        String pooled = g.node("Flatten", "pooled", List.of(g.node("GlobalAveragePool", "gap", List.of(x))),
                attr("axis", 1L)); // (B, C)
        n.logits(n.linear(pooled, "classifier", in, a.labels().size(), true), a.labels().size());
    }

    /** Conv (no bias, {@code groups}) + BatchNorm folded into one Conv with bias, then the activation. */
    private String convBn(String x, String name, int out, int in, int k, int stride, int groups) {
        int perOut = in / groups * k * k;
        float[] conv = w.floats(name + ".convolution.weight", out, in / groups, k, k);
        String bn = name + ".normalization.";
        float[] gamma = w.floats(bn + "weight", out);
        float[] beta = w.floats(bn + "bias", out);
        float[] mean = w.floats(bn + "running_mean", out);
        float[] var = w.floats(bn + "running_var", out);
        float[] folded = new float[conv.length];
        float[] bias = new float[out];
        for (int o = 0; o < out; o++) {
            double s = gamma[o] / Math.sqrt(var[o] + a.layerNormEps());
            for (int i = 0; i < perOut; i++) {
                folded[o * perOut + i] = (float) (conv[o * perOut + i] * s);
            }
            bias[o] = (float) (beta[o] - mean[o] * s);
        }
        OnnxMl.AttributeProto padding = a.tfPadding() ? attr("auto_pad", "SAME_UPPER")
                : attrs("pads", k / 2, k / 2, k / 2, k / 2);
        String y = g.node("Conv", "conv", List.of(x, n.stored(name + ".folded_weight", folded, out, in / groups, k, k),
                        n.stored(name + ".folded_bias", bias, out)), attrs("kernel_shape", k, k),
                attrs("strides", stride, stride), padding, attr("group", (long) groups));
        if (a.hiddenAct().equals("relu")) {
            return g.node("Relu", "relu", List.of(y));
        }
        return g.node("Clip", "relu6", List.of(y, g.scalar("zero", 0f), g.scalar("six", 6f)));
    }
}
