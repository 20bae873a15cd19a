package dev.dfd.graph;

import ai.onnx.proto.OnnxMl.TensorProto.DataType;
import dev.dfd.DfdException;
import dev.dfd.safetensors.TensorSource;

import java.util.ArrayList;
import java.util.List;

import static dev.dfd.graph.OnnxBuilder.attr;
import static dev.dfd.graph.OnnxBuilder.attrs;

/**
 * The layers every family's exporter is made of, reading transformers' parameters by name from the checkpoint and
 * storing them as the {@link WeightEncoding} says: Linear (transposed to (in, out) for MatMul; int8 through
 * {@link Int8MatMul}), LayerNorm, convolutions, activations and multi-head self-attention.
 */
public final class Layers {
    /** The graph being built; exporters add their own nodes to it too. */
    public final OnnxBuilder g;
    private final TensorSource w;
    private final WeightEncoding encoding;
    private final boolean reduceRange;
    private final Q4Options q4;

    /**
     * @param reduceRange int8 only: quantise weights to 7 bits, for AVX2 CPUs without VNNI whose u8 x s8 kernels can
     *                    saturate at full range
     */
    public Layers(String graphName, TensorSource weights, WeightEncoding encoding, boolean reduceRange) {
        this(graphName, weights, encoding, reduceRange, Q4Options.DEFAULT);
    }

    /** @param q4 q4 and q4f16 only: block size, symmetry and accuracy level of the 4-bit MatMuls */
    public Layers(String graphName, TensorSource weights, WeightEncoding encoding, boolean reduceRange, Q4Options q4) {
        this.g = new OnnxBuilder(graphName);
        this.w = weights;
        this.encoding = encoding;
        this.reduceRange = reduceRange;
        this.q4 = q4;
    }

    public TensorSource weights() {
        return w;
    }

    /** A model parameter read from the checkpoint, shape-checked, stored per the encoding. */
    public String param(String name, long... shape) {
        return stored(name, w.floats(name, shape), shape);
    }

    /** Values computed at conversion time (folded or reshaped parameters), stored per the encoding. */
    public String stored(String name, float[] values, long... shape) {
        if (encoding.halfWeights()) {
            String half = g.halves(name + "_fp16", values, shape);
            return g.node("Cast", name, List.of(half), attr("to", (long) DataType.FLOAT.getNumber()));
        }
        return g.floats(name, values, shape);
    }

    /**
     * y = x W^T + b for a transformers Linear (weight [out, in]); int8 encodes W as a quantised MatMul, q4 and q4f16
     * as MatMulNBits.
     */
    public String linear(String x, String name, int in, int out, boolean bias) {
        float[] weight = w.floats(name + ".weight", out, in);
        float[] t = new float[in * out]; // (in, out)
        for (int o = 0; o < out; o++) {
            for (int i = 0; i < in; i++) {
                t[i * out + o] = weight[o * in + i];
            }
        }
        String y = encoding == WeightEncoding.INT8 ? new Int8MatMul(g, reduceRange).apply(x, name, t, in, out)
                : encoding.fourBit() ? new Q4MatMul(g, q4).apply(x, name, t, in, out)
                : g.node("MatMul", "matmul", List.of(x, stored(name + ".weight_t", t, in, out)));
        return bias ? g.node("Add", "linear", List.of(y, param(name + ".bias", out))) : y;
    }

    /** LayerNorm over the last axis. */
    public String layerNorm(String x, String name, int dim, double eps) {
        return g.node("LayerNormalization", "ln", List.of(x, param(name + ".weight", dim), param(name + ".bias", dim)),
                attr("axis", -1L), attr("epsilon", (float) eps));
    }

    /** LayerNorm over the channels of (B, C, H, W), as ConvNeXt's channels_first LayerNorm. */
    public String layerNormChannelsFirst(String x, String name, int channels, double eps) {
        String last = g.node("Transpose", "nhwc", List.of(x), attrs("perm", 0, 2, 3, 1));
        return g.node("Transpose", "nchw", List.of(layerNorm(last, name, channels, eps)), attrs("perm", 0, 3, 1, 2));
    }

    /** Conv2d with square kernel and symmetric padding; weight [out, in / groups, k, k]. */
    public String conv(String x, String name, int out, int in, int k, int stride, int pad, int groups, boolean bias) {
        List<String> inputs = new ArrayList<>(List.of(x, param(name + ".weight", out, in / groups, k, k)));
        if (bias) {
            inputs.add(param(name + ".bias", out));
        }
        return g.node("Conv", "conv", inputs, attrs("kernel_shape", k, k), attrs("strides", stride, stride),
                attrs("pads", pad, pad, pad, pad), attr("group", (long) groups));
    }

    /** transformers' ACT2FN by name. */
    public String activation(String x, String name) {
        switch (name) {
            case "relu":
                return g.node("Relu", "relu", List.of(x));
            case "gelu": { // 0.5 * x * (1 + erf(x / sqrt(2))), the pattern ONNX Runtime fuses into Gelu
                String erf = g.node("Erf", "erf", List.of(g.node("Div", "gelu_div", List.of(x,
                        g.scalar("sqrt2", (float) Math.sqrt(2.0))))));
                String plus = g.node("Add", "gelu_add", List.of(erf, g.scalar("one", 1f)));
                return g.node("Mul", "gelu", List.of(g.node("Mul", "gelu_mul", List.of(x, plus)),
                        g.scalar("half", 0.5f)));
            }
            case "gelu_new", "gelu_pytorch_tanh": { // 0.5 * x * (1 + tanh(sqrt(2 / pi) * (x + 0.044715 * x^3)))
                String cube = g.node("Mul", "cube", List.of(x, g.node("Mul", "square", List.of(x, x))));
                String inner = g.node("Add", "gelu_inner", List.of(x, g.node("Mul", "cube_scaled",
                        List.of(cube, g.scalar("c044715", 0.044715f)))));
                String tanh = g.node("Tanh", "gelu_tanh", List.of(g.node("Mul", "gelu_scaled", List.of(inner,
                        g.scalar("sqrt_2_over_pi", (float) Math.sqrt(2.0 / Math.PI))))));
                String plus = g.node("Add", "gelu_add", List.of(tanh, g.scalar("one", 1f)));
                return g.node("Mul", "gelu", List.of(g.node("Mul", "gelu_mul", List.of(x, plus)),
                        g.scalar("half", 0.5f)));
            }
            case "quick_gelu": // x * sigmoid(1.702 x)
                return g.node("Mul", "quick_gelu", List.of(x, g.node("Sigmoid", "quick_gelu_sigmoid",
                        List.of(g.node("Mul", "quick_gelu_scaled", List.of(x, g.scalar("c1702", 1.702f)))))));
            case "silu", "swish":
                return g.node("Mul", "silu", List.of(x, g.node("Sigmoid", "silu_sigmoid", List.of(x))));
            default:
                throw new DfdException("activation " + name + " is not supported");
        }
    }

    /**
     * Multi-head self-attention over (B, S, hidden): {@code softmax(Q K^T / sqrt(head) [+ bias]) V}, heads merged,
     * then the output projection.
     *
     * @param q        the query Linear's name (likewise k, v, out)
     * @param kBias    whether the key projection has a bias (BEiT's has none)
     * @param qvBias   whether query and value have biases
     * @param scoreBias an additive (heads, S, S) or broadcastable bias on the scores, or null
     */
    public String selfAttention(String x, String q, String k, String v, String out, int hidden, int heads,
                                boolean qvBias, boolean kBias, String scoreBias) {
        int headSize = hidden / heads;
        String sqrtHead = g.scalar("sqrt_head_size_" + headSize, (float) Math.sqrt(headSize));
        String qkvShape = g.vector("shape_heads_" + heads + "x" + headSize, 0, 0, heads, headSize);
        String mergeShape = g.vector("shape_merge_" + hidden, 0, 0, hidden);
        String qh = heads(linear(x, q, hidden, hidden, qvBias), qkvShape, 0, 2, 1, 3);
        String kh = heads(linear(x, k, hidden, hidden, kBias), qkvShape, 0, 2, 3, 1);
        String vh = heads(linear(x, v, hidden, hidden, qvBias), qkvShape, 0, 2, 1, 3);
        String scores = g.node("Div", "scores", List.of(g.node("MatMul", "qk", List.of(qh, kh)), sqrtHead));
        if (scoreBias != null) {
            scores = g.node("Add", "scores_biased", List.of(scores, scoreBias));
        }
        String probs = g.node("Softmax", "probs", List.of(scores), attr("axis", -1L));
        String context = g.node("MatMul", "context", List.of(probs, vh)); // (B, heads, S, head)
        String merged = g.node("Reshape", "merged", List.of(
                g.node("Transpose", "context_t", List.of(context), attrs("perm", 0, 2, 1, 3)), mergeShape));
        return linear(merged, out, hidden, hidden, true);
    }

    /** (B, S, hidden) -> (B, S, heads, head) -> transposed by perm. */
    private String heads(String x, String shape, long... perm) {
        return g.node("Transpose", "heads", List.of(g.node("Reshape", "split_heads", List.of(x, shape))),
                attrs("perm", perm));
    }

    /**
     * The ViT-style patch embedding: {@code pixel_values} through the {@code <prefix>patch_embeddings.projection}
     * Conv (kernel = stride = patch) to (B, N, hidden) tokens.
     */
    public String patchTokens(String prefix, int hidden, int channels, int patch) {
        String conv = g.node("Conv", "patch_conv", List.of("pixel_values",
                        param(prefix + "patch_embeddings.projection.weight", hidden, channels, patch, patch),
                        param(prefix + "patch_embeddings.projection.bias", hidden)),
                attrs("kernel_shape", patch, patch), attrs("strides", patch, patch));
        return tokens(conv, hidden);
    }

    /** {@code <prefix>cls_token} (1, 1, hidden) expanded to the batch and put before the (B, N, hidden) patches. */
    public String withClsToken(String prefix, String patches, int hidden) {
        String cls = g.node("Expand", "cls", List.of(param(prefix + "cls_token", 1, 1, hidden),
                tokenShape(patches, hidden)));
        return g.node("Concat", "tokens", List.of(cls, patches), attr("axis", 1L));
    }

    /** (B, C, H, W) from a Conv -> (B, H*W, C) tokens. */
    public String tokens(String conv, int channels) {
        String flat = g.node("Reshape", "patch_flat", List.of(conv, g.vector("shape_patch_flat", 0, channels, -1)));
        return g.node("Transpose", "patches", List.of(flat), attrs("perm", 0, 2, 1));
    }

    /** The shape (B, 1, hidden), B taken from {@code like}'s first dimension: Expand a (1, 1, hidden) token by it. */
    public String tokenShape(String like, int hidden) {
        String shape = g.node("Shape", "patches_shape", List.of(like));
        String batch = g.node("Slice", "batch", List.of(shape, g.vector("zero_1d", 0), g.vector("one_1d", 1)));
        return g.node("Concat", "token_shape", List.of(batch, g.vector("one_hidden", 1, hidden)), attr("axis", 0L));
    }

    /** The mean over axis 1 of (B, S, D) from token {@code from} on: (B, D). */
    public String meanTokens(String x, long from) {
        String s = from == 0 ? x : g.node("Slice", "patch_tokens", List.of(x, g.vector("from_" + from, from),
                g.vector("to_end", Long.MAX_VALUE), g.vector("axis_one", 1)));
        return g.node("ReduceMean", "mean_tokens", List.of(s), attrs("axes", 1), attr("keepdims", 0L));
    }

    /** Token {@code index} of (B, S, D): (B, D). */
    public String token(String x, long index) {
        return g.node("Gather", "pooled", List.of(x, g.longs(g.fresh("token_index"), new long[]{index}, new long[0])),
                attr("axis", 1L));
    }

    /** Names the final value {@code logits}, (batch, labels). */
    public void logits(String y, int labels) {
        g.nodeWithOutputs("Identity", List.of(y), List.of("logits"));
        g.output("logits", DataType.FLOAT, new long[]{-1, labels}, "batch_size");
    }

    /** Input {@code pixel_values} (batch, channels, H, W); a negative H or W is a symbolic dimension. */
    public void pixelValues(int channels, int height, int width) {
        if (height > 0 && width > 0) {
            g.input("pixel_values", DataType.FLOAT, new long[]{-1, channels, height, width}, "batch_size");
        } else {
            g.input("pixel_values", DataType.FLOAT, new long[]{-1, channels, -1, -1}, "batch_size", "height", "width");
        }
    }
}
