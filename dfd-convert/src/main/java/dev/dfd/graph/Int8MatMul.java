package dev.dfd.graph;

import ai.onnx.proto.OnnxMl.TensorProto.DataType;

import java.util.List;

import static dev.dfd.graph.OnnxBuilder.attr;

/**
 * Dynamic int8 quantisation of {@code x @ W} (W as (in, out)): x to uint8 per tensor at run time
 * (DynamicQuantizeLinear), W to int8 symmetric per output column, int32 accumulation (MatMulInteger), rescaled by
 * x_scale * w_scale[column]. ONNX Runtime's CPU provider fuses the pattern into DynamicQuantizeMatMul.
 */
public final class Int8MatMul {
    private final OnnxBuilder g;
    private final int qmax;

    /** @param reduceRange 7-bit weights, for AVX2 CPUs without VNNI whose u8 x s8 kernels can saturate */
    public Int8MatMul(OnnxBuilder g, boolean reduceRange) {
        this.g = g;
        this.qmax = reduceRange ? 63 : 127;
    }

    public String apply(String x, String name, float[] t, int in, int out) {
        float[] scale = new float[out];
        byte[] q = new byte[in * out];
        for (int o = 0; o < out; o++) {
            float max = 0;
            for (int i = 0; i < in; i++) {
                max = Math.max(max, Math.abs(t[i * out + o]));
            }
            scale[o] = max == 0 ? 1f : max / qmax;
            for (int i = 0; i < in; i++) {
                q[i * out + o] = (byte) Math.max(-qmax, Math.min(qmax, Math.round(t[i * out + o] / scale[o])));
            }
        }
        String xq = g.fresh("x_quant");
        String xScale = g.fresh("x_scale");
        String xZero = g.fresh("x_zero_point");
        g.nodeWithOutputs("DynamicQuantizeLinear", List.of(x), List.of(xq, xScale, xZero));
        String acc = g.node("MatMulInteger", "matmul_int", List.of(xq, g.int8s(name + ".weight_t_quantized", q, in, out),
                xZero, g.int8s(name + ".weight_zero_point", new byte[out], out)));
        String f = g.node("Cast", "matmul_float", List.of(acc), attr("to", (long) DataType.FLOAT.getNumber()));
        String s = g.node("Mul", "matmul_scale", List.of(xScale, g.floats(name + ".weight_scale", scale, out)));
        return g.node("Mul", "matmul_dequant", List.of(f, s));
    }
}
