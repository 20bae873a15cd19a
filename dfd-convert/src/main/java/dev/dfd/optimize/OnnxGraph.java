package dev.dfd.optimize;

import ai.onnx.proto.OnnxMl.AttributeProto;
import ai.onnx.proto.OnnxMl.NodeProto;
import ai.onnx.proto.OnnxMl.TensorProto;
import ai.onnx.proto.OnnxMl;
import com.google.protobuf.ByteString;
import dev.dfd.graph.TensorValues;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.IdentityHashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.PriorityQueue;
import java.util.Set;

/**
 * A mutable view of an ONNX graph for rewriting: nodes in order, initializers by name, and who produces and who
 * consumes each value. Fusions remove the nodes they match and add their replacement; {@link #toModel} then
 * restores a topological order, drops nodes and initializers nothing uses any more and imports the
 * {@code com.microsoft} opset the contrib operators need.
 */
final class OnnxGraph {
    static final String MICROSOFT = "com.microsoft";

    private final OnnxMl.ModelProto original;
    private final List<NodeProto> nodes = new ArrayList<>();
    /** A node's place for the final order: replacements take the place of the last node they replace. */
    private final Map<NodeProto, Double> position = new IdentityHashMap<>();
    private final Map<String, TensorProto> initializers = new LinkedHashMap<>();
    private final Set<String> graphOutputs = new HashSet<>();
    private final Set<String> graphInputs = new HashSet<>();
    private final Map<String, NodeProto> producers = new HashMap<>();
    private final Map<String, List<NodeProto>> consumers = new HashMap<>();
    private final Set<String> names = new HashSet<>();
    private int fresh;

    OnnxGraph(OnnxMl.ModelProto model) {
        this.original = model;
        OnnxMl.GraphProto g = model.getGraph();
        for (NodeProto n : g.getNodeList()) {
            position.put(n, (double) nodes.size());
            nodes.add(n);
        }
        for (TensorProto t : g.getInitializerList()) {
            initializers.put(t.getName(), t);
        }
        g.getOutputList().forEach(o -> graphOutputs.add(o.getName()));
        g.getInputList().forEach(i -> graphInputs.add(i.getName()));
        names.addAll(initializers.keySet());
        names.addAll(graphInputs);
        for (NodeProto n : nodes) {
            names.addAll(n.getOutputList());
        }
        reindex();
    }

    private void reindex() {
        producers.clear();
        consumers.clear();
        for (NodeProto n : nodes) {
            for (String o : n.getOutputList()) {
                if (!o.isEmpty()) {
                    producers.put(o, n);
                }
            }
            for (String i : n.getInputList()) {
                if (!i.isEmpty()) {
                    consumers.computeIfAbsent(i, k -> new ArrayList<>()).add(n);
                }
            }
        }
    }

    List<NodeProto> nodes() {
        return Collections.unmodifiableList(new ArrayList<>(nodes));
    }

    /** The node of the default domain with this op type that produces {@code value}, or null. */
    NodeProto producer(String value, String opType) {
        NodeProto n = producers.get(value);
        return n != null && n.getOpType().equals(opType) && n.getDomain().isEmpty() ? n : null;
    }

    List<NodeProto> consumers(String value) {
        return consumers.getOrDefault(value, List.of());
    }

    /** Whether {@code value} is read only by {@code node} (once) and is not a graph output: safe to fuse away. */
    boolean onlyFeeds(String value, NodeProto node) {
        List<NodeProto> c = consumers(value);
        return c.size() == 1 && c.get(0) == node && !graphOutputs.contains(value);
    }

    boolean isGraphOutput(String value) {
        return graphOutputs.contains(value);
    }

    TensorProto initializer(String name) {
        return initializers.get(name);
    }

    /** A float32 initializer's values, or null when {@code name} is not one. */
    float[] floats(String name) {
        TensorProto t = constant(name);
        if (t == null || t.getDataType() != TensorProto.DataType.FLOAT_VALUE
                || t.getDataLocation() == TensorProto.DataLocation.EXTERNAL) {
            return null;
        }
        return TensorValues.floats(t);
    }

    /** An int64 initializer's (or Constant's) values, or null. */
    long[] longs(String name) {
        TensorProto t = constant(name);
        if (t == null || t.getDataType() != TensorProto.DataType.INT64_VALUE) {
            return null;
        }
        if (!t.getRawData().isEmpty()) {
            long[] v = new long[t.getRawData().size() / 8];
            t.getRawData().asReadOnlyByteBuffer().order(ByteOrder.LITTLE_ENDIAN).asLongBuffer().get(v);
            return v;
        }
        return t.getInt64DataList().stream().mapToLong(Long::longValue).toArray();
    }

    /** The dims of an initializer (or Constant), or null. */
    long[] dims(String name) {
        TensorProto t = constant(name);
        return t == null ? null : t.getDimsList().stream().mapToLong(Long::longValue).toArray();
    }

    /** A constant holding exactly one float32 value (any shape of one element), or NaN. */
    float scalar(String name) {
        float[] v = floats(name);
        return v != null && v.length == 1 ? v[0] : Float.NaN;
    }

    /**
     * The tensor behind a value that is constant: an initializer, a Constant node's value, or either seen through
     * Identity nodes (torch's export writes one per weight whose values equal another's, as zero biases and unit
     * LayerNorm gains of a freshly initialised model do, and reads the shared initializer through it). Null otherwise.
     */
    private TensorProto constant(String name) {
        for (int depth = 0; depth < 8; depth++) {
            TensorProto t = initializers.get(name);
            NodeProto p = producers.get(name);
            if (t != null || p == null || !p.getDomain().isEmpty()) {
                return t;
            }
            if (p.getOpType().equals("Constant")) {
                return constantValue(p);
            }
            if (!p.getOpType().equals("Identity")) {
                return null;
            }
            name = p.getInput(0);
        }
        return null;
    }

    private static TensorProto constantValue(NodeProto constant) {
        for (AttributeProto a : constant.getAttributeList()) {
            if (a.getName().equals("value") && a.hasT()) {
                return a.getT();
            }
        }
        return null;
    }

    static AttributeProto attribute(NodeProto n, String name) {
        for (AttributeProto a : n.getAttributeList()) {
            if (a.getName().equals(name)) {
                return a;
            }
        }
        return null;
    }

    static long intAttribute(NodeProto n, String name, long otherwise) {
        AttributeProto a = attribute(n, name);
        return a == null ? otherwise : a.getI();
    }

    static float floatAttribute(NodeProto n, String name, float otherwise) {
        AttributeProto a = attribute(n, name);
        return a == null ? otherwise : a.getF();
    }

    static long[] intsAttribute(NodeProto n, String name) {
        AttributeProto a = attribute(n, name);
        return a == null ? null : a.getIntsList().stream().mapToLong(Long::longValue).toArray();
    }

    /** The other input of a two-input node, or null when {@code one} is not among them. */
    static String other(NodeProto n, String one) {
        if (n.getInputCount() != 2) {
            return null;
        }
        return n.getInput(0).equals(one) ? n.getInput(1) : n.getInput(1).equals(one) ? n.getInput(0) : null;
    }

    /** A value name not used anywhere in the graph. */
    String freshName(String prefix) {
        String name;
        do {
            name = prefix + "_fused_" + fresh++;
        } while (names.contains(name));
        names.add(name);
        return name;
    }

    /** Adds a float32 initializer under a fresh name derived from {@code prefix}. */
    String addFloats(String prefix, float[] values, long... dims) {
        ByteBuffer b = ByteBuffer.allocate(values.length * 4).order(ByteOrder.LITTLE_ENDIAN);
        b.asFloatBuffer().put(values);
        return addInitializer(prefix, ByteString.copyFrom(b.array()), dims);
    }

    /** Adds a float32 initializer of these raw little-endian bytes (an existing tensor under another shape). */
    String addInitializer(String prefix, ByteString raw, long... dims) {
        String name = freshName(prefix);
        TensorProto.Builder t = TensorProto.newBuilder().setName(name).setDataType(TensorProto.DataType.FLOAT_VALUE)
                .setRawData(raw);
        for (long d : dims) {
            t.addDims(d);
        }
        initializers.put(name, t.build());
        return name;
    }

    /** Replaces the matched nodes by one node, placed where the last of them was. */
    void replace(List<NodeProto> matched, NodeProto replacement) {
        Set<NodeProto> gone = Collections.newSetFromMap(new IdentityHashMap<>());
        gone.addAll(matched);
        double at = matched.stream().mapToDouble(position::get).max().orElse(nodes.size());
        nodes.removeIf(gone::contains);
        position.put(replacement, at);
        nodes.add(replacement);
        reindex();
    }

    static NodeProto.Builder contrib(String opType, String name) {
        return NodeProto.newBuilder().setOpType(opType).setDomain(MICROSOFT).setName(name);
    }

    static AttributeProto attr(String name, long value) {
        return AttributeProto.newBuilder().setName(name).setType(AttributeProto.AttributeType.INT).setI(value).build();
    }

    static AttributeProto attr(String name, float value) {
        return AttributeProto.newBuilder().setName(name).setType(AttributeProto.AttributeType.FLOAT).setF(value)
                .build();
    }

    /**
     * The rewritten model: nodes in a topological order (stable: each node as near its original place as its inputs
     * allow), nodes whose outputs nothing reads removed, initializers nothing reads removed, and the
     * {@code com.microsoft} opset imported when a contrib operator is used.
     */
    OnnxMl.ModelProto toModel(Map<String, String> metadata) {
        removeDeadNodes();
        List<NodeProto> ordered = topologicalOrder();
        Set<String> read = new HashSet<>(graphOutputs);
        for (NodeProto n : ordered) {
            read.addAll(n.getInputList());
        }
        OnnxMl.GraphProto.Builder g = original.getGraph().toBuilder().clearNode().addAllNode(ordered)
                .clearInitializer().clearValueInfo();
        for (TensorProto t : initializers.values()) {
            if (read.contains(t.getName())) {
                g.addInitializer(t);
            }
        }
        // initializers listed as graph inputs (older exporters) must go with them
        List<OnnxMl.ValueInfoProto> inputs = new ArrayList<>(g.getInputList());
        inputs.removeIf(i -> original.getGraph().getInitializerList().stream()
                .anyMatch(t -> t.getName().equals(i.getName())) && !read.contains(i.getName()));
        g.clearInput().addAllInput(inputs);
        OnnxMl.ModelProto.Builder m = original.toBuilder().setGraph(g);
        boolean contrib = ordered.stream().anyMatch(n -> n.getDomain().equals(MICROSOFT));
        if (contrib && m.getOpsetImportList().stream().noneMatch(o -> o.getDomain().equals(MICROSOFT))) {
            m.addOpsetImport(OnnxMl.OperatorSetIdProto.newBuilder().setDomain(MICROSOFT).setVersion(1));
        }
        metadata.forEach((k, v) -> {
            m.getMetadataPropsList().stream().filter(p -> p.getKey().equals(k)).findFirst()
                    .ifPresent(p -> m.removeMetadataProps(m.getMetadataPropsList().indexOf(p)));
            m.addMetadataProps(OnnxMl.StringStringEntryProto.newBuilder().setKey(k).setValue(v));
        });
        return m.build();
    }

    private void removeDeadNodes() {
        boolean changed = true;
        while (changed) {
            changed = false;
            for (int i = nodes.size() - 1; i >= 0; i--) {
                NodeProto n = nodes.get(i);
                boolean used = false;
                for (String o : n.getOutputList()) {
                    used |= !o.isEmpty() && (graphOutputs.contains(o) || !consumers(o).isEmpty());
                }
                if (!used) {
                    nodes.remove(i);
                    changed = true;
                }
            }
            if (changed) {
                reindex();
            }
        }
    }

    private List<NodeProto> topologicalOrder() {
        Map<NodeProto, Integer> waiting = new IdentityHashMap<>();
        PriorityQueue<NodeProto> ready = new PriorityQueue<>(Comparator.comparingDouble(position::get));
        for (NodeProto n : nodes) {
            int count = 0;
            for (String i : n.getInputList()) {
                if (!i.isEmpty() && producers.containsKey(i)) {
                    count++;
                }
            }
            waiting.put(n, count);
            if (count == 0) {
                ready.add(n);
            }
        }
        List<NodeProto> ordered = new ArrayList<>();
        while (!ready.isEmpty()) {
            NodeProto n = ready.poll();
            ordered.add(n);
            for (String o : n.getOutputList()) {
                Set<NodeProto> readers = Collections.newSetFromMap(new IdentityHashMap<>());
                readers.addAll(o.isEmpty() ? List.of() : consumers(o));
                for (NodeProto c : readers) {
                    for (String i : c.getInputList()) { // a node may read one value twice
                        if (i.equals(o) && waiting.merge(c, -1, Integer::sum) == 0) {
                            ready.add(c);
                        }
                    }
                }
            }
        }
        if (ordered.size() != nodes.size()) {
            throw new IllegalStateException("the rewritten graph has a cycle (" + (nodes.size() - ordered.size())
                    + " nodes not ordered)");
        }
        return ordered;
    }
}
