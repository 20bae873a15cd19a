package dev.dfd.convert;

import ai.onnx.proto.OnnxMl;
import ai.onnx.proto.OnnxMl.TensorProto.DataType;
import dev.dfd.safetensors.TensorSource;

import java.util.List;
import java.util.Map;

import static dev.dfd.convert.OnnxBuilder.attr;
import static dev.dfd.convert.OnnxBuilder.attrs;

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
    private final TensorSource w;
    private final WeightEncoding encoding;
    private final boolean reduceRange;
    private final OnnxBuilder g;
    private final String prefix;

    private VitOnnxExporter(VitConfig config, TensorSource weights, WeightEncoding encoding, boolean reduceRange) {
        this.c = config;
        this.w = weights;
        this.encoding = encoding;
        this.reduceRange = reduceRange;
        this.g = new OnnxBuilder(config.family() + "_image_classifier");
        this.prefix = config.family() + ".";
    }

    /**
     * @param reduceRange int8 only: quantise weights to 7 bits, for AVX2 CPUs without VNNI whose u8 x s8 kernels can
     *                    saturate at full range
     */
    public static OnnxMl.ModelProto export(VitConfig config, TensorSource weights, WeightEncoding encoding,
                                           boolean reduceRange, String producerVersion, Map<String, String> metadata) {
        VitOnnxExporter e = new VitOnnxExporter(config, weights, encoding, reduceRange);
        e.graph();
        return e.g.build(producerVersion, metadata);
    }

    private void graph() {
        int hidden = c.hidden();
        g.input("pixel_values", DataType.FLOAT, new long[]{-1, c.channels(), c.imageHeight(), c.imageWidth()},
                "batch_size");
        // (B, hidden, H/p, W/p) -> (B, hidden, N) -> (B, N, hidden)
        String e = prefix + "embeddings.";
        String conv = g.node("Conv", "patch_conv", List.of("pixel_values",
                        param(e + "patch_embeddings.projection.weight", hidden, c.channels(), c.patchSize(), c.patchSize()),
                        param(e + "patch_embeddings.projection.bias", hidden)),
                attrs("kernel_shape", c.patchSize(), c.patchSize()), attrs("strides", c.patchSize(), c.patchSize()));
        String flat = g.node("Reshape", "patch_flat", List.of(conv, g.vector("shape_patch_flat", 0, hidden, -1)));
        String patches = g.node("Transpose", "patches", List.of(flat), attrs("perm", 0, 2, 1));
        // CLS (and DeiT's distillation) token, expanded to the batch: (B, 1, hidden)
        String shape = g.node("Shape", "patches_shape", List.of(patches));
        String batch = g.node("Slice", "batch", List.of(shape, g.vector("zero_1d", 0), g.vector("one_1d", 1)));
        String tokenShape = g.node("Concat", "token_shape", List.of(batch, g.vector("one_hidden", 1, hidden)),
                attr("axis", 0L));
        String cls = g.node("Expand", "cls", List.of(param(e + "cls_token", 1, 1, hidden), tokenShape));
        List<String> parts = c.family().equals("deit")
                ? List.of(cls, g.node("Expand", "dist", List.of(param(e + "distillation_token", 1, 1, hidden), tokenShape)),
                patches)
                : List.of(cls, patches);
        String tokens = g.node("Concat", "tokens", parts, attr("axis", 1L));
        String h = g.node("Add", "embedded", List.of(tokens, param(e + "position_embeddings", 1, c.sequence(), hidden)));

        String sqrtHead = g.scalar("sqrt_head_size", (float) Math.sqrt(c.headSize()));
        String qkvShape = g.vector("shape_heads", 0, 0, c.heads(), c.headSize());
        String mergeShape = g.vector("shape_merge", 0, 0, hidden);
        for (int i = 0; i < c.layers(); i++) {
            String l = prefix + "encoder.layer." + i + ".";
            String x = layerNorm(h, l + "layernorm_before");
            String q = heads(linear(x, l + "attention.attention.query", hidden, hidden, c.qkvBias()), qkvShape, 0, 2, 1, 3);
            String k = heads(linear(x, l + "attention.attention.key", hidden, hidden, c.qkvBias()), qkvShape, 0, 2, 3, 1);
            String v = heads(linear(x, l + "attention.attention.value", hidden, hidden, c.qkvBias()), qkvShape, 0, 2, 1, 3);
            String scores = g.node("Div", "scores", List.of(g.node("MatMul", "qk", List.of(q, k)), sqrtHead));
            String probs = g.node("Softmax", "probs", List.of(scores), attr("axis", -1L));
            String context = g.node("MatMul", "context", List.of(probs, v)); // (B, heads, S, head)
            String merged = g.node("Reshape", "merged", List.of(
                    g.node("Transpose", "context_t", List.of(context), attrs("perm", 0, 2, 1, 3)), mergeShape));
            String attn = linear(merged, l + "attention.output.dense", hidden, hidden, true);
            h = g.node("Add", "residual_attn", List.of(attn, h));
            String y = layerNorm(h, l + "layernorm_after");
            String mlp = activation(linear(y, l + "intermediate.dense", hidden, c.intermediate(), true));
            String out = linear(mlp, l + "output.dense", c.intermediate(), hidden, true);
            h = g.node("Add", "residual_mlp", List.of(out, h));
        }
        h = layerNorm(h, prefix + "layernorm");
        String pooled = g.node("Gather", "pooled", List.of(h, g.longs("cls_index", new long[]{0}, new long[0])), attr("axis", 1L));
        String logits = linear(pooled, "classifier", hidden, c.labels().size(), true);
        g.nodeWithOutputs("Identity", List.of(logits), List.of("logits"));
        g.output("logits", DataType.FLOAT, new long[]{-1, c.labels().size()}, "batch_size");
    }

    /** (B, S, hidden) -> (B, S, heads, head) -> transposed by perm. */
    private String heads(String x, String shape, long... perm) {
        return g.node("Transpose", "heads", List.of(g.node("Reshape", "split_heads", List.of(x, shape))),
                attrs("perm", perm));
    }

    private String layerNorm(String x, String name) {
        return g.node("LayerNormalization", "ln", List.of(x, param(name + ".weight", c.hidden()),
                param(name + ".bias", c.hidden())), attr("axis", -1L), attr("epsilon", (float) c.layerNormEps()));
    }

    private String activation(String x) {
        switch (c.hiddenAct()) {
            case "relu":
                return g.node("Relu", "relu", List.of(x));
            case "gelu": { // 0.5 * x * (1 + erf(x / sqrt(2))), the pattern ONNX Runtime fuses into Gelu
                String erf = g.node("Erf", "erf", List.of(g.node("Div", "gelu_div", List.of(x,
                        g.scalar("sqrt2", (float) Math.sqrt(2.0))))));
                String plus = g.node("Add", "gelu_add", List.of(erf, g.scalar("one", 1f)));
                return g.node("Mul", "gelu", List.of(g.node("Mul", "gelu_mul", List.of(x, plus)),
                        g.scalar("half", 0.5f)));
            }
            default: { // tanh approximation: 0.5 * x * (1 + tanh(sqrt(2 / pi) * (x + 0.044715 * x^3)))
                String cube = g.node("Mul", "cube", List.of(x, g.node("Mul", "square", List.of(x, x))));
                String inner = g.node("Add", "gelu_inner", List.of(x, g.node("Mul", "cube_scaled",
                        List.of(cube, g.scalar("c044715", 0.044715f)))));
                String tanh = g.node("Tanh", "gelu_tanh", List.of(g.node("Mul", "gelu_scaled", List.of(inner,
                        g.scalar("sqrt_2_over_pi", (float) Math.sqrt(2.0 / Math.PI))))));
                String plus = g.node("Add", "gelu_add", List.of(tanh, g.scalar("one", 1f)));
                return g.node("Mul", "gelu", List.of(g.node("Mul", "gelu_mul", List.of(x, plus)),
                        g.scalar("half", 0.5f)));
            }
        }
    }

    /** y = x W^T + b for a transformers Linear (weight [out, in]); int8 encodes W as quantised MatMul. */
    private String linear(String x, String name, int in, int out, boolean bias) {
        float[] weight = w.floats(name + ".weight", out, in);
        float[] t = new float[in * out]; // (in, out)
        for (int o = 0; o < out; o++) {
            for (int i = 0; i < in; i++) {
                t[i * out + o] = weight[o * in + i];
            }
        }
        String y = encoding == WeightEncoding.INT8 ? new Int8MatMul(g, reduceRange).apply(x, name, t, in, out)
                : g.node("MatMul", "matmul", List.of(x, stored(name + ".weight_t", t, in, out)));
        return bias ? g.node("Add", "linear", List.of(y, param(name + ".bias", out))) : y;
    }

    /** A model parameter read from the checkpoint, shape-checked, stored per the encoding. */
    private String param(String name, long... shape) {
        return stored(name, w.floats(name, shape), shape);
    }

    private String stored(String name, float[] values, long... shape) {
        if (encoding == WeightEncoding.FP16) {
            String half = g.halves(name + "_fp16", values, shape);
            return g.node("Cast", name, List.of(half), attr("to", (long) DataType.FLOAT.getNumber()));
        }
        return g.floats(name, values, shape);
    }
}
