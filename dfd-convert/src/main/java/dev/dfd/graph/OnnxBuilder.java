package dev.dfd.graph;

import ai.onnx.proto.OnnxMl.AttributeProto;
import ai.onnx.proto.OnnxMl.GraphProto;
import ai.onnx.proto.OnnxMl.NodeProto;
import ai.onnx.proto.OnnxMl.TensorProto;
import ai.onnx.proto.OnnxMl;
import com.google.protobuf.ByteString;
import dev.dfd.internal.model.Half;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Builds an ONNX graph with ONNX's generated protobuf classes: initializers, nodes with unique output names,
 * typed inputs and outputs. Values are referred to by name, as in ONNX itself.
 */
public final class OnnxBuilder {
    public static final int OPSET = 17; // LayerNormalization is a standard op from 17; ONNX Runtime 1.28 runs it natively
    static final long IR_VERSION = 8;
    /** ONNX Runtime's contrib operators (MatMulNBits), opset 1. */
    public static final String MICROSOFT_DOMAIN = "com.microsoft";

    private final GraphProto.Builder graph = GraphProto.newBuilder();
    private final Map<String, Integer> counters = new HashMap<>();
    private final java.util.Set<String> constants = new java.util.HashSet<>();
    private boolean usesContribOps;

    public OnnxBuilder(String name) {
        graph.setName(name);
    }

    /** A unique value name from a readable prefix. */
    public String fresh(String prefix) {
        int n = counters.merge(prefix, 1, Integer::sum);
        return n == 1 ? prefix : prefix + "_" + n;
    }

    /** A graph input; a negative dimension is symbolic, named by {@code dimNames}. */
    public void input(String name, TensorProto.DataType type, long[] dims, String... dimNames) {
        graph.addInput(valueInfo(name, type, dims, dimNames));
    }

    public void output(String name, TensorProto.DataType type, long[] dims, String... dimNames) {
        graph.addOutput(valueInfo(name, type, dims, dimNames));
    }

    private static OnnxMl.ValueInfoProto valueInfo(String name, TensorProto.DataType type, long[] dims, String[] dimNames) {
        OnnxMl.TensorShapeProto.Builder shape = OnnxMl.TensorShapeProto.newBuilder();
        int symbolic = 0;
        for (long d : dims) {
            OnnxMl.TensorShapeProto.Dimension.Builder dim = OnnxMl.TensorShapeProto.Dimension.newBuilder();
            if (d < 0) {
                dim.setDimParam(dimNames[symbolic++]);
            } else {
                dim.setDimValue(d);
            }
            shape.addDim(dim);
        }
        return OnnxMl.ValueInfoProto.newBuilder().setName(name)
                .setType(OnnxMl.TypeProto.newBuilder().setTensorType(OnnxMl.TypeProto.Tensor.newBuilder()
                        .setElemType(type.getNumber()).setShape(shape))).build();
    }

    public String floats(String name, float[] values, long... dims) {
        ByteBuffer b = ByteBuffer.allocate(values.length * 4).order(ByteOrder.LITTLE_ENDIAN);
        b.asFloatBuffer().put(values);
        return raw(name, TensorProto.DataType.FLOAT, b.array(), dims);
    }

    /** float32 values stored as float16. */
    public String halves(String name, float[] values, long... dims) {
        ByteBuffer b = ByteBuffer.allocate(values.length * 2).order(ByteOrder.LITTLE_ENDIAN);
        for (float v : values) {
            b.putShort(Half.fromFloat(v));
        }
        return raw(name, TensorProto.DataType.FLOAT16, b.array(), dims);
    }

    public String int8s(String name, byte[] values, long... dims) {
        return raw(name, TensorProto.DataType.INT8, values, dims);
    }

    public String uint8s(String name, byte[] values, long... dims) {
        return raw(name, TensorProto.DataType.UINT8, values, dims);
    }

    /** An int64 tensor of any shape ({@code dims} empty for a scalar). */
    public String longs(String name, long[] values, long[] dims) {
        ByteBuffer b = ByteBuffer.allocate(values.length * 8).order(ByteOrder.LITTLE_ENDIAN);
        b.asLongBuffer().put(values);
        return raw(name, TensorProto.DataType.INT64, b.array(), dims);
    }

    /** A 1-D int64 constant, shared by name (a name stands for one value in a graph). */
    public String vector(String name, long... values) {
        if (!constants.add(name)) {
            return name;
        }
        return longs(name, values, new long[]{values.length});
    }

    /** A float32 scalar constant, shared by name. */
    public String scalar(String name, float value) {
        if (!constants.add(name)) {
            return name;
        }
        return floats(name, new float[]{value}, new long[0]);
    }

    private String raw(String name, TensorProto.DataType type, byte[] data, long[] dims) {
        TensorProto.Builder t = TensorProto.newBuilder().setName(name).setDataType(type.getNumber())
                .setRawData(ByteString.copyFrom(data));
        for (long d : dims) {
            t.addDims(d);
        }
        graph.addInitializer(t);
        return name;
    }

    /** Adds a node with one output named from {@code outputPrefix}; returns that output's name. */
    public String node(String op, String outputPrefix, List<String> inputs, AttributeProto... attributes) {
        String out = fresh(outputPrefix);
        nodeWithOutputs(op, inputs, List.of(out), attributes);
        return out;
    }

    public void nodeWithOutputs(String op, List<String> inputs, List<String> outputs, AttributeProto... attributes) {
        addNode(op, "", inputs, outputs, attributes);
    }

    /** A node of ONNX Runtime's {@code com.microsoft} domain; the model then imports that opset (version 1). */
    public String contribNode(String op, String outputPrefix, List<String> inputs, AttributeProto... attributes) {
        String out = fresh(outputPrefix);
        addNode(op, MICROSOFT_DOMAIN, inputs, List.of(out), attributes);
        usesContribOps = true;
        return out;
    }

    private void addNode(String op, String domain, List<String> inputs, List<String> outputs,
                         AttributeProto... attributes) {
        NodeProto.Builder n = NodeProto.newBuilder().setOpType(op).setName(fresh(op + "_node"))
                .addAllInput(inputs).addAllOutput(outputs);
        if (!domain.isEmpty()) {
            n.setDomain(domain);
        }
        for (AttributeProto a : attributes) {
            n.addAttribute(a);
        }
        graph.addNode(n);
    }

    public static AttributeProto attr(String name, long value) {
        return AttributeProto.newBuilder().setName(name).setType(AttributeProto.AttributeType.INT).setI(value).build();
    }

    public static AttributeProto attr(String name, String value) {
        return AttributeProto.newBuilder().setName(name).setType(AttributeProto.AttributeType.STRING)
                .setS(ByteString.copyFromUtf8(value)).build();
    }

    public static AttributeProto attr(String name, float value) {
        return AttributeProto.newBuilder().setName(name).setType(AttributeProto.AttributeType.FLOAT).setF(value).build();
    }

    public static AttributeProto attrs(String name, long... values) {
        AttributeProto.Builder a = AttributeProto.newBuilder().setName(name).setType(AttributeProto.AttributeType.INTS);
        for (long v : values) {
            a.addInts(v);
        }
        return a.build();
    }

    public OnnxMl.ModelProto build(String producerVersion, Map<String, String> metadata) {
        OnnxMl.ModelProto.Builder m = OnnxMl.ModelProto.newBuilder().setIrVersion(IR_VERSION)
                .addOpsetImport(OnnxMl.OperatorSetIdProto.newBuilder().setDomain("").setVersion(OPSET))
                .setProducerName("dfd").setProducerVersion(producerVersion).setGraph(graph);
        if (usesContribOps) {
            m.addOpsetImport(OnnxMl.OperatorSetIdProto.newBuilder().setDomain(MICROSOFT_DOMAIN).setVersion(1));
        }
        metadata.forEach((k, v) -> m.addMetadataProps(OnnxMl.StringStringEntryProto.newBuilder().setKey(k).setValue(v)));
        return m.build();
    }
}
