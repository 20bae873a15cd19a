package dev.dfd.optimize;

import ai.onnx.proto.OnnxMl;
import ai.onnx.proto.OnnxMl.NodeProto;
import ai.onnx.proto.OnnxMl.TensorProto;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.function.ToIntFunction;

/**
 * A Reshape's target shape when torch computed it at run time from the input's own sizes, as its export of
 * {@code x.view(x.size()[:-1] + (N, h))} or {@code x.flatten(2)} writes it (Hub ONNX files, Optimum):
 * <pre>
 * Concat(axis 0)( Unsqueeze(Gather(Shape(x), i), [0]) | Slice(Shape(x), [0], [k]) | int64 constant, ... )
 * </pre>
 * A part that reads dimension i of the Reshape's own input x and lands at place i is what Reshape's 0 means ("copy
 * this dimension of the input"), so such a target is the constant with 0 there: {@code [0, 0, N, h]}. Anything
 * else (a size of another tensor, a dimension moved to another place, arithmetic on sizes) is not resolved.
 *
 * <p>Used twice: by {@link AttentionFusion}, to match the head split and merge, and by {@link Shapes}, which gives
 * ONNX Runtime's shape inference these constants in place of the run-time computation (it does not follow sizes
 * through Shape and Gather, and would lose the batch dimension's name at every such Reshape, so no residual Add
 * could be proven same-shaped).
 */
final class ReshapeTarget {
    private ReshapeTarget() {
    }

    /**
     * The target, 0 where provably the input's own dimension, or null; the Shape/Gather/Unsqueeze/Slice/Concat nodes
     * computing it go into {@code nodes} (Constant nodes do not: they may be shared). A constant target is returned
     * as it is. {@code rank} gives a value's rank (-1: unknown), needed for a Slice of the shape.
     */
    static long[] of(OnnxGraph g, NodeProto reshape, List<NodeProto> nodes, ToIntFunction<String> rank) {
        long[] constant = g.longs(reshape.getInput(1));
        NodeProto concat = g.producer(reshape.getInput(1), "Concat");
        if (constant != null || concat == null || OnnxGraph.intAttribute(concat, "axis", 0) != 0) {
            return constant;
        }
        String x = reshape.getInput(0);
        List<Long> target = new ArrayList<>();
        List<NodeProto> used = new ArrayList<>(List.of(concat));
        for (String part : concat.getInputList()) {
            long[] c = g.longs(part);
            long[] cDims = g.dims(part);
            if (c != null && cDims != null && cDims.length == 1) {
                Arrays.stream(c).forEach(target::add);
                continue;
            }
            NodeProto unsqueeze = g.producer(part, "Unsqueeze");
            NodeProto slice = g.producer(part, "Slice");
            if (unsqueeze != null) { // dimension i, at place i
                long[] axes = unsqueeze.getInputCount() > 1 ? g.longs(unsqueeze.getInput(1))
                        : OnnxGraph.intsAttribute(unsqueeze, "axes");
                NodeProto gather = g.producer(unsqueeze.getInput(0), "Gather");
                long[] index = gather == null ? null : g.longs(gather.getInput(1));
                long[] indexDims = gather == null ? null : g.dims(gather.getInput(1));
                NodeProto shape = gather == null ? null : shapeOf(g, gather.getInput(0), x);
                if (!Arrays.equals(axes, new long[]{0}) || index == null || index.length != 1
                        || indexDims.length != 0 || index[0] != target.size()
                        || OnnxGraph.intAttribute(gather, "axis", 0) != 0 || shape == null) {
                    return null;
                }
                target.add(0L);
                used.addAll(List.of(unsqueeze, gather, shape));
            } else if (slice != null && target.isEmpty() && slice.getInputCount() >= 3) { // dimensions 0..k-1
                NodeProto shape = shapeOf(g, slice.getInput(0), x);
                long[] starts = g.longs(slice.getInput(1));
                long[] ends = g.longs(slice.getInput(2));
                long[] axes = slice.getInputCount() > 3 ? g.longs(slice.getInput(3)) : new long[]{0};
                long[] steps = slice.getInputCount() > 4 ? g.longs(slice.getInput(4)) : new long[]{1};
                int r = rank.applyAsInt(x);
                if (shape == null || !Arrays.equals(starts, new long[]{0}) || ends == null || ends.length != 1
                        || ends[0] <= 0 || r < 0 || ends[0] > r || !Arrays.equals(axes, new long[]{0})
                        || !Arrays.equals(steps, new long[]{1})) {
                    return null;
                }
                for (long i = 0; i < ends[0]; i++) {
                    target.add(0L);
                }
                used.addAll(List.of(slice, shape));
            } else {
                return null;
            }
        }
        for (NodeProto n : used) {
            if (!nodes.contains(n)) {
                nodes.add(n);
            }
        }
        return target.stream().mapToLong(Long::longValue).toArray();
    }

    /** The whole-shape {@code Shape(x)} node producing {@code value}, or null. */
    private static NodeProto shapeOf(OnnxGraph g, String value, String x) {
        NodeProto shape = g.producer(value, "Shape");
        return shape != null && shape.getInput(0).equals(x) && OnnxGraph.attribute(shape, "start") == null
                && OnnxGraph.attribute(shape, "end") == null ? shape : null;
    }

    /**
     * The model with every run-time target this class resolves replaced by its constant (a new int64
     * initializer), for shape inference only; null when there is none.
     */
    static OnnxMl.ModelProto resolved(OnnxMl.ModelProto model, ToIntFunction<String> rank) {
        OnnxGraph g = new OnnxGraph(model);
        OnnxMl.GraphProto.Builder b = model.getGraph().toBuilder();
        boolean any = false;
        for (int i = 0; i < b.getNodeCount(); i++) {
            NodeProto n = b.getNode(i);
            if (!n.getOpType().equals("Reshape") || !n.getDomain().isEmpty() || n.getInputCount() != 2
                    || OnnxGraph.intAttribute(n, "allowzero", 0) != 0 || g.longs(n.getInput(1)) != null) {
                continue;
            }
            long[] target = of(g, n, new ArrayList<>(), rank);
            if (target != null) {
                String name = g.freshName("reshape_target");
                TensorProto.Builder t = TensorProto.newBuilder().setName(name)
                        .setDataType(TensorProto.DataType.INT64_VALUE).addDims(target.length);
                Arrays.stream(target).forEach(t::addInt64Data);
                b.addInitializer(t);
                b.setNode(i, n.toBuilder().setInput(1, name));
                any = true;
            }
        }
        return any ? model.toBuilder().setGraph(b).build() : null;
    }
}
