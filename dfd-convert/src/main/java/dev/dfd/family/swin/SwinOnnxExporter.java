package dev.dfd.family.swin;

import ai.onnx.proto.OnnxMl;
import dev.dfd.DfdException;
import dev.dfd.family.ExportSettings;
import dev.dfd.graph.Layers;
import dev.dfd.graph.OnnxBuilder;
import dev.dfd.safetensors.TensorSource;

import java.util.ArrayList;
import java.util.List;

import static dev.dfd.graph.OnnxBuilder.attr;
import static dev.dfd.graph.OnnxBuilder.attrs;

/**
 * {@code SwinForImageClassification} as an ONNX graph for one input size (every window shape is static):
 * <pre>
 * h = LayerNorm(Conv_p(x))                          (padded to a multiple of the patch first)
 * stage s, block j: window ws (the whole map and no shift when min(H, W) <= window_size), shift ws/2 on odd blocks
 *   y = pad(LayerNorm(h)) to multiples of ws; roll by -shift; partition into ws x ws windows
 *   y = Attention(y) per window, + relative position bias, + the -100 mask between regions of a shifted map
 *   merge windows, roll by +shift, crop; h += y; h += MLP(LayerNorm(h))
 * between stages: patch merging [x(0::2, 0::2), x(1::2, 0::2), x(0::2, 1::2), x(1::2, 1::2)] -> LayerNorm -> Linear
 * logits = Linear(mean over tokens of LayerNorm(h))
 * </pre>
 * Windows are kept as a (B, windows, ws * ws, C) tensor so the batch never folds into the window axis.
 */
public final class SwinOnnxExporter {
    /** transformers' LayerNorm default, used by the embedding and patch merging norms. */
    static final double TORCH_LN_EPS = 1e-5;
    /** What transformers adds to the scores of tokens from different regions of a shifted map. */
    static final float MASKED = -100f;

    private final SwinConfig c;
    private final Layers n;
    private final OnnxBuilder g;

    private SwinOnnxExporter(SwinConfig config, TensorSource weights, ExportSettings s) {
        this.c = config;
        this.n = new Layers("swin_image_classifier", weights, s.encoding(), s.reduceRange(), s.q4());
        this.g = n.g;
    }

    public static OnnxMl.ModelProto export(SwinConfig config, TensorSource weights, ExportSettings s) {
        if (s.height() <= 0 || s.width() <= 0) {
            throw new DfdException("a Swin graph is exported for one input size; the preprocessor makes none");
        }
        SwinOnnxExporter e = new SwinOnnxExporter(config, weights, s);
        e.graph(s.height(), s.width());
        return e.g.build(s.producerVersion(), s.metadata());
    }

    private void graph(int height, int width) {
        n.pixelValues(c.channels(), height, width);
        int p = c.patchSize();
        String x = pad4("pixel_values", 2, (p - height % p) % p, 3, (p - width % p) % p);
        int h = (height + p - 1) / p;
        int w = (width + p - 1) / p;
        int dim = c.stageDim(0);
        String e = "swin.embeddings.";
        String conv = n.conv(x, e + "patch_embeddings.projection", dim, c.channels(), p, p, 0, 1, true);
        String t = n.layerNorm(n.tokens(conv, dim), e + "norm", dim, TORCH_LN_EPS); // (B, h*w, dim)
        for (int s = 0; s < c.depths().size(); s++) {
            dim = c.stageDim(s);
            String stage = "swin.encoder.layers." + s + ".";
            for (int j = 0; j < c.depths().get(s); j++) {
                t = block(t, stage + "blocks." + j + ".", h, w, dim, c.heads().get(s), j % 2 == 1);
            }
            if (s < c.depths().size() - 1) {
                t = patchMerging(t, stage + "downsample", h, w, dim);
                h = (h + 1) / 2;
                w = (w + 1) / 2;
            }
        }
        t = n.layerNorm(t, "swin.layernorm", dim, c.layerNormEps());
        n.logits(n.linear(n.meanTokens(t, 0), "classifier", dim, c.labels().size(), true), c.labels().size());
    }

    /** One Swin block on (B, h*w, dim) tokens. */
    private String block(String t, String l, int h, int w, int dim, int heads, boolean odd) {
        int ws = c.windowSize();
        int shift = odd ? ws / 2 : 0;
        if (Math.min(h, w) <= ws) { // transformers: no partition, no shift
            shift = 0;
            ws = Math.min(h, w);
            if (ws != c.windowSize()) {
                throw new DfdException("a " + h + "x" + w + " token map is smaller than window_size "
                        + c.windowSize() + " (transformers cannot run this size either)");
            }
        }
        int hp = h + (ws - h % ws) % ws;
        int wp = w + (ws - w % ws) % ws;
        String y = n.layerNorm(t, l + "layernorm_before", dim, c.layerNormEps());
        y = reshape(y, -1, h, w, dim);
        y = pad4(y, 1, hp - h, 2, wp - w);
        if (shift > 0) {
            y = roll(roll(y, 1, hp, shift), 2, wp, shift);
        }
        int windows = (hp / ws) * (wp / ws);
        y = reshape(y, -1, hp / ws, ws, wp / ws, ws, dim);
        y = g.node("Transpose", "windows", List.of(y), attrs("perm", 0, 1, 3, 2, 4, 5));
        y = reshape(y, -1, windows, ws * ws, dim);
        y = windowAttention(y, l + "attention.", dim, heads, ws, shift > 0 ? mask(hp, wp, ws, shift) : null, windows);
        y = reshape(y, -1, hp / ws, wp / ws, ws, ws, dim);
        y = g.node("Transpose", "merged_windows", List.of(y), attrs("perm", 0, 1, 3, 2, 4, 5));
        y = reshape(y, -1, hp, wp, dim);
        if (shift > 0) {
            y = roll(roll(y, 1, hp, hp - shift), 2, wp, wp - shift);
        }
        if (hp != h || wp != w) {
            y = g.node("Slice", "cropped", List.of(y, g.vector("crop_start", 0, 0), g.vector("crop_end_" + h + "_" + w, h, w),
                    g.vector("axes_1_2", 1, 2)));
        }
        t = g.node("Add", "residual_attn", List.of(t, reshape(y, -1, h * w, dim)));
        int mlp = (int) (c.mlpRatio() * dim);
        String z = n.layerNorm(t, l + "layernorm_after", dim, c.layerNormEps());
        z = n.activation(n.linear(z, l + "intermediate.dense", dim, mlp, true), c.hiddenAct());
        return g.node("Add", "residual_mlp", List.of(t, n.linear(z, l + "output.dense", mlp, dim, true)));
    }

    /** Attention within each window of (B, windows, N, dim), N = ws * ws. */
    private String windowAttention(String x, String a, int dim, int heads, int ws, String mask, int windows) {
        int hd = dim / heads;
        int tokens = ws * ws;
        String split = g.vector("shape_window_heads_" + windows + "_" + tokens + "_" + heads, 0, windows, tokens, heads, hd);
        String q = g.node("Transpose", "heads", List.of(g.node("Reshape", "split_heads", List.of(
                n.linear(x, a + "self.query", dim, dim, c.qkvBias()), split))), attrs("perm", 0, 1, 3, 2, 4));
        String k = g.node("Transpose", "heads", List.of(g.node("Reshape", "split_heads", List.of(
                n.linear(x, a + "self.key", dim, dim, c.qkvBias()), split))), attrs("perm", 0, 1, 3, 4, 2));
        String v = g.node("Transpose", "heads", List.of(g.node("Reshape", "split_heads", List.of(
                n.linear(x, a + "self.value", dim, dim, c.qkvBias()), split))), attrs("perm", 0, 1, 3, 2, 4));
        String scores = g.node("Div", "scores", List.of(g.node("MatMul", "qk", List.of(q, k)),
                g.scalar("sqrt_head_size_" + hd, (float) Math.sqrt(hd)))); // (B, windows, heads, N, N)
        scores = g.node("Add", "scores_biased", List.of(scores, relativeBias(a + "self.relative_position_bias_table",
                heads, ws)));
        if (mask != null) {
            scores = g.node("Add", "scores_masked", List.of(scores, mask));
        }
        String probs = g.node("Softmax", "probs", List.of(scores), attr("axis", -1L));
        String context = g.node("Transpose", "context_t", List.of(g.node("MatMul", "context", List.of(probs, v))),
                attrs("perm", 0, 1, 3, 2, 4)); // (B, windows, N, heads, hd)
        return n.linear(reshape(context, -1, windows, tokens, dim), a + "output.dense", dim, dim, true);
    }

    /** (heads, N, N) from the ((2ws-1)^2, heads) table. */
    private String relativeBias(String tableName, int heads, int ws) {
        int cws = c.windowSize();
        float[] table = n.weights().floats(tableName, (long) (2 * cws - 1) * (2 * cws - 1), heads);
        int tokens = ws * ws;
        float[] bias = new float[heads * tokens * tokens];
        for (int i = 0; i < tokens; i++) {
            for (int j = 0; j < tokens; j++) {
                int index = (i / ws - j / ws + ws - 1) * (2 * ws - 1) + (i % ws - j % ws + ws - 1);
                for (int head = 0; head < heads; head++) {
                    bias[(head * tokens + i) * tokens + j] = table[index * heads + head];
                }
            }
        }
        return n.stored(tableName + ".gathered", bias, heads, tokens, tokens);
    }

    /**
     * (windows, 1, N, N): 0 between tokens of the same region of the shifted map, -100 between different ones
     * (regions split at hp - ws and hp - shift, likewise for the width), as transformers' get_attn_mask.
     */
    private String mask(int hp, int wp, int ws, int shift) {
        int[][] region = new int[hp][wp];
        for (int y = 0; y < hp; y++) {
            for (int x = 0; x < wp; x++) {
                region[y][x] = band(y, hp, ws, shift) * 3 + band(x, wp, ws, shift);
            }
        }
        int perRow = wp / ws;
        int windows = (hp / ws) * perRow;
        int tokens = ws * ws;
        float[] m = new float[windows * tokens * tokens];
        for (int win = 0; win < windows; win++) {
            int y0 = (win / perRow) * ws;
            int x0 = (win % perRow) * ws;
            for (int i = 0; i < tokens; i++) {
                for (int j = 0; j < tokens; j++) {
                    int ri = region[y0 + i / ws][x0 + i % ws];
                    int rj = region[y0 + j / ws][x0 + j % ws];
                    m[(win * tokens + i) * tokens + j] = ri == rj ? 0f : MASKED;
                }
            }
        }
        return g.floats(g.fresh("shift_mask"), m, windows, 1, tokens, tokens);
    }

    private static int band(int i, int size, int ws, int shift) {
        return i < size - ws ? 0 : i < size - shift ? 1 : 2;
    }

    /** Patch merging of (B, h*w, dim) to (B, ceil(h/2) * ceil(w/2), 2 dim). */
    private String patchMerging(String t, String name, int h, int w, int dim) {
        String x = pad4(reshape(t, -1, h, w, dim), 1, h % 2, 2, w % 2);
        int hp = h + h % 2;
        int wp = w + w % 2;
        List<String> parts = new ArrayList<>();
        for (int[] start : new int[][]{{0, 0}, {1, 0}, {0, 1}, {1, 1}}) {
            parts.add(g.node("Slice", "merge_part", List.of(x, g.vector("merge_start_" + start[0] + start[1], start[0],
                    start[1]), g.vector("merge_end_" + hp + "_" + wp, hp, wp), g.vector("axes_1_2", 1, 2),
                    g.vector("steps_2_2", 2, 2))));
        }
        String merged = reshape(g.node("Concat", "merged", parts, attr("axis", -1L)), -1, (hp / 2) * (wp / 2), 4 * dim);
        merged = n.layerNorm(merged, name + ".norm", 4 * dim, TORCH_LN_EPS);
        return n.linear(merged, name + ".reduction", 4 * dim, 2 * dim, false);
    }

    /** torch.roll by -shift along an axis of static size: [shift:] then [:shift]. */
    private String roll(String x, int axis, int size, int shift) {
        String axes = g.vector("axis_" + axis, axis);
        String tail = g.node("Slice", "roll_tail", List.of(x, g.vector("at_" + shift, shift), g.vector("at_" + size, size), axes));
        String head = g.node("Slice", "roll_head", List.of(x, g.vector("at_0", 0), g.vector("at_" + shift, shift), axes));
        return g.node("Concat", "rolled", List.of(tail, head), attr("axis", (long) axis));
    }

    /** Zero padding at the end of two axes of a 4-D tensor, or x itself. */
    private String pad4(String x, int axisA, int padA, int axisB, int padB) {
        if (padA == 0 && padB == 0) {
            return x;
        }
        long[] pads = new long[8];
        pads[4 + axisA] = padA;
        pads[4 + axisB] = padB;
        return g.node("Pad", "padded", List.of(x, g.vector(g.fresh("pads"), pads)));
    }

    private String reshape(String x, long... shape) {
        StringBuilder name = new StringBuilder("shape");
        for (long d : shape) {
            name.append('_').append(d < 0 ? "b" : Long.toString(d));
        }
        return g.node("Reshape", "reshaped", List.of(x, g.vector(name.toString(), shape)));
    }
}
