package dev.dfd.family.resnet;

import ai.onnx.proto.OnnxMl;
import dev.dfd.family.ExportSettings;
import dev.dfd.graph.Layers;
import dev.dfd.graph.OnnxBuilder;
import dev.dfd.safetensors.TensorSource;

import java.util.List;

import static dev.dfd.graph.OnnxBuilder.attr;
import static dev.dfd.graph.OnnxBuilder.attrs;

/**
 * {@code ResNetForImageClassification} (transformers' layout, as microsoft/resnet-50) as an ONNX graph, BatchNorm
 * folded into the preceding convolution (inference mode: running statistics, eps 1e-5):
 * {@code w' = w * gamma / sqrt(var + eps)}, {@code b' = beta - mean * gamma / sqrt(var + eps)}.
 * <pre>
 * stem: conv 7x7/2 -> BN -> act -> maxpool 3x3/2
 * basic layer:      act(BN(conv3x3(relu(BN(conv3x3/s(x))))) + shortcut(x))
 * bottleneck layer: act(BN(conv1x1(relu(BN(conv3x3/s(relu(BN(conv1x1(x)))))))) + shortcut(x)), width out / 4 inside
 *                   (the stride on the first 1x1 instead with downsample_in_bottleneck)
 * shortcut: BN(conv1x1/s(x)) when the width or stride changes, else x
 * head: global average pool -> Linear ("classifier.1")
 * </pre>
 * As in transformers, the convolutions inside a layer use ReLU whatever {@code hidden_act} says; the stem and each
 * residual sum use {@code hidden_act}. With dfd's residual input, the stem convolves the image concatenated with
 * {@code x - up2(down2(x))} (every second pixel, repeated back to full size by nearest neighbour and cut to the
 * image's size). Any input size (the pooling is global). Dynamic int8 quantises the classifier's MatMul only (the
 * only MatMul); static int8 ({@link dev.dfd.quantize.QdqQuantizer}) quantises this graph's convolutions too.
 */
public final class ResNetOnnxExporter {
    static final double BN_EPS = 1e-5;

    private final ResNetConfig a;
    private final TensorSource w;
    private final Layers n;
    private final OnnxBuilder g;

    private ResNetOnnxExporter(ResNetConfig config, TensorSource weights, ExportSettings s) {
        this.a = config;
        this.w = weights;
        this.n = new Layers("resnet_image_classifier", weights, s.encoding(), s.reduceRange(), s.q4());
        this.g = n.g;
    }

    public static OnnxMl.ModelProto export(ResNetConfig config, TensorSource weights, ExportSettings s) {
        ResNetOnnxExporter e = new ResNetOnnxExporter(config, weights, s);
        e.graph(s.height(), s.width());
        return e.g.build(s.producerVersion(), s.metadata());
    }

    private void graph(int height, int width) {
        n.pixelValues(a.channels(), height, width);
        String stemInput = a.residualInput() ? withResidual("pixel_values") : "pixel_values";
        String x = convBn(stemInput, "resnet.embedder.embedder", a.embedding(), a.stemChannels(), 7, 2, 3, a.hiddenAct());
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
                        ? convBn(x, l + "shortcut", out, layerIn, 1, layerStride, 0, null) : x;
                String h;
                if (a.bottleneck()) {
                    int mid = out / ResNetConfig.REDUCTION;
                    int first = a.downsampleInBottleneck() ? layerStride : 1;
                    h = convBn(x, l + "layer.0", mid, layerIn, 1, first, 0, "relu");
                    h = convBn(h, l + "layer.1", mid, mid, 3, layerStride / first, 1, "relu");
                    h = convBn(h, l + "layer.2", out, mid, 1, 1, 0, null);
                } else {
                    h = convBn(x, l + "layer.0", out, layerIn, 3, layerStride, 1, "relu");
                    h = convBn(h, l + "layer.1", out, out, 3, 1, 1, null);
                }
                String sum = g.node("Add", "block_sum", List.of(h, residual));
                x = a.hiddenAct().equals("relu") ? g.node("Relu", "block_out", List.of(sum)) : n.activation(sum, a.hiddenAct());
            }
            in = out;
        }
        String pooled = g.node("Flatten", "pooled", List.of(g.node("GlobalAveragePool", "gap", List.of(x))),
                attr("axis", 1L)); // (B, C)
        n.logits(n.linear(pooled, "classifier.1", in, a.labels().size(), true), a.labels().size());
    }

    /**
     * (B, C, H, W) -> (B, 2C, H, W): the image, then its residual against nearest down- and up-sampling by 2,
     * {@code x[h][w] - x[2 floor(h/2)][2 floor(w/2)]}.
     */
    private String withResidual(String x) {
        String axes = g.vector("axes_2_3", 2, 3);
        String every2nd = g.node("Slice", "every_2nd_pixel", List.of(x, g.vector("zeros_2", 0, 0),
                g.vector("ends_max_2", Long.MAX_VALUE, Long.MAX_VALUE), axes, g.vector("steps_2_2", 2, 2)));
        // (B, C, ceil(H/2), ceil(W/2)) -> (B, C, 2 ceil(H/2), 2 ceil(W/2)): output pixel i reads input floor(i / 2)
        String repeated = g.node("Resize", "repeated", List.of(every2nd, "", g.floats("scales_1_1_2_2",
                        new float[]{1, 1, 2, 2}, 4)), attr("mode", "nearest"),
                attr("coordinate_transformation_mode", "asymmetric"), attr("nearest_mode", "floor"));
        String size = g.node("Slice", "image_size", List.of(g.node("Shape", "shape", List.of(x)), g.vector("from_2", 2),
                g.vector("to_4", 4)));
        String up = g.node("Slice", "up", List.of(repeated, g.vector("zeros_2", 0, 0), size, axes));
        String residual = g.node("Sub", "residual", List.of(x, up));
        return g.node("Concat", "image_and_residual", List.of(x, residual), attr("axis", 1L));
    }

    /** Conv (no bias) + BatchNorm folded into one Conv with bias, then the activation (none when null). */
    private String convBn(String x, String name, int out, int in, int k, int stride, int pad, String act) {
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
        String y = g.node("Conv", "conv", List.of(x, n.stored(name + ".folded_weight", folded, out, in, k, k),
                        n.stored(name + ".folded_bias", bias, out)), attrs("kernel_shape", k, k),
                attrs("strides", stride, stride), attrs("pads", pad, pad, pad, pad));
        if (act == null) {
            return y;
        }
        return act.equals("relu") ? g.node("Relu", "relu", List.of(y)) : n.activation(y, act);
    }
}
