package dev.dfd.family.vit;

import ai.onnx.proto.OnnxMl;
import dev.dfd.family.ExportSettings;
import dev.dfd.graph.Layers;
import dev.dfd.graph.OnnxBuilder;
import dev.dfd.graph.Q4Options;
import dev.dfd.graph.WeightEncoding;
import dev.dfd.safetensors.TensorSource;

import java.util.List;
import java.util.Map;

import static dev.dfd.graph.OnnxBuilder.attr;

/**
 * {@code ViTForImageClassification} / {@code DeiTForImageClassification} as an ONNX graph, from transformers'
 * parameter names, computing what transformers' eager forward computes:
 * <pre>
 * patches = Conv(pixel_values) -> (B, N, hidden); tokens = [CLS (, DIST), patches] + position embeddings
 * L x { h += Attention(LayerNorm(h)); h += MLP(LayerNorm(h)) }   (pre-norm, GELU, softmax(QK^T / sqrt(d)) V)
 * logits = Linear(LayerNorm(h)[:, 0])
 * </pre>
 * Input {@code pixel_values} float32 [batch, channels, H, W], output {@code logits} float32 [batch, num_labels],
 * dynamic batch. Linear weights are stored transposed ([in, out]) for MatMul.
 */
public final class VitOnnxExporter {
    private final VitConfig c;
    private final Layers n;
    private final OnnxBuilder g;
    private final String prefix;

    private VitOnnxExporter(VitConfig config, TensorSource weights, WeightEncoding encoding, boolean reduceRange,
                            Q4Options q4) {
        this.c = config;
        this.n = new Layers(config.family() + "_image_classifier", weights, encoding, reduceRange, q4);
        this.g = n.g;
        this.prefix = config.family() + ".";
    }

    /**
     * @param reduceRange int8 only: quantise weights to 7 bits, for AVX2 CPUs without VNNI whose u8 x s8 kernels can
     *                    saturate at full range
     */
    public static OnnxMl.ModelProto export(VitConfig config, TensorSource weights, WeightEncoding encoding,
                                           boolean reduceRange, String producerVersion, Map<String, String> metadata) {
        return export(config, weights, new ExportSettings(encoding, reduceRange, -1, -1, producerVersion, metadata));
    }

    /** Exports with every setting (input size aside, which the config fixes). */
    public static OnnxMl.ModelProto export(VitConfig config, TensorSource weights, ExportSettings s) {
        VitOnnxExporter e = new VitOnnxExporter(config, weights, s.encoding(), s.reduceRange(), s.q4());
        e.graph();
        return e.g.build(s.producerVersion(), s.metadata());
    }

    private void graph() {
        int hidden = c.hidden();
        n.pixelValues(c.channels(), c.imageHeight(), c.imageWidth());
        // (B, hidden, H/p, W/p) -> (B, N, hidden)
        String e = prefix + "embeddings.";
        String patches = n.patchTokens(e, hidden, c.channels(), c.patchSize());
        // CLS (and DeiT's distillation) token, expanded to the batch: (B, 1, hidden)
        String tokenShape = n.tokenShape(patches, hidden);
        String cls = g.node("Expand", "cls", List.of(n.param(e + "cls_token", 1, 1, hidden), tokenShape));
        List<String> parts = c.family().equals("deit")
                ? List.of(cls, g.node("Expand", "dist", List.of(n.param(e + "distillation_token", 1, 1, hidden),
                tokenShape)), patches)
                : List.of(cls, patches);
        String tokens = g.node("Concat", "tokens", parts, attr("axis", 1L));
        String h = g.node("Add", "embedded", List.of(tokens, n.param(e + "position_embeddings", 1, c.sequence(), hidden)));
        for (int i = 0; i < c.layers(); i++) {
            String l = prefix + "encoder.layer." + i + ".";
            String x = n.layerNorm(h, l + "layernorm_before", hidden, c.layerNormEps());
            String a = l + "attention.attention.";
            String attn = n.selfAttention(x, a + "query", a + "key", a + "value", l + "attention.output.dense", hidden,
                    c.heads(), c.qkvBias(), c.qkvBias(), null);
            h = g.node("Add", "residual_attn", List.of(attn, h));
            String y = n.layerNorm(h, l + "layernorm_after", hidden, c.layerNormEps());
            String mlp = n.activation(n.linear(y, l + "intermediate.dense", hidden, c.intermediate(), true), c.hiddenAct());
            String out = n.linear(mlp, l + "output.dense", c.intermediate(), hidden, true);
            h = g.node("Add", "residual_mlp", List.of(out, h));
        }
        h = n.layerNorm(h, prefix + "layernorm", hidden, c.layerNormEps());
        n.logits(n.linear(n.token(h, 0), "classifier", hidden, c.labels().size(), true), c.labels().size());
    }
}
