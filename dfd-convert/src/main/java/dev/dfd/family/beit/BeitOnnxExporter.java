package dev.dfd.family.beit;

import ai.onnx.proto.OnnxMl;
import dev.dfd.family.ExportSettings;
import dev.dfd.graph.Layers;
import dev.dfd.graph.OnnxBuilder;
import dev.dfd.safetensors.TensorSource;

import java.util.List;


/**
 * {@code BeitForImageClassification} as an ONNX graph:
 * <pre>
 * h = [CLS, Conv(x)] (+ position_embeddings when absolute)
 * L x { h += lambda_1 * Attention(layernorm_before(h), + relative position bias); h += lambda_2 * MLP(layernorm_after(h)) }
 * mean pooling: logits = Linear(LayerNorm(mean(h[:, 1:])));  else logits = Linear(LayerNorm(h)[:, 0])
 * </pre>
 * The relative position bias (heads, S, S) is gathered from each layer's table at conversion time, with
 * transformers' index: for patches i, j at (y, x), {@code (dy + Wh - 1) * (2 Ww - 1) + (dx + Ww - 1)}; the last three
 * table rows are class-to-patch, patch-to-class and class-to-class.
 */
public final class BeitOnnxExporter {
    private final BeitConfig c;
    private final Layers n;
    private final OnnxBuilder g;

    private BeitOnnxExporter(BeitConfig config, TensorSource weights, ExportSettings s) {
        this.c = config;
        this.n = new Layers("beit_image_classifier", weights, s.encoding(), s.reduceRange(), s.q4());
        this.g = n.g;
    }

    public static OnnxMl.ModelProto export(BeitConfig config, TensorSource weights, ExportSettings s) {
        BeitOnnxExporter e = new BeitOnnxExporter(config, weights, s);
        e.graph();
        return e.g.build(s.producerVersion(), s.metadata());
    }

    private void graph() {
        int hidden = c.hidden();
        String e = "beit.embeddings.";
        n.pixelValues(c.channels(), c.imageHeight(), c.imageWidth());
        String h = n.withClsToken(e, n.patchTokens(e, hidden, c.channels(), c.patchSize()), hidden);
        if (c.absolutePositions()) {
            h = g.node("Add", "embedded", List.of(h, n.param(e + "position_embeddings", 1, c.sequence(), hidden)));
        }
        String shared = c.sharedRelativeBias()
                ? relativeBias("beit.encoder.relative_position_bias.relative_position_bias_table") : null;
        for (int i = 0; i < c.layers(); i++) {
            String l = "beit.encoder.layer." + i + ".";
            String a = l + "attention.attention.";
            String bias = shared;
            if (c.relativeBias()) {
                String own = relativeBias(a + "relative_position_bias.relative_position_bias_table");
                bias = bias == null ? own : g.node("Add", "relative_bias", List.of(own, bias));
            }
            String x = n.layerNorm(h, l + "layernorm_before", hidden, c.layerNormEps());
            String attn = n.selfAttention(x, a + "query", a + "key", a + "value", l + "attention.output.dense", hidden,
                    c.heads(), true, false, bias);
            if (c.layerScale()) {
                attn = g.node("Mul", "layer_scale", List.of(attn, n.param(l + "lambda_1", hidden)));
            }
            h = g.node("Add", "residual_attn", List.of(attn, h));
            String y = n.layerNorm(h, l + "layernorm_after", hidden, c.layerNormEps());
            y = n.activation(n.linear(y, l + "intermediate.dense", hidden, c.intermediate(), true), c.hiddenAct());
            y = n.linear(y, l + "output.dense", c.intermediate(), hidden, true);
            if (c.layerScale()) {
                y = g.node("Mul", "layer_scale", List.of(y, n.param(l + "lambda_2", hidden)));
            }
            h = g.node("Add", "residual_mlp", List.of(y, h));
        }
        String pooled = c.meanPooling()
                ? n.layerNorm(n.meanTokens(h, 1), "beit.pooler.layernorm", hidden, c.layerNormEps())
                : n.token(n.layerNorm(h, "beit.layernorm", hidden, c.layerNormEps()), 0);
        n.logits(n.linear(pooled, "classifier", hidden, c.labels().size(), true), c.labels().size());
    }

    /** The (heads, S, S) additive bias of one relative position table ((2Wh-1)(2Ww-1) + 3, heads). */
    private String relativeBias(String tableName) {
        int wh = c.gridHeight();
        int ww = c.gridWidth();
        int distances = (2 * wh - 1) * (2 * ww - 1) + 3;
        int heads = c.heads();
        float[] table = n.weights().floats(tableName, distances, heads);
        int[][] index = relativePositionIndex(wh, ww);
        int s = c.sequence();
        float[] bias = new float[heads * s * s];
        for (int head = 0; head < heads; head++) {
            for (int i = 0; i < s; i++) {
                for (int j = 0; j < s; j++) {
                    bias[(head * s + i) * s + j] = table[index[i][j] * heads + head];
                }
            }
        }
        return n.stored(tableName + ".gathered", bias, heads, s, s);
    }

    /** transformers' relative position index over CLS + a wh x ww grid of patches (row-major). */
    static int[][] relativePositionIndex(int wh, int ww) {
        int distances = (2 * wh - 1) * (2 * ww - 1) + 3;
        int patches = wh * ww;
        int[][] index = new int[patches + 1][patches + 1];
        for (int i = 0; i < patches; i++) {
            for (int j = 0; j < patches; j++) {
                int dy = i / ww - j / ww + wh - 1;
                int dx = i % ww - j % ww + ww - 1;
                index[i + 1][j + 1] = dy * (2 * ww - 1) + dx;
            }
        }
        for (int k = 0; k <= patches; k++) {
            index[0][k] = distances - 3; // class to patch
            index[k][0] = distances - 2; // patch to class
        }
        index[0][0] = distances - 1;
        return index;
    }
}
