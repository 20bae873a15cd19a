package dev.dfd.graph;

import dev.dfd.DfdException;

/**
 * How {@link Q4MatMul} quantises a MatMul weight to 4 bits, as ONNX Runtime's {@code MatMulNBits} takes it.
 *
 * @param blockSize     weights per scale along K: a power of two, at least 16 (ONNX Runtime's requirement); 32 is
 *                      what transformers.js' q4 export and onnxruntime's {@code matmul_4bits_quantizer} use
 * @param symmetric     codes 0..15 around the implicit zero point 8 and no zero_points input (transformers.js' q4);
 *                      false: a zero point per block, for weights whose blocks are not centred on zero
 * @param accuracyLevel MatMulNBits' {@code accuracy_level}: 0 (unset) or 1 compute in float32 (the exact
 *                      dequantised product); 4 lets ONNX Runtime quantise the activations to int8 too (faster, less
 *                      exact)
 */
public record Q4Options(int blockSize, boolean symmetric, int accuracyLevel) {
    public static final Q4Options DEFAULT = new Q4Options(32, true, 0);

    public Q4Options {
        if (blockSize < 16 || Integer.bitCount(blockSize) != 1) {
            throw new DfdException("block size " + blockSize + ": expected a power of two, at least 16 (16, 32, 64,"
                    + " 128, ...)");
        }
        if (accuracyLevel < 0 || accuracyLevel > 4) {
            throw new DfdException("accuracy level " + accuracyLevel + ": expected 0 to 4");
        }
    }
}
