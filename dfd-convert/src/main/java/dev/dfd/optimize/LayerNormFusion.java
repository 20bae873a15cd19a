package dev.dfd.optimize;

import ai.onnx.proto.OnnxMl.NodeProto;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * The LayerNorm that {@code torch.onnx.export} writes below opset 17 (Optimum's Hub exports are opset 14), one
 * node per step, back into one {@code LayerNormalization} node, so that {@link SkipLayerNormFusion} can then take
 * the residual Add in front of it:
 * <pre>
 * m = ReduceMean(x, axes=[-1]);  d = Sub(x, m)                       (B, S, D), (B, S, 1)
 * y = Div(d, Sqrt(Add(ReduceMean(Pow(d, 2), axes=[-1]), eps)))  * gamma + beta
 * </pre>
 * That is LayerNormalization's definition over the last axis, step for step (mean, centred input, biased variance,
 * eps inside the square root), so the kernel computes the same function; it multiplies by 1/sqrt instead of
 * dividing, a float rounding the 1e-4 check covers. Older PyTorch writes the Sub twice (one for the Pow, one for the
 * Div), both of x and m: taken as the same. ONNX Runtime resolves {@code LayerNormalization} in the ONNX domain at
 * every opset on CPU (its kernel is registered from version 1), so the graph's opset import stays as it is.
 *
 * <p>Required: both ReduceMeans over the last axis only (keepdims), the exponent exactly 2, eps, gamma and beta
 * float constants (eps one value, gamma and beta of shape (D), D the last dimension of x), and every intermediate
 * value read only inside the pattern. Anything else (another axis, eps added after the Sqrt, a missing Sqrt)
 * stays as it is. Also Cast-free: an fp32 graph (a Cast in front of the Pow is a mixed-precision export, not ours).
 */
final class LayerNormFusion implements Fusion {
    @Override
    public String name() {
        return "LayerNormalization";
    }

    @Override
    public int apply(OnnxGraph g, Shapes shapes) {
        return Fusion.fuseEach(g, shapes, "ReduceMean", LayerNormFusion::fuse);
    }

    private static boolean fuse(OnnxGraph g, Shapes shapes, NodeProto mean) {
        String x = mean.getInput(0);
        int rank = shapes.rank(x);
        long hidden = shapes.lastDim(x);
        if (rank < 1 || hidden <= 0 || !lastAxis(g, mean, rank)) {
            return false;
        }
        // the centred input d = x - m, written once or (older PyTorch) twice
        List<NodeProto> subs = g.consumers(mean.getOutput(0));
        if (subs.isEmpty() || subs.size() > 2 || g.isGraphOutput(mean.getOutput(0))) {
            return false;
        }
        for (NodeProto s : subs) {
            if (!isBinary(s, "Sub") || !s.getInput(0).equals(x) || !s.getInput(1).equals(mean.getOutput(0))) {
                return false;
            }
        }
        List<NodeProto> matched = new ArrayList<>(List.of(mean));
        matched.addAll(subs);
        NodeProto pow = null;
        NodeProto div = null;
        for (NodeProto s : subs) {
            for (NodeProto r : g.consumers(s.getOutput(0))) {
                if (isBinary(r, "Pow") && r.getInput(0).equals(s.getOutput(0)) && pow == null) {
                    pow = r;
                } else if (isBinary(r, "Div") && r.getInput(0).equals(s.getOutput(0)) && div == null) {
                    div = r;
                } else {
                    return false; // d read by something else: its value would be lost
                }
            }
            if (g.isGraphOutput(s.getOutput(0))) {
                return false;
            }
        }
        if (pow == null || div == null || g.scalar(pow.getInput(1)) != 2f) {
            return false;
        }
        // variance = mean(d^2) over the same axis, + eps, sqrt
        NodeProto var = single(g, pow.getOutput(0), "ReduceMean");
        if (var == null || !lastAxis(g, var, rank)) {
            return false;
        }
        NodeProto addEps = single(g, var.getOutput(0), "Add");
        String epsName = addEps == null ? null : OnnxGraph.other(addEps, var.getOutput(0));
        float eps = epsName == null ? Float.NaN : g.scalar(epsName);
        if (!(eps >= 0)) { // NaN: eps computed at run time, or not a single constant
            return false;
        }
        NodeProto sqrt = single(g, addEps.getOutput(0), "Sqrt");
        if (sqrt == null || !div.getInput(1).equals(sqrt.getOutput(0)) || !g.onlyFeeds(sqrt.getOutput(0), div)) {
            return false;
        }
        // y = normalised * gamma + beta (either operand order)
        NodeProto mul = single(g, div.getOutput(0), "Mul");
        String gamma = mul == null ? null : OnnxGraph.other(mul, div.getOutput(0));
        NodeProto add = mul == null ? null : single(g, mul.getOutput(0), "Add");
        String beta = add == null ? null : OnnxGraph.other(add, mul.getOutput(0));
        if (gamma == null || beta == null || !vector(g, gamma, hidden) || !vector(g, beta, hidden)) {
            return false;
        }
        matched.addAll(List.of(pow, var, addEps, sqrt, div, mul, add));
        NodeProto ln = NodeProto.newBuilder().setOpType("LayerNormalization").setName(add.getName() + "_layernorm")
                .addInput(x).addInput(gamma).addInput(beta).addOutput(add.getOutput(0))
                .addAttribute(OnnxGraph.attr("axis", -1L)).addAttribute(OnnxGraph.attr("epsilon", eps)).build();
        g.replace(matched, ln);
        return true;
    }

    /** The one reader of {@code value}, when it is a default-domain {@code op} and the value is not a graph output. */
    private static NodeProto single(OnnxGraph g, String value, String op) {
        List<NodeProto> r = g.consumers(value);
        return r.size() == 1 && g.onlyFeeds(value, r.get(0)) && r.get(0).getOpType().equals(op)
                && r.get(0).getDomain().isEmpty() ? r.get(0) : null;
    }

    /** A ReduceMean over the last axis alone, keeping it: axes [-1] or [rank - 1] (attribute, or opset 18's input). */
    private static boolean lastAxis(OnnxGraph g, NodeProto reduce, int rank) {
        if (OnnxGraph.intAttribute(reduce, "keepdims", 1) != 1) {
            return false;
        }
        long[] axes = reduce.getInputCount() > 1 ? g.longs(reduce.getInput(1))
                : OnnxGraph.intsAttribute(reduce, "axes");
        return axes != null && (Arrays.equals(axes, new long[]{-1}) || Arrays.equals(axes, new long[]{rank - 1}));
    }

    private static boolean isBinary(NodeProto n, String op) {
        return n.getOpType().equals(op) && n.getDomain().isEmpty() && n.getInputCount() == 2;
    }

    /** A float32 constant of shape (n). */
    private static boolean vector(OnnxGraph g, String name, long n) {
        long[] dims = g.dims(name);
        return dims != null && dims.length == 1 && dims[0] == n && g.floats(name) != null;
    }
}
