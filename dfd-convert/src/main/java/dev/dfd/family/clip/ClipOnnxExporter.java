package dev.dfd.family.clip;

import ai.onnx.proto.OnnxMl;
import dev.dfd.family.ExportSettings;
import dev.dfd.graph.Layers;
import dev.dfd.graph.OnnxBuilder;
import dev.dfd.safetensors.TensorSource;

import java.util.ArrayList;
import java.util.List;

import static dev.dfd.graph.OnnxBuilder.attr;
import static dev.dfd.graph.OnnxBuilder.attrs;

/**
 * {@code CLIPForImageClassification} / {@code SiglipForImageClassification} as an ONNX graph (the vision tower,
 * {@code vision_model.*}, and the {@code classifier}):
 * <pre>
 * CLIP:   h = PreLayerNorm([class_embedding, Conv(x)] + position_embedding)   (patch conv without bias)
 * SigLIP: h = Conv(x) + position_embedding                                     (patch conv with bias)
 * L x { h += Attention(LayerNorm1(h)); h += MLP(LayerNorm2(h)) }               (MLP: fc1, act, fc2)
 * CLIP:   logits = Linear(mean(h[:, 1:]))                   (the encoder output: no post-LayerNorm)
 * SigLIP: logits = Linear(mean(PostLayerNorm(h)))           (the attention-pooling head is not used)
 * </pre>
 */
public final class ClipOnnxExporter {
    private final ClipConfig c;
    private final Layers n;
    private final OnnxBuilder g;

    private ClipOnnxExporter(ClipConfig config, TensorSource weights, ExportSettings s) {
        this.c = config;
        this.n = new Layers(config.siglip() ? "siglip_image_classifier" : "clip_image_classifier", weights,
                s.encoding(), s.reduceRange(), s.q4());
        this.g = n.g;
    }

    public static OnnxMl.ModelProto export(ClipConfig config, TensorSource weights, ExportSettings s) {
        ClipOnnxExporter e = new ClipOnnxExporter(config, weights, s);
        e.graph();
        return e.g.build(s.producerVersion(), s.metadata());
    }

    private void graph() {
        int hidden = c.hidden();
        String v = "vision_model.";
        String e = v + "embeddings.";
        n.pixelValues(c.channels(), c.imageHeight(), c.imageWidth());
        List<String> convInputs = new ArrayList<>(List.of("pixel_values",
                n.param(e + "patch_embedding.weight", hidden, c.channels(), c.patchSize(), c.patchSize())));
        if (c.siglip()) {
            convInputs.add(n.param(e + "patch_embedding.bias", hidden));
        }
        String conv = g.node("Conv", "patch_conv", convInputs, attrs("kernel_shape", c.patchSize(), c.patchSize()),
                attrs("strides", c.patchSize(), c.patchSize()));
        String tokens = n.tokens(conv, hidden);
        if (!c.siglip()) {
            String cls = g.node("Expand", "cls", List.of(n.stored(e + "class_embedding",
                    n.weights().floats(e + "class_embedding", hidden), 1, 1, hidden), n.tokenShape(tokens, hidden)));
            tokens = g.node("Concat", "tokens", List.of(cls, tokens), attr("axis", 1L));
        }
        String position = n.stored(e + "position_embedding.weight",
                n.weights().floats(e + "position_embedding.weight", c.sequence(), hidden), 1, c.sequence(), hidden);
        String h = g.node("Add", "embedded", List.of(tokens, position));
        if (!c.siglip()) {
            h = n.layerNorm(h, v + "pre_layrnorm", hidden, c.layerNormEps()); // transformers' spelling
        }
        for (int i = 0; i < c.layers(); i++) {
            String l = v + "encoder.layers." + i + ".";
            String x = n.layerNorm(h, l + "layer_norm1", hidden, c.layerNormEps());
            String a = l + "self_attn.";
            h = g.node("Add", "residual_attn", List.of(h, n.selfAttention(x, a + "q_proj", a + "k_proj", a + "v_proj",
                    a + "out_proj", hidden, c.heads(), true, true, null)));
            String y = n.layerNorm(h, l + "layer_norm2", hidden, c.layerNormEps());
            y = n.activation(n.linear(y, l + "mlp.fc1", hidden, c.intermediate(), true), c.hiddenAct());
            h = g.node("Add", "residual_mlp", List.of(h, n.linear(y, l + "mlp.fc2", c.intermediate(), hidden, true)));
        }
        String pooled = c.siglip()
                ? n.meanTokens(n.layerNorm(h, v + "post_layernorm", hidden, c.layerNormEps()), 0)
                : n.meanTokens(h, 1);
        n.logits(n.linear(pooled, "classifier", hidden, c.labels().size(), true), c.labels().size());
    }
}
