package dev.dfd.graph;

import ai.onnx.proto.OnnxMl.AttributeProto;

import java.util.ArrayList;
import java.util.List;

import static dev.dfd.graph.OnnxBuilder.attr;

/**
 * Block-wise 4-bit quantisation of {@code x @ W} (W as (in, out) = (K, N)) as ONNX Runtime's contrib op
 * {@code com.microsoft::MatMulNBits} (bits = 4) takes it, the layout onnxruntime's {@code matmul_4bits_quantizer}
 * and transformers.js' q4 export write:
 * <pre>
 * B           uint8 (N, blocks, blockSize / 2)  column n's K weights in blocks of blockSize, two codes a byte,
 *                                              the even element in the low nibble; a short last block padded
 * scales      float (N * blocks)                scale of column n's block b at n * blocks + b
 * zero_points uint8 (N * ceil(blocks / 2))      asymmetric only: column n's block b at n * ceil(blocks / 2) + b / 2,
 *                                              even block in the low nibble; absent means 8 for every block
 * W[k][n] = (code - zero_point) * scale, blocks = ceil(K / blockSize)
 * </pre>
 * Quantisation follows MLAS' blockwise quantiser: symmetric, scale = (the block's value of largest magnitude) / -8
 * and zero point 8; asymmetric, the block's range widened to include 0, scale = (max - min) / 15, zero point
 * round(-min / scale); codes round(w / scale) + zero point clamped to 0..15.
 */
public final class Q4MatMul {
    private final OnnxBuilder g;
    private final Q4Options options;

    public Q4MatMul(OnnxBuilder g, Q4Options options) {
        this.g = g;
        this.options = options;
    }

    /**
     * One quantised weight.
     *
     * @param b          (N, blocks, blockSize / 2) packed codes
     * @param scales     (N * blocks)
     * @param zeroPoints (N * ceil(blocks / 2)) packed, or null for symmetric (8)
     */
    public record Packed(int k, int n, int blockSize, byte[] b, float[] scales, byte[] zeroPoints) {
        public int blocks() {
            return (k + blockSize - 1) / blockSize;
        }

        public int zeroPointBytesPerColumn() {
            return (blocks() + 1) / 2;
        }
    }

    /** Quantises t, (K, N) row-major, column by column in blocks along K. */
    public static Packed quantize(float[] t, int k, int n, Q4Options o) {
        int bs = o.blockSize();
        int blocks = (k + bs - 1) / bs;
        int zpBytes = (blocks + 1) / 2;
        byte[] b = new byte[n * blocks * bs / 2];
        float[] scales = new float[n * blocks];
        byte[] zp = o.symmetric() ? null : new byte[n * zpBytes];
        for (int col = 0; col < n; col++) {
            for (int blk = 0; blk < blocks; blk++) {
                int from = blk * bs;
                int to = Math.min(k, from + bs);
                float min = 0;
                float max = 0;
                float signedMax = 0; // the value of largest magnitude, with its sign
                for (int i = from; i < to; i++) {
                    float v = t[i * n + col];
                    min = Math.min(min, v);
                    max = Math.max(max, v);
                    if (Math.abs(v) > Math.abs(signedMax)) {
                        signedMax = v;
                    }
                }
                float scale;
                int zero;
                if (o.symmetric()) {
                    scale = signedMax / -8f;
                    zero = 8;
                } else {
                    scale = (max - min) / 15f;
                    float z = scale == 0 ? 0 : -min / scale;
                    zero = (int) Math.max(0, Math.min(15, roundHalfAway(z)));
                    zp[col * zpBytes + blk / 2] |= (byte) (blk % 2 == 0 ? zero : zero << 4);
                }
                scales[col * blocks + blk] = scale;
                float reciprocal = scale == 0 ? 0 : 1f / scale;
                int base = (col * blocks + blk) * bs / 2;
                for (int j = 0; j < bs; j++) {
                    int i = from + j;
                    int code = i < to ? (int) Math.max(0, Math.min(15, roundHalfAway(t[i * n + col] * reciprocal) + zero))
                            : zero; // padding: dequantises to 0
                    b[base + j / 2] |= (byte) (j % 2 == 0 ? code : code << 4);
                }
            }
        }
        return new Packed(k, n, bs, b, scales, zp);
    }

    /** C's roundf: halves away from zero, as MLAS rounds. */
    private static float roundHalfAway(float x) {
        return (float) (x >= 0 ? Math.floor(x + 0.5) : -Math.floor(-x + 0.5));
    }

    /** The weights MatMulNBits computes with: (K, N) row-major, {@code (code - zero_point) * scale}. */
    public static float[] dequantize(Packed p) {
        int blocks = p.blocks();
        float[] w = new float[p.k() * p.n()];
        for (int col = 0; col < p.n(); col++) {
            for (int i = 0; i < p.k(); i++) {
                int blk = i / p.blockSize();
                int j = i % p.blockSize();
                int packed = p.b()[(col * blocks + blk) * p.blockSize() / 2 + j / 2] & 0xff;
                int code = j % 2 == 0 ? packed & 0x0f : packed >>> 4;
                int zero = 8;
                if (p.zeroPoints() != null) {
                    int z = p.zeroPoints()[col * p.zeroPointBytesPerColumn() + blk / 2] & 0xff;
                    zero = blk % 2 == 0 ? z & 0x0f : z >>> 4;
                }
                w[i * p.n() + col] = (code - zero) * p.scales()[col * blocks + blk];
            }
        }
        return w;
    }

    /** Adds {@code x @ W} as a MatMulNBits node; x is float32 (..., K); returns (..., N). */
    public String apply(String x, String name, float[] t, int k, int n) {
        return node(g, x, name, quantize(t, k, n, options), options.accuracyLevel());
    }

    /** The MatMulNBits node of an already packed weight (tests build one-node graphs with it). */
    public static String node(OnnxBuilder g, String x, String name, Packed p, int accuracyLevel) {
        List<String> inputs = new ArrayList<>(List.of(x,
                g.uint8s(name + ".weight_q4", p.b(), p.n(), p.blocks(), p.blockSize() / 2),
                g.floats(name + ".weight_scales", p.scales(), (long) p.n() * p.blocks())));
        if (p.zeroPoints() != null) {
            inputs.add(g.uint8s(name + ".weight_zero_points", p.zeroPoints(), p.zeroPoints().length));
        }
        List<AttributeProto> attrs = new ArrayList<>(List.of(attr("K", (long) p.k()),
                attr("N", (long) p.n()), attr("bits", 4L), attr("block_size", (long) p.blockSize())));
        if (accuracyLevel != 0) {
            attrs.add(attr("accuracy_level", (long) accuracyLevel));
        }
        return g.contribNode("MatMulNBits", "matmul_q4", inputs, attrs.toArray(new AttributeProto[0]));
    }
}
