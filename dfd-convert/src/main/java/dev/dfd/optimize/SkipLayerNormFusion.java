package dev.dfd.optimize;

import ai.onnx.proto.OnnxMl.NodeProto;

import java.util.ArrayList;
import java.util.List;

/**
 * {@code Add(a, b) -> LayerNormalization} (over the last axis) into {@code com.microsoft::SkipLayerNormalization}:
 * the residual sum and the norm in one pass over the activations. When the sum is also read elsewhere (the next
 * residual, in a pre-norm transformer every sum is) it comes out of the fused node's fourth output,
 * {@code input_skip_bias_sum}. A bias Add in front of one side ({@code MatMul + bias}, a Linear) moves into the
 * node's {@code bias} input, as ONNX Runtime's own fusion does.
 *
 * <p>Exact only when the kernel sees what the Add saw: both sides must provably have the Add's shape (ONNX Runtime's
 * kernel broadcasts the skip its own way and takes the output shape from the first input), of rank 2 or 3 (what
 * the kernel accepts); gamma, beta and bias one-dimensional constants of the hidden size. Its arithmetic differs
 * from LayerNormalization's in the order of the sums (one pass: variance as E[x^2] - mean^2) and in adding the bias
 * last: float rounding, checked against the unfused graph.
 */
final class SkipLayerNormFusion implements Fusion {
    @Override
    public String name() {
        return "SkipLayerNormalization";
    }

    @Override
    public int apply(OnnxGraph g, Shapes shapes) {
        return Fusion.fuseEach(g, shapes, "LayerNormalization", SkipLayerNormFusion::fuse);
    }

    private static boolean fuse(OnnxGraph g, Shapes shapes, NodeProto ln) {
        String x = ln.getInput(0);
        int rank = shapes.rank(x);
        long hidden = shapes.lastDim(x);
        long axis = OnnxGraph.intAttribute(ln, "axis", -1);
        if ((rank != 2 && rank != 3) || hidden <= 0 || (axis != -1 && axis != rank - 1)
                || OnnxGraph.intAttribute(ln, "stash_type", 1) != 1) {
            return false;
        }
        for (int i = 1; i < ln.getOutputCount(); i++) { // Mean / InvStdDev wanted: SkipLayerNormalization has no such
            if (!ln.getOutput(i).isEmpty()) {
                return false;
            }
        }
        String gamma = ln.getInput(1);
        String beta = ln.getInputCount() > 2 ? ln.getInput(2) : "";
        if (!vector(g, gamma, hidden) || (!beta.isEmpty() && !vector(g, beta, hidden))) {
            return false;
        }
        NodeProto add = g.producer(x, "Add");
        if (add == null || add.getInputCount() != 2) {
            return false;
        }
        String a = add.getInput(0);
        String b = add.getInput(1);
        if (!shapes.same(a, x) || !shapes.same(b, x)) {
            return false;
        }
        List<NodeProto> matched = new ArrayList<>(List.of(ln, add));
        String input = a;
        String skip = b;
        String bias = "";
        for (String[] side : new String[][]{{a, b}, {b, a}}) {
            NodeProto linear = g.producer(side[0], "Add");
            if (linear != null && g.onlyFeeds(side[0], add)) {
                for (String m : linear.getInputList()) {
                    String c = OnnxGraph.other(linear, m);
                    if (c != null && vector(g, c, hidden) && shapes.lastDim(m) == hidden && g.initializer(m) == null) {
                        input = m;
                        skip = side[1];
                        bias = c;
                        matched.add(linear);
                        break;
                    }
                }
            }
            if (!bias.isEmpty()) {
                break;
            }
        }
        boolean sumUsed = g.consumers(x).size() > 1 || g.isGraphOutput(x);
        NodeProto.Builder sln = OnnxGraph.contrib("SkipLayerNormalization", ln.getName() + "_skip")
                .addInput(input).addInput(skip).addInput(gamma).addInput(beta);
        if (!bias.isEmpty()) {
            sln.addInput(bias);
        }
        sln.addOutput(ln.getOutput(0));
        if (sumUsed) {
            sln.addOutput("").addOutput("").addOutput(x);
        }
        sln.addAttribute(OnnxGraph.attr("epsilon", OnnxGraph.floatAttribute(ln, "epsilon", 1e-5f)));
        g.replace(matched, sln.build());
        return true;
    }

    /** A float32 constant of shape (n). */
    private static boolean vector(OnnxGraph g, String name, long n) {
        long[] dims = g.dims(name);
        return dims != null && dims.length == 1 && dims[0] == n && g.floats(name) != null;
    }
}
