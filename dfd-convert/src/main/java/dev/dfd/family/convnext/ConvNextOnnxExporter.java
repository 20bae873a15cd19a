package dev.dfd.family.convnext;

import ai.onnx.proto.OnnxMl;
import dev.dfd.family.ExportSettings;
import dev.dfd.graph.Layers;
import dev.dfd.graph.OnnxBuilder;
import dev.dfd.safetensors.TensorSource;

import java.util.List;

import static dev.dfd.graph.OnnxBuilder.attr;
import static dev.dfd.graph.OnnxBuilder.attrs;

/**
 * {@code ConvNextForImageClassification} / {@code ConvNextV2ForImageClassification} as an ONNX graph:
 * <pre>
 * stem: conv p x p / p -> LayerNorm over channels
 * stage i (i > 0, or a width change): LayerNorm over channels -> conv 2x2/2
 * layer: x + [layer_scale *] Linear2([GRN](act(Linear1(LayerNorm(dwconv7x7(x)))))), channels-last inside
 * head: mean over H, W -> LayerNorm (layer_norm_eps) -> Linear
 * GRN (V2): g = ||x||_2 over H, W; x + weight * (x * g / (mean_C(g) + 1e-6)) + bias
 * </pre>
 * Drop path is the identity at inference. Any input size (the pooling is global).
 */
public final class ConvNextOnnxExporter {
    private final ConvNextConfig c;
    private final Layers n;
    private final OnnxBuilder g;

    private ConvNextOnnxExporter(ConvNextConfig config, TensorSource weights, ExportSettings s) {
        this.c = config;
        this.n = new Layers(config.v2() ? "convnextv2_image_classifier" : "convnext_image_classifier", weights,
                s.encoding(), s.reduceRange(), s.q4());
        this.g = n.g;
    }

    public static OnnxMl.ModelProto export(ConvNextConfig config, TensorSource weights, ExportSettings s) {
        ConvNextOnnxExporter e = new ConvNextOnnxExporter(config, weights, s);
        e.graph(s.height(), s.width());
        return e.g.build(s.producerVersion(), s.metadata());
    }

    private void graph(int height, int width) {
        String p = c.prefix();
        n.pixelValues(c.channels(), height, width);
        int dim = c.hiddenSizes().get(0);
        String x = n.conv("pixel_values", p + "embeddings.patch_embeddings", dim, c.channels(), c.patchSize(),
                c.patchSize(), 0, 1, true);
        x = n.layerNormChannelsFirst(x, p + "embeddings.layernorm", dim, ConvNextConfig.INNER_EPS);
        for (int s = 0; s < c.hiddenSizes().size(); s++) {
            String stage = p + "encoder.stages." + s + ".";
            int out = c.hiddenSizes().get(s);
            int stride = s > 0 ? 2 : 1;
            if (dim != out || stride > 1) {
                x = n.layerNormChannelsFirst(x, stage + "downsampling_layer.0", dim, ConvNextConfig.INNER_EPS);
                x = n.conv(x, stage + "downsampling_layer.1", out, dim, 2, stride, 0, 1, true);
            }
            dim = out;
            for (int j = 0; j < c.depths().get(s); j++) {
                x = layer(x, stage + "layers." + j + ".", dim);
            }
        }
        String pooled = g.node("ReduceMean", "pooled", List.of(x), attrs("axes", 2, 3), attr("keepdims", 0L)); // (B, C)
        pooled = n.layerNorm(pooled, p + "layernorm", dim, c.layerNormEps());
        n.logits(n.linear(pooled, "classifier", dim, c.labels().size(), true), c.labels().size());
    }

    /** One ConvNeXt block on (B, C, H, W). */
    private String layer(String x, String l, int dim) {
        String y = n.conv(x, l + "dwconv", dim, dim, 7, 1, 3, dim, true);
        y = g.node("Transpose", "nhwc", List.of(y), attrs("perm", 0, 2, 3, 1));
        y = n.layerNorm(y, l + "layernorm", dim, ConvNextConfig.INNER_EPS);
        y = n.activation(n.linear(y, l + "pwconv1", dim, 4 * dim, true), c.hiddenAct());
        if (c.v2()) {
            y = grn(y, l + "grn", 4 * dim);
        }
        y = n.linear(y, l + "pwconv2", 4 * dim, dim, true);
        if (c.layerScale()) {
            y = g.node("Mul", "layer_scale", List.of(y, n.param(l + "layer_scale_parameter", dim)));
        }
        y = g.node("Transpose", "nchw", List.of(y), attrs("perm", 0, 3, 1, 2));
        return g.node("Add", "residual", List.of(x, y));
    }

    /** Global response normalisation on (B, H, W, C). */
    private String grn(String x, String name, int dim) {
        String norm = g.node("ReduceL2", "grn_norm", List.of(x), attrs("axes", 1, 2), attr("keepdims", 1L));
        String mean = g.node("ReduceMean", "grn_mean", List.of(norm), attrs("axes", -1), attr("keepdims", 1L));
        String scale = g.node("Div", "grn_scale", List.of(norm, g.node("Add", "grn_denominator",
                List.of(mean, g.scalar("grn_eps", 1e-6f)))));
        String weighted = g.node("Mul", "grn_weighted", List.of(n.param(name + ".weight", 1, 1, 1, dim),
                g.node("Mul", "grn_scaled", List.of(x, scale))));
        return g.node("Add", "grn", List.of(g.node("Add", "grn_biased", List.of(weighted,
                n.param(name + ".bias", 1, 1, 1, dim))), x));
    }
}
