package dev.dfd.optimize;

import ai.onnx.proto.OnnxMl.NodeProto;
import ai.onnx.proto.OnnxMl.TensorProto;
import com.google.protobuf.ByteString;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Multi-head self-attention into one {@code com.microsoft::Attention} node: the three projections become one
 * packed MatMul inside the kernel, and the head split, scores, softmax and merge run without the ten or so
 * Reshape/Transpose/MatMul nodes in between. The pattern is the one transformers' eager attention exports to and
 * {@code Layers.selfAttention} writes (ONNX Runtime's {@code fusion_attention.py} matches the same chain, there on
 * BERT):
 * <pre>
 * q = Transpose(0,2,1,3)(Reshape(x Wq [+ bq], [0, 0, N, h]))        k: Transpose(0,2,3,1)(...), v as q
 * p = Softmax(-1)(MatMul(q, k) / c  [+ B])                          (or * c; B a constant (N, S, S) bias)
 * y = Reshape(Transpose(0,2,1,3)(MatMul(p, v)), [0, 0, N h])
 * </pre>
 * Exact because every step is the kernel's own definition: Q, K, V = x W + b (a missing bias is a zero bias, as
 * BEiT's key), softmax(Q K^T * scale + B) V with scale = 1/c (or c), B as {@code attention_bias} (1, N, S, S).
 * Required: x of rank 3 whose last dimension is the weights' input size, the same x for all three, constant
 * float weights (so fp32 graphs: fp16, int8 and 4-bit projections are left alone), the reshape targets exactly
 * as above, and no intermediate value read outside the pattern. A target may also be computed at run time as
 * torch exports {@code x.view(x.size()[:-1] + (N, h))} (Hub ONNX files, Optimum): {@code Concat} of
 * {@code Unsqueeze(Gather(Shape(x), i))} and constants, taken as {@code [0, 0, N, h]} only when the i-th part is
 * dimension i of the Reshape's own input, which is what 0 means to Reshape (see {@link ReshapeTarget}).
 *
 * <p>Not matched, on purpose: Swin's window attention (a 5-D (B, windows, heads, N, N) score tensor and a shift mask
 * that differs per window, which the kernel's (B or 1, N, S, T) bias cannot express without folding the batch into
 * the windows).
 */
final class AttentionFusion implements Fusion {
    private static final long[] HEADS_PERM = {0, 2, 1, 3};
    private static final long[] KEY_PERM = {0, 2, 3, 1};

    @Override
    public String name() {
        return "Attention";
    }

    @Override
    public int apply(OnnxGraph g, Shapes shapes) {
        return Fusion.fuseEach(g, shapes, "Softmax", AttentionFusion::fuse);
    }

    /** A projection: x, its weight (in, out) values and bias (out) values (null: none). */
    private record Projection(String x, float[] weight, long in, long out, float[] bias, List<NodeProto> nodes) {
    }

    private static boolean fuse(OnnxGraph g, Shapes shapes, NodeProto sm) {
        long axis = OnnxGraph.intAttribute(sm, "axis", -1);
        if (shapes.rank(sm.getInput(0)) != 4 || (axis != -1 && axis != 3)) {
            return false;
        }
        List<NodeProto> matched = new ArrayList<>(List.of(sm));
        String s = sm.getInput(0);
        String scoreBias = null;
        NodeProto biasAdd = g.producer(s, "Add");
        if (biasAdd != null && biasAdd.getInputCount() == 2) {
            for (String in : biasAdd.getInputList()) {
                String c = OnnxGraph.other(biasAdd, in);
                if (c != null && g.floats(c) != null && (g.producer(in, "Div") != null || g.producer(in, "Mul") != null)
                        && g.onlyFeeds(in, biasAdd)) {
                    scoreBias = c;
                    matched.add(biasAdd);
                    s = in;
                    break;
                }
            }
            if (scoreBias == null) {
                return false;
            }
        }
        if (!g.onlyFeeds(s, scoreBias == null ? sm : biasAdd)) {
            return false;
        }
        NodeProto scaleNode = g.producer(s, "Div");
        float scale;
        String qk;
        if (scaleNode != null && scaleNode.getInputCount() == 2) {
            float c = g.scalar(scaleNode.getInput(1));
            scale = 1 / c;
            qk = scaleNode.getInput(0);
        } else {
            scaleNode = g.producer(s, "Mul");
            if (scaleNode == null || scaleNode.getInputCount() != 2) {
                return false;
            }
            float c0 = g.scalar(scaleNode.getInput(0));
            float c1 = g.scalar(scaleNode.getInput(1));
            scale = Float.isNaN(c1) ? c0 : c1;
            qk = Float.isNaN(c1) ? scaleNode.getInput(1) : scaleNode.getInput(0);
        }
        if (!Float.isFinite(scale) || scale == 0) { // a scale computed at run time, or none the kernel can take
            return false;
        }
        matched.add(scaleNode);
        NodeProto qkMatMul = g.producer(qk, "MatMul");
        if (qkMatMul == null || !g.onlyFeeds(qk, scaleNode)) {
            return false;
        }
        matched.add(qkMatMul);
        List<NodeProto> smReaders = g.consumers(sm.getOutput(0));
        if (smReaders.size() != 1 || !g.onlyFeeds(sm.getOutput(0), smReaders.get(0))) {
            return false;
        }
        NodeProto ctx = smReaders.get(0);
        if (!ctx.getOpType().equals("MatMul") || !ctx.getDomain().isEmpty() || !ctx.getInput(0).equals(sm.getOutput(0))) {
            return false;
        }
        matched.add(ctx);
        // heads of q, k, v: N and h from the reshape targets
        long[] nh = new long[2];
        String qIn = heads(g, shapes, qkMatMul.getInput(0), qkMatMul, HEADS_PERM, nh, matched);
        String kIn = heads(g, shapes, qkMatMul.getInput(1), qkMatMul, KEY_PERM, nh, matched);
        String vIn = heads(g, shapes, ctx.getInput(1), ctx, HEADS_PERM, nh, matched);
        if (qIn == null || kIn == null || vIn == null) {
            return false;
        }
        long heads = nh[0];
        long hidden = nh[0] * nh[1];
        // the merge: Transpose(0,2,1,3) -> Reshape([0, 0, N h])
        List<NodeProto> r = g.consumers(ctx.getOutput(0));
        if (r.size() != 1 || !g.onlyFeeds(ctx.getOutput(0), r.get(0)) || !isTranspose(r.get(0), HEADS_PERM)) {
            return false;
        }
        NodeProto ctxT = r.get(0);
        NodeProto merge = reshapeOf(g, ctxT.getOutput(0));
        List<NodeProto> mergeShape = new ArrayList<>();
        if (merge == null || !Arrays.equals(ReshapeTarget.of(g, merge, mergeShape, shapes::rank),
                new long[]{0, 0, hidden})
                || !readOnlyBy(g, ctxT.getOutput(0), merge, mergeShape)) {
            return false;
        }
        matched.add(ctxT);
        matched.add(merge);
        matched.addAll(mergeShape);
        Projection q = projection(g, qIn, matched);
        Projection k = projection(g, kIn, matched);
        Projection v = projection(g, vIn, matched);
        if (q == null || k == null || v == null || !q.x.equals(k.x) || !q.x.equals(v.x)
                || shapes.rank(q.x) != 3 || shapes.lastDim(q.x) != q.in
                || q.in != k.in || q.in != v.in || q.out != hidden || k.out != hidden || v.out != hidden) {
            return false;
        }
        String bias4 = null;
        if (scoreBias != null) {
            bias4 = attentionBias(g, shapes, scoreBias, heads, qk);
            if (bias4 == null) {
                return false;
            }
        }
        for (Projection p : List.of(q, k, v)) {
            matched.addAll(p.nodes);
        }
        // packed (in, 3 hidden): row i is [Wq[i], Wk[i], Wv[i]]; bias [bq, bk, bv], zeros for a missing one
        int in = (int) q.in;
        int h = (int) hidden;
        float[] weight = new float[in * 3 * h];
        float[] bias = new float[3 * h];
        Projection[] qkv = {q, k, v};
        for (int j = 0; j < 3; j++) {
            for (int i = 0; i < in; i++) {
                System.arraycopy(qkv[j].weight, i * h, weight, i * 3 * h + j * h, h);
            }
            if (qkv[j].bias != null) {
                System.arraycopy(qkv[j].bias, 0, bias, j * h, h);
            }
        }
        String name = sm.getName().isEmpty() ? "attention" : sm.getName() + "_attention";
        NodeProto.Builder attention = OnnxGraph.contrib("Attention", name)
                .addInput(q.x).addInput(g.addFloats("qkv_weight", weight, in, 3L * h))
                .addInput(g.addFloats("qkv_bias", bias, 3L * h));
        if (bias4 != null) {
            attention.addInput("").addInput("").addInput(bias4); // no mask, no past
        }
        attention.addOutput(merge.getOutput(0))
                .addAttribute(OnnxGraph.attr("num_heads", heads))
                .addAttribute(OnnxGraph.attr("scale", scale));
        g.replace(matched, attention.build());
        return true;
    }

    /**
     * {@code Transpose(perm)(Reshape(y, [0, 0, N, h]))} read only by {@code reader}: returns y, and N and h in
     * {@code nh} (which all three must agree on).
     */
    private static String heads(OnnxGraph g, Shapes shapes, String value, NodeProto reader, long[] perm, long[] nh,
                                List<NodeProto> matched) {
        NodeProto t = g.producer(value, "Transpose");
        if (t == null || !g.onlyFeeds(value, reader) || !isTranspose(t, perm)) {
            return null;
        }
        NodeProto reshape = g.producer(t.getInput(0), "Reshape");
        if (reshape == null || !isReshape(reshape) || !g.onlyFeeds(t.getInput(0), t)) {
            return null;
        }
        List<NodeProto> shape = new ArrayList<>();
        long[] target = ReshapeTarget.of(g, reshape, shape, shapes::rank);
        if (target == null || target.length != 4 || target[0] != 0 || target[1] != 0 || target[2] <= 0
                || target[3] <= 0 || !readOnlyBy(g, reshape.getInput(0), reshape, shape)
                || (nh[0] != 0 && (nh[0] != target[2] || nh[1] != target[3]))) {
            return null;
        }
        nh[0] = target[2];
        nh[1] = target[3];
        matched.add(t);
        matched.add(reshape);
        matched.addAll(shape);
        return reshape.getInput(0);
    }

    /** The Reshape reading {@code value} as its data, when that is its only reader besides Shape nodes; or null. */
    private static NodeProto reshapeOf(OnnxGraph g, String value) {
        NodeProto reshape = null;
        for (NodeProto n : g.consumers(value)) {
            if (isReshape(n) && n.getInput(0).equals(value) && reshape == null) {
                reshape = n;
            } else if (!n.getOpType().equals("Shape")) {
                return null;
            }
        }
        return reshape;
    }

    /**
     * Whether {@code value} is read only by {@code reshape} and by the nodes computing its target at run time
     * ({@code shape}), which in turn feed only each other and the Reshape: the whole lot can then go.
     */
    private static boolean readOnlyBy(OnnxGraph g, String value, NodeProto reshape, List<NodeProto> shape) {
        java.util.Set<NodeProto> inside = java.util.Collections.newSetFromMap(new java.util.IdentityHashMap<>());
        inside.add(reshape);
        inside.addAll(shape);
        List<String> values = new ArrayList<>(List.of(value));
        shape.forEach(n -> values.addAll(n.getOutputList()));
        for (String v : values) {
            if (g.isGraphOutput(v) || !inside.containsAll(g.consumers(v))) {
                return false;
            }
        }
        return true;
    }

    private static Projection projection(OnnxGraph g, String value, List<NodeProto> matched) {
        NodeProto add = g.producer(value, "Add");
        List<NodeProto> nodes = new ArrayList<>();
        String product = value;
        float[] bias = null;
        if (add != null && add.getInputCount() == 2) {
            for (String in : add.getInputList()) {
                String c = OnnxGraph.other(add, in);
                long[] dims = c == null ? null : g.dims(c);
                if (dims != null && dims.length == 1 && g.floats(c) != null && g.producer(in, "MatMul") != null) {
                    bias = g.floats(c);
                    product = in;
                    nodes.add(add);
                    break;
                }
            }
            if (bias == null) {
                return null;
            }
        }
        // the head split already matched (and checked that it and its shape nodes alone read the projection)
        NodeProto mm = g.producer(product, "MatMul");
        if (mm == null || (!nodes.isEmpty() && !g.onlyFeeds(product, add))) {
            return null;
        }
        long[] dims = g.dims(mm.getInput(1));
        float[] weight = g.floats(mm.getInput(1));
        if (dims == null || dims.length != 2 || weight == null || (bias != null && bias.length != dims[1])) {
            return null;
        }
        nodes.add(mm);
        return new Projection(mm.getInput(0), weight, dims[0], dims[1], bias, nodes);
    }

    /** A constant (N, S, S) or (1, N, S, S) score bias as the kernel's (1, N, S, S) attention_bias. */
    private static String attentionBias(OnnxGraph g, Shapes shapes, String bias, long heads, String qk) {
        Shapes.Dim[] scores = shapes.of(qk); // (B, N, S, S)
        long[] dims = g.dims(bias);
        if (scores == null || scores.length != 4 || !scores[2].known() || !scores[3].known() || dims == null) {
            return null;
        }
        long s = scores[2].size();
        long t = scores[3].size();
        boolean fits = (dims.length == 3 && dims[0] == heads && dims[1] == s && dims[2] == t)
                || (dims.length == 4 && dims[0] == 1 && dims[1] == heads && dims[2] == s && dims[3] == t);
        if (!fits) {
            return null;
        }
        TensorProto init = g.initializer(bias);
        ByteString raw = init != null && !init.getRawData().isEmpty() ? init.getRawData() : null;
        return raw != null ? g.addInitializer("attention_bias", raw, 1, heads, s, t)
                : g.addFloats("attention_bias", g.floats(bias), 1, heads, s, t);
    }

    private static boolean isTranspose(NodeProto n, long[] perm) {
        return n.getOpType().equals("Transpose") && n.getDomain().isEmpty()
                && Arrays.equals(OnnxGraph.intsAttribute(n, "perm"), perm);
    }

    private static boolean isReshape(NodeProto n) {
        return n.getOpType().equals("Reshape") && n.getDomain().isEmpty() && n.getInputCount() == 2
                && OnnxGraph.intAttribute(n, "allowzero", 0) == 0;
    }
}
