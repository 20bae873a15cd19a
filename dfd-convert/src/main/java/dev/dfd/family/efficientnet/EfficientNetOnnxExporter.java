package dev.dfd.family.efficientnet;

import ai.onnx.proto.OnnxMl;
import dev.dfd.family.ExportSettings;
import dev.dfd.graph.Layers;
import dev.dfd.graph.OnnxBuilder;
import dev.dfd.safetensors.TensorSource;

import java.util.List;

import static dev.dfd.graph.OnnxBuilder.attr;
import static dev.dfd.graph.OnnxBuilder.attrs;

/**
 * {@code EfficientNetForImageClassification} as an ONNX graph, BatchNorm folded into the convolutions (running
 * statistics, batch_norm_eps):
 * <pre>
 * stem: pad (0, 1) right and bottom -> conv 3x3/2 -> BN -> act
 * block: [expand 1x1 -> BN -> act] -> depthwise kxk/s -> BN -> act -> squeeze-excite -> project 1x1 -> BN
 *        (+ input on the repeats of a base block); stride 2 pads (k/2 - 1, k/2) on each axis, or (k/2, k/2)
 *        for the blocks in depthwise_padding; stride 1 pads k/2 ("same")
 * squeeze-excite: x * sigmoid(conv1x1(act(conv1x1(mean over H, W of x))))
 * top: conv 1x1 -> BN -> act; pooler: transformers' AvgPool2d(hidden_dim, ceil_mode=True), which over a map smaller
 * than hidden_dim is the global mean (MaxPool2d likewise the global max); classifier: Linear
 * </pre>
 * Dropout is the identity at inference. Any input size.
 */
public final class EfficientNetOnnxExporter {
    private final EfficientNetConfig c;
    private final TensorSource w;
    private final Layers n;
    private final OnnxBuilder g;

    private EfficientNetOnnxExporter(EfficientNetConfig config, TensorSource weights, ExportSettings s) {
        this.c = config;
        this.w = weights;
        this.n = new Layers("efficientnet_image_classifier", weights, s.encoding(), s.reduceRange(), s.q4());
        this.g = n.g;
    }

    public static OnnxMl.ModelProto export(EfficientNetConfig config, TensorSource weights, ExportSettings s) {
        EfficientNetOnnxExporter e = new EfficientNetOnnxExporter(config, weights, s);
        e.graph(s.height(), s.width());
        return e.g.build(s.producerVersion(), s.metadata());
    }

    private void graph(int height, int width) {
        n.pixelValues(c.channels(), height, width);
        String p = "efficientnet.";
        int stem = c.roundFilters(32);
        String x = act(convBn("pixel_values", p + "embeddings.convolution", p + "embeddings.batchnorm", stem,
                c.channels(), 3, 2, new long[]{0, 0, 1, 1}, 1));
        List<EfficientNetConfig.Block> blocks = c.blocks();
        int width0 = stem;
        for (int b = 0; b < blocks.size(); b++) {
            EfficientNetConfig.Block k = blocks.get(b);
            String l = p + "encoder.blocks." + b + ".";
            String h = x;
            int dim = k.in();
            if (k.expand() != 1) {
                dim = k.in() * k.expand();
                h = act(convBn(h, l + "expansion.expand_conv", l + "expansion.expand_bn", dim, k.in(), 1, 1,
                        new long[]{0, 0, 0, 0}, 1));
            }
            int half = k.kernel() / 2;
            long[] pads = k.stride() == 1 ? new long[]{half, half, half, half} // "same"
                    : k.adjustPadding() ? new long[]{half - 1, half - 1, half, half} : new long[]{half, half, half, half};
            h = act(convBn(h, l + "depthwise_conv.depthwise_conv", l + "depthwise_conv.depthwise_norm", dim, dim,
                    k.kernel(), k.stride(), pads, dim));
            h = squeezeExcite(h, l + "squeeze_excite.", dim, Math.max(1, (int) (k.in() * c.squeezeRatio())));
            h = convBn(h, l + "projection.project_conv", l + "projection.project_bn", k.out(), dim, 1, 1,
                    new long[]{0, 0, 0, 0}, 1);
            x = k.residual() ? g.node("Add", "block_sum", List.of(h, x)) : h;
            width0 = k.out();
        }
        x = act(convBn(x, p + "encoder.top_conv", p + "encoder.top_bn", c.hiddenDim(), width0, 1, 1,
                new long[]{0, 0, 0, 0}, 1));
        String pooled = g.node("Flatten", "pooled", List.of(g.node(c.maxPooling() ? "GlobalMaxPool" : "GlobalAveragePool",
                "gap", List.of(x))), attr("axis", 1L));
        n.logits(n.linear(pooled, "classifier", c.hiddenDim(), c.labels().size(), true), c.labels().size());
    }

    private String squeezeExcite(String x, String name, int dim, int squeezed) {
        String s = g.node("GlobalAveragePool", "squeeze", List.of(x));
        s = act(n.conv(s, name + "reduce", squeezed, dim, 1, 1, 0, 1, true));
        s = g.node("Sigmoid", "excite", List.of(n.conv(s, name + "expand", dim, squeezed, 1, 1, 0, 1, true)));
        return g.node("Mul", "excited", List.of(x, s));
    }

    private String act(String x) {
        return n.activation(x, c.hiddenAct());
    }

    /** Conv (no bias) + BatchNorm folded into one Conv with bias; pads (top, left, bottom, right). */
    private String convBn(String x, String conv, String bn, int out, int in, int k, int stride, long[] pads, int groups) {
        int perGroup = in / groups;
        float[] weight = w.floats(conv + ".weight", out, perGroup, k, k);
        float[] gamma = w.floats(bn + ".weight", out);
        float[] beta = w.floats(bn + ".bias", out);
        float[] mean = w.floats(bn + ".running_mean", out);
        float[] var = w.floats(bn + ".running_var", out);
        float[] folded = new float[weight.length];
        float[] bias = new float[out];
        int per = perGroup * k * k;
        for (int o = 0; o < out; o++) {
            double s = gamma[o] / Math.sqrt(var[o] + c.batchNormEps());
            for (int i = 0; i < per; i++) {
                folded[o * per + i] = (float) (weight[o * per + i] * s);
            }
            bias[o] = (float) (beta[o] - mean[o] * s);
        }
        return g.node("Conv", "conv", List.of(x, n.stored(conv + ".folded_weight", folded, out, perGroup, k, k),
                        n.stored(conv + ".folded_bias", bias, out)), attrs("kernel_shape", k, k),
                attrs("strides", stride, stride), attrs("pads", pads[0], pads[1], pads[2], pads[3]),
                attr("group", (long) groups));
    }
}
