package dev.dfd.family.dinov2;

import ai.onnx.proto.OnnxMl;
import dev.dfd.family.ExportSettings;
import dev.dfd.graph.Layers;
import dev.dfd.graph.OnnxBuilder;
import dev.dfd.safetensors.TensorSource;

import java.util.List;

import static dev.dfd.graph.OnnxBuilder.attr;

/**
 * {@code Dinov2ForImageClassification} as an ONNX graph:
 * <pre>
 * h = [CLS, Conv(x)] + position_embeddings
 * L x { h += lambda1 * Attention(norm1(h)); h += lambda2' * MLP(norm2(h)) }   (layer scale; MLP fc1, act, fc2)
 * h = LayerNorm(h); logits = Linear([h[:, 0], mean(h[:, 1:])])                (2 x hidden in)
 * </pre>
 */
public final class Dinov2OnnxExporter {
    private final Dinov2Config c;
    private final Layers n;
    private final OnnxBuilder g;

    private Dinov2OnnxExporter(Dinov2Config config, TensorSource weights, ExportSettings s) {
        this.c = config;
        this.n = new Layers("dinov2_image_classifier", weights, s.encoding(), s.reduceRange(), s.q4());
        this.g = n.g;
    }

    public static OnnxMl.ModelProto export(Dinov2Config config, TensorSource weights, ExportSettings s) {
        Dinov2OnnxExporter e = new Dinov2OnnxExporter(config, weights, s);
        e.graph();
        return e.g.build(s.producerVersion(), s.metadata());
    }

    private void graph() {
        int hidden = c.hidden();
        String e = "dinov2.embeddings.";
        n.pixelValues(c.channels(), c.imageHeight(), c.imageWidth());
        String tokens = n.withClsToken(e, n.patchTokens(e, hidden, c.channels(), c.patchSize()), hidden);
        String h = g.node("Add", "embedded", List.of(tokens, n.param(e + "position_embeddings", 1, c.sequence(), hidden)));
        for (int i = 0; i < c.layers(); i++) {
            String l = "dinov2.encoder.layer." + i + ".";
            String x = n.layerNorm(h, l + "norm1", hidden, c.layerNormEps());
            String a = l + "attention.attention.";
            String attn = n.selfAttention(x, a + "query", a + "key", a + "value", l + "attention.output.dense", hidden,
                    c.heads(), c.qkvBias(), c.qkvBias(), null);
            attn = g.node("Mul", "layer_scale", List.of(attn, n.param(l + "layer_scale1.lambda1", hidden)));
            h = g.node("Add", "residual_attn", List.of(attn, h));
            String y = n.layerNorm(h, l + "norm2", hidden, c.layerNormEps());
            y = n.activation(n.linear(y, l + "mlp.fc1", hidden, c.mlpHidden(), true), c.hiddenAct());
            y = n.linear(y, l + "mlp.fc2", c.mlpHidden(), hidden, true);
            y = g.node("Mul", "layer_scale", List.of(y, n.param(l + "layer_scale2.lambda1", hidden)));
            h = g.node("Add", "residual_mlp", List.of(y, h));
        }
        h = n.layerNorm(h, "dinov2.layernorm", hidden, c.layerNormEps());
        String pooled = g.node("Concat", "cls_and_mean", List.of(n.token(h, 0), n.meanTokens(h, 1)), attr("axis", 1L));
        n.logits(n.linear(pooled, "classifier", 2 * hidden, c.labels().size(), true), c.labels().size());
    }
}
