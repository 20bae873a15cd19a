package dev.dfd.optimize;

import ai.onnx.proto.OnnxMl;
import ai.onnx.proto.OnnxMl.TensorProto;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import ai.onnxruntime.TensorInfo;
import ai.onnxruntime.NodeInfo;
import dev.dfd.DfdException;

import java.util.HashMap;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;

/**
 * The shape of every value of a graph as ONNX Runtime's own shape inference sees it, symbolic dimensions (the
 * batch) by name. Fusions use it to prove that a match is exact (the same shape on both sides of a residual Add,
 * a 3-D input for Attention) rather than assume it.
 *
 * <p>How: every node output is made a graph output and a session is opened without optimisation; ONNX Runtime
 * resolves the graph and reports the inferred shape of each output. Large float initializers are turned into
 * graph inputs of the same type and shape first, so this costs milliseconds even for ViT-base, while the small
 * int64 ones (Reshape targets) stay constants that inference reads.
 */
final class Shapes {
    /** A dimension: a known size, or a symbol ("" when ONNX Runtime knows nothing about it). */
    record Dim(long size, String symbol) {
        boolean known() {
            return size >= 0;
        }

        /** Provably the same size: equal known sizes, or the same named symbol. */
        boolean same(Dim o) {
            return known() ? size == o.size : !o.known() && !symbol.isEmpty() && symbol.equals(o.symbol);
        }
    }

    private final Map<String, Dim[]> shapes;

    private Shapes(Map<String, Dim[]> shapes) {
        this.shapes = shapes;
    }

    /**
     * Infers twice when the graph computes Reshape targets from its own sizes (torch exports): the second time
     * with those targets as the constants {@link ReshapeTarget} proves them to be, which keeps the symbolic batch
     * dimension that inference would otherwise lose at each such Reshape. The graph itself is not changed.
     */
    static Shapes infer(OnnxMl.ModelProto model) {
        Shapes first = inferOnce(model);
        OnnxMl.ModelProto resolved = ReshapeTarget.resolved(model, first::rank);
        return resolved == null ? first : inferOnce(resolved);
    }

    private static Shapes inferOnce(OnnxMl.ModelProto model) {
        OnnxMl.GraphProto.Builder g = model.getGraph().toBuilder().clearInitializer();
        Set<String> declared = new HashSet<>();
        g.getInputList().forEach(i -> declared.add(i.getName()));
        for (TensorProto t : model.getGraph().getInitializerList()) {
            boolean small = t.getDataType() == TensorProto.DataType.INT64_VALUE || t.getSerializedSize() < 4096;
            if (small) {
                g.addInitializer(t);
            } else if (!declared.contains(t.getName())) {
                OnnxMl.TensorShapeProto.Builder shape = OnnxMl.TensorShapeProto.newBuilder();
                t.getDimsList().forEach(d -> shape.addDim(OnnxMl.TensorShapeProto.Dimension.newBuilder().setDimValue(d)));
                g.addInput(OnnxMl.ValueInfoProto.newBuilder().setName(t.getName()).setType(OnnxMl.TypeProto.newBuilder()
                        .setTensorType(OnnxMl.TypeProto.Tensor.newBuilder().setElemType(t.getDataType())
                                .setShape(shape))));
            }
        }
        Set<String> outputs = new HashSet<>();
        g.getOutputList().forEach(o -> outputs.add(o.getName()));
        for (OnnxMl.NodeProto n : model.getGraph().getNodeList()) {
            for (String o : n.getOutputList()) {
                if (!o.isEmpty() && outputs.add(o)) {
                    g.addOutput(OnnxMl.ValueInfoProto.newBuilder().setName(o));
                }
            }
        }
        byte[] probe = model.toBuilder().setGraph(g).build().toByteArray();
        Map<String, Dim[]> shapes = new HashMap<>();
        try (OrtSession.SessionOptions options = new OrtSession.SessionOptions()) {
            options.setOptimizationLevel(OrtSession.SessionOptions.OptLevel.NO_OPT);
            options.setIntraOpNumThreads(1);
            try (OrtSession s = OrtEnvironment.getEnvironment().createSession(probe, options)) {
                for (Map.Entry<String, NodeInfo> e : s.getOutputInfo().entrySet()) {
                    if (e.getValue().getInfo() instanceof TensorInfo t) {
                        long[] shape = t.getShape();
                        String[] names = t.getDimensionNames();
                        Dim[] dims = new Dim[shape.length];
                        for (int i = 0; i < shape.length; i++) {
                            dims[i] = new Dim(shape[i], names == null || names[i] == null ? "" : names[i]);
                        }
                        shapes.put(e.getKey(), dims);
                    }
                }
            }
        } catch (OrtException e) {
            throw new DfdException("ONNX Runtime cannot read the graph to infer its shapes: " + e.getMessage());
        }
        return new Shapes(shapes);
    }

    /** The inferred shape, or null when the value's rank is unknown. */
    Dim[] of(String value) {
        return shapes.get(value);
    }

    int rank(String value) {
        Dim[] d = shapes.get(value);
        return d == null ? -1 : d.length;
    }

    /** The last dimension's size, or -1 when unknown. */
    long lastDim(String value) {
        Dim[] d = shapes.get(value);
        return d == null || d.length == 0 || !d[d.length - 1].known() ? -1 : d[d.length - 1].size();
    }

    /** Provably the same shape, dimension by dimension. */
    boolean same(String a, String b) {
        Dim[] x = shapes.get(a);
        Dim[] y = shapes.get(b);
        if (x == null || y == null || x.length != y.length) {
            return false;
        }
        for (int i = 0; i < x.length; i++) {
            if (!x[i].same(y[i])) {
                return false;
            }
        }
        return true;
    }
}
