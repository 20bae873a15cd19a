package dev.dfd.quantize;

import ai.onnx.proto.OnnxMl.AttributeProto;
import ai.onnx.proto.OnnxMl.GraphProto;
import ai.onnx.proto.OnnxMl.ModelProto;
import ai.onnx.proto.OnnxMl.NodeProto;
import ai.onnx.proto.OnnxMl.TensorProto.DataType;
import ai.onnx.proto.OnnxMl.TensorProto;
import com.google.protobuf.ByteString;
import dev.dfd.DfdException;
import dev.dfd.graph.TensorValues;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Static int8 quantisation of a float32 graph in ONNX's QDQ form: QuantizeLinear -> DequantizeLinear pairs on the
 * activations, DequantizeLinear on int8 weights, the float ops left in between. ONNX Runtime's CPU provider (level 2
 * optimisation and up) fuses each {@code DQ -> op -> Q} group into an integer kernel: Conv into QLinearConv, residual
 * Add into QLinearAdd, GlobalAveragePool into QLinearGlobalAveragePool, MatMul without a Q after it into
 * MatMulIntegerToFloat; MaxPool, Flatten, Reshape and Transpose run on the uint8 codes when the Q after them repeats
 * the DQ's parameters. A ReLU (or a ReLU6 Clip) between an op and its Q is dropped there, since uint8 with zero point
 * 0 clamps at 0 (and a calibrated maximum of at most 6 at 6).
 *
 * <p>What gets quantised, by the ops that read it: the activation inputs of every Conv and MatMul whose weight is an
 * initializer, of every Add of two activations and of every GlobalAveragePool; and the outputs of the Conv, Add and
 * GlobalAveragePool nodes (after their ReLU or Clip when that is the only reader), so those ops can run in integers
 * end to end. Activations are uint8, asymmetric, one scale per tensor, from calibrated ranges; weights int8 symmetric per
 * output channel; biases of quantised Convs int32 at {@code x_scale * w_scale}. Other ops (SiLU, LayerNorm, Softmax,
 * the final bias Add, ...) stay float32 between a DQ and the next Q.
 */
public final class QdqQuantizer {
    /** Ops that move or select values without computing new ones: their output keeps their input's parameters. */
    private static final Set<String> SAME_PARAMETERS = Set.of("MaxPool", "Flatten", "Reshape", "Transpose");

    private final GraphProto graph;
    private final Map<String, TensorProto> initializers = new HashMap<>();
    private final Map<String, NodeProto> producers = new HashMap<>();
    private final Map<String, List<NodeProto>> readers = new HashMap<>();
    private final Set<String> graphOutputs = new HashSet<>();
    /** Tensors that get a QuantizeLinear -> DequantizeLinear pair, in graph order. */
    private final LinkedHashSet<String> quantized = new LinkedHashSet<>();
    /** A pass-through op's quantised output -> its input, whose parameters it shares. */
    private final Map<String, String> sharesParameters = new HashMap<>();

    private QdqQuantizer(GraphProto graph) {
        this.graph = graph;
        for (TensorProto t : graph.getInitializerList()) {
            initializers.put(t.getName(), t);
        }
        graph.getOutputList().forEach(o -> graphOutputs.add(o.getName()));
        for (NodeProto n : graph.getNodeList()) {
            n.getOutputList().forEach(o -> producers.put(o, n));
            n.getInputList().forEach(i -> readers.computeIfAbsent(i, k -> new ArrayList<>()).add(n));
        }
        for (NodeProto n : graph.getNodeList()) {
            switch (n.getOpType()) {
                case "Conv" -> {
                    if (constantConv(n)) {
                        quantize(n.getInput(0));
                        quantizeResult(n.getOutput(0));
                    }
                }
                case "MatMul" -> {
                    if (constantMatMul(n)) {
                        quantize(n.getInput(0));
                    }
                }
                case "Add" -> {
                    if (!initializers.containsKey(n.getInput(0)) && !initializers.containsKey(n.getInput(1))) {
                        quantize(n.getInput(0));
                        quantize(n.getInput(1));
                        quantizeResult(n.getOutput(0));
                    }
                }
                case "GlobalAveragePool" -> {
                    quantize(n.getInput(0));
                    quantizeResult(n.getOutput(0));
                }
                default -> {
                }
            }
        }
    }

    /** The activation tensors whose ranges {@link #quantize(ModelProto, Map, int)} needs, in graph order. */
    public static List<String> tensorsToCalibrate(ModelProto model) {
        QdqQuantizer q = new QdqQuantizer(model.getGraph());
        return q.quantized.stream().filter(t -> !q.sharesParameters.containsKey(t)).toList();
    }

    /**
     * The QDQ graph.
     *
     * @param ranges     calibrated ranges of every tensor {@link #tensorsToCalibrate} names
     * @param weightQmax {@link QuantizationMath#INT8_MAX} or {@link QuantizationMath#INT8_MAX_REDUCED}
     */
    public static ModelProto quantize(ModelProto model, Map<String, ActivationRange> ranges, int weightQmax) {
        QdqQuantizer q = new QdqQuantizer(model.getGraph());
        return model.toBuilder().setGraph(q.rewrite(ranges, weightQmax)).build();
    }

    private boolean constantConv(NodeProto n) {
        return isFloatInitializer(n.getInput(1))
                && (n.getInputCount() < 3 || n.getInput(2).isEmpty() || isFloatInitializer(n.getInput(2)));
    }

    /** A Clip whose lower bound is the constant 0 (opset 11+: an initializer input): a ReLU with a ceiling. */
    private boolean clipsAtZero(NodeProto n) {
        if (!n.getOpType().equals("Clip") || n.getInputCount() < 2 || !isFloatInitializer(n.getInput(1))) {
            return false;
        }
        float[] min = TensorValues.floats(initializers.get(n.getInput(1)));
        return min.length == 1 && min[0] == 0f;
    }

    private boolean constantMatMul(NodeProto n) {
        return isFloatInitializer(n.getInput(1)) && initializers.get(n.getInput(1)).getDimsCount() == 2;
    }

    private boolean isFloatInitializer(String name) {
        TensorProto t = initializers.get(name);
        return t != null && t.getDataType() == DataType.FLOAT.getNumber();
    }

    /** Marks a tensor for Q -> DQ; a pass-through op's output pulls in its input. False when it cannot be. */
    private boolean quantize(String tensor) {
        if (graphOutputs.contains(tensor) || initializers.containsKey(tensor)) {
            return false;
        }
        if (!quantized.add(tensor)) {
            return true;
        }
        NodeProto producer = producers.get(tensor);
        if (producer != null && SAME_PARAMETERS.contains(producer.getOpType()) && quantize(producer.getInput(0))) {
            sharesParameters.put(tensor, producer.getInput(0));
        }
        return true;
    }

    /**
     * An op's output, or its activation's when a ReLU or a ReLU6 (Clip from 0) is its only reader: the Q then stands
     * for it, since uint8 codes with zero point 0 and a calibrated top within the clip's cover no value the activation
     * would change, and ONNX Runtime drops such a ReLU or Clip before the Q when fusing.
     */
    private void quantizeResult(String tensor) {
        List<NodeProto> r = readers.getOrDefault(tensor, List.of());
        if (r.size() == 1 && (r.get(0).getOpType().equals("Relu") || clipsAtZero(r.get(0)))) {
            quantize(r.get(0).getOutput(0));
        } else {
            quantize(tensor);
        }
    }

    private GraphProto rewrite(Map<String, ActivationRange> ranges, int weightQmax) {
        Map<String, QuantizationMath.ActivationParams> params = new HashMap<>();
        for (String t : quantized) {
            String root = t;
            while (sharesParameters.containsKey(root)) {
                root = sharesParameters.get(root);
            }
            ActivationRange range = ranges.get(root);
            if (range == null) {
                throw new DfdException("static int8: no calibrated range for tensor " + root);
            }
            params.put(t, QuantizationMath.uint8Asymmetric(range.min(), range.max()));
        }
        GraphProto.Builder out = graph.toBuilder().clearNode();
        Names names = new Names(graph);
        Map<String, String[]> paramNames = new HashMap<>(); // tensor -> {scale, zero point} initializer names
        for (String t : quantized) {
            QuantizationMath.ActivationParams p = params.get(t);
            String scale = names.fresh(t + "_scale");
            String zero = names.fresh(t + "_zero_point");
            out.addInitializer(tensor(scale, DataType.FLOAT, floats(p.scale()), new long[0])); // float32 scalar
            out.addInitializer(tensor(zero, DataType.UINT8, new byte[]{(byte) p.zeroPoint()}, new long[0])); // uint8
            paramNames.put(t, new String[]{scale, zero});
        }
        Map<String, String> quantizedName = new HashMap<>(); // float tensor -> its uint8 codes
        graph.getInputList().forEach(i -> {
            if (quantized.contains(i.getName())) {
                quantizedName.put(i.getName(), emitQuantize(out, names, i.getName(), paramNames));
            }
        });
        for (NodeProto n : graph.getNodeList()) {
            NodeProto.Builder b = n.toBuilder();
            for (int i = 0; i < n.getInputCount(); i++) {
                String in = n.getInput(i);
                if (quantizedName.containsKey(in)) {
                    b.setInput(i, emitDequantize(out, names, quantizedName.get(in), paramNames.get(in), in));
                }
            }
            QuantizationMath.ActivationParams x = params.get(n.getInput(0));
            if (n.getOpType().equals("Conv") && constantConv(n) && x != null) {
                quantizeConvWeights(out, names, b, n, x, weightQmax);
            } else if (n.getOpType().equals("MatMul") && constantMatMul(n) && x != null) {
                quantizeMatMulWeights(out, names, b, n, weightQmax);
            }
            out.addNode(b);
            for (String o : n.getOutputList()) {
                if (quantized.contains(o)) {
                    quantizedName.put(o, emitQuantize(out, names, o, paramNames));
                }
            }
        }
        dropUnreadInitializers(out);
        return out.build();
    }

    /** Conv weight (out, in / groups, kh, kw) -> int8 per output channel; bias (out) -> int32 at x_scale * w_scale. */
    private void quantizeConvWeights(GraphProto.Builder out, Names names, NodeProto.Builder b, NodeProto n,
                                     QuantizationMath.ActivationParams x, int qmax) {
        TensorProto w = initializers.get(n.getInput(1));
        int channels = (int) w.getDims(0);
        float[] values = floatsOf(w);
        QuantizationMath.ChannelWeights q = QuantizationMath.symmetricPerChannel(values, 1, channels,
                values.length / channels, qmax);
        b.setInput(1, emitWeightDequantize(out, names, w.getName(), DataType.INT8, q.values(), w.getDimsList(),
                q.scales(), new byte[channels], 0));
        if (n.getInputCount() >= 3 && !n.getInput(2).isEmpty()) {
            TensorProto bias = initializers.get(n.getInput(2));
            int[] qb = QuantizationMath.int32Bias(floatsOf(bias), x.scale(), q.scales());
            float[] biasScales = new float[channels];
            for (int c = 0; c < channels; c++) {
                biasScales[c] = x.scale() * q.scales()[c];
            }
            ByteBuffer bytes = ByteBuffer.allocate(4 * channels).order(ByteOrder.LITTLE_ENDIAN);
            bytes.asIntBuffer().put(qb);
            b.setInput(2, emitWeightDequantize(out, names, bias.getName(), DataType.INT32, bytes.array(),
                    bias.getDimsList(), biasScales, new byte[4 * channels], 0));
        }
    }

    /** MatMul weight (in, out) -> int8 per output column (axis 1). */
    private void quantizeMatMulWeights(GraphProto.Builder out, Names names, NodeProto.Builder b, NodeProto n, int qmax) {
        TensorProto w = initializers.get(n.getInput(1));
        int in = (int) w.getDims(0);
        int columns = (int) w.getDims(1);
        QuantizationMath.ChannelWeights q = QuantizationMath.symmetricPerChannel(floatsOf(w), in, columns, 1, qmax);
        b.setInput(1, emitWeightDequantize(out, names, w.getName(), DataType.INT8, q.values(), w.getDimsList(),
                q.scales(), new byte[columns], 1));
    }

    /**
     * A constant's codes (int8 weights or int32 biases, little-endian, in the float tensor's shape {@code dims}), its
     * float32 scales and zero points (C) along {@code axis}, and the DequantizeLinear that gives the float32 tensor.
     */
    private String emitWeightDequantize(GraphProto.Builder out, Names names, String weight, DataType type, byte[] codes,
                                        List<Long> dims, float[] scales, byte[] zeroPoints, long axis) {
        String base = names.fresh(weight + "_quantized");
        String scale = names.fresh(weight + "_scale");
        String zero = names.fresh(weight + "_zero_point");
        long[] shape = dims.stream().mapToLong(Long::longValue).toArray();
        out.addInitializer(tensor(base, type, codes, shape));
        out.addInitializer(tensor(scale, DataType.FLOAT, floats(scales), new long[]{scales.length}));
        out.addInitializer(tensor(zero, type, zeroPoints, new long[]{scales.length}));
        String y = names.fresh(weight + "_dequantized");
        out.addNode(NodeProto.newBuilder().setOpType("DequantizeLinear").setName(names.fresh(y + "_node"))
                .addInput(base).addInput(scale).addInput(zero).addOutput(y)
                .addAttribute(AttributeProto.newBuilder().setName("axis").setType(AttributeProto.AttributeType.INT)
                        .setI(axis)));
        return y;
    }

    /** float32 tensor -> uint8 codes of the same shape. */
    private static String emitQuantize(GraphProto.Builder out, Names names, String tensor, Map<String, String[]> p) {
        String y = names.fresh(tensor + "_quantized");
        out.addNode(NodeProto.newBuilder().setOpType("QuantizeLinear").setName(names.fresh(y + "_node"))
                .addInput(tensor).addInput(p.get(tensor)[0]).addInput(p.get(tensor)[1]).addOutput(y));
        return y;
    }

    /** uint8 codes -> float32, one DequantizeLinear per reading node: ONNX Runtime fuses a DQ into the op reading it. */
    private static String emitDequantize(GraphProto.Builder out, Names names, String codes, String[] p, String tensor) {
        String y = names.fresh(tensor + "_dequantized");
        out.addNode(NodeProto.newBuilder().setOpType("DequantizeLinear").setName(names.fresh(y + "_node"))
                .addInput(codes).addInput(p[0]).addInput(p[1]).addOutput(y));
        return y;
    }

    /** Float weights replaced by int8 ones are read by no node any more. */
    private static void dropUnreadInitializers(GraphProto.Builder g) {
        Set<String> read = new HashSet<>();
        g.getNodeList().forEach(n -> read.addAll(n.getInputList()));
        List<TensorProto> kept = g.getInitializerList().stream().filter(t -> read.contains(t.getName())).toList();
        g.clearInitializer().addAllInitializer(kept);
    }

    static float[] floatsOf(TensorProto t) {
        if (t.getDataType() != DataType.FLOAT.getNumber()) {
            throw new DfdException("static int8: initializer " + t.getName() + " is not float32");
        }
        return TensorValues.floats(t);
    }

    private static byte[] floats(float... values) {
        ByteBuffer b = ByteBuffer.allocate(4 * values.length).order(ByteOrder.LITTLE_ENDIAN);
        b.asFloatBuffer().put(values);
        return b.array();
    }

    private static TensorProto tensor(String name, DataType type, byte[] raw, long[] dims) {
        TensorProto.Builder t = TensorProto.newBuilder().setName(name).setDataType(type.getNumber())
                .setRawData(ByteString.copyFrom(raw));
        for (long d : dims) {
            t.addDims(d);
        }
        return t.build();
    }

    /** Unique names: every value, node and initializer name of the graph is taken already. */
    private static final class Names {
        private final Set<String> taken = new HashSet<>();

        Names(GraphProto g) {
            g.getInitializerList().forEach(t -> taken.add(t.getName()));
            g.getInputList().forEach(v -> taken.add(v.getName()));
            g.getOutputList().forEach(v -> taken.add(v.getName()));
            for (NodeProto n : g.getNodeList()) {
                taken.add(n.getName());
                taken.addAll(n.getOutputList());
            }
        }

        String fresh(String prefix) {
            String name = prefix;
            for (int k = 2; !taken.add(name); k++) {
                name = prefix + "_" + k;
            }
            return name;
        }
    }
}
