package dev.dfd.quantize;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Which int8 kernels ONNX Runtime runs on this CPU. With VNNI (AVX-512 VNNI or AVX-VNNI) u8 x s8 products are summed
 * in int32; without it the AVX2 kernels add pairs of products in int16, which saturates with full 8-bit weights, and
 * 7-bit weights (`dfd convert --reduce-range`) are the documented remedy. The int8 tests quantise that way there, so
 * they check the quantiser, not the CPU.
 */
public final class Int8Kernels {
    /** Whether this CPU has VNNI int8 dot products (read from /proc/cpuinfo; assumed elsewhere). */
    public static final boolean VNNI = cpuFlags().matches("(?s).*\\b(avx512_vnni|avx_vnni)\\b.*");

    private Int8Kernels() {
    }

    /** Whether int8 weights should be kept to 7 bits here. */
    public static boolean reduceRange() {
        return !VNNI;
    }

    /** {@link QuantizationMath#INT8_MAX}, or {@link QuantizationMath#INT8_MAX_REDUCED} without VNNI. */
    public static int weightQmax() {
        return VNNI ? QuantizationMath.INT8_MAX : QuantizationMath.INT8_MAX_REDUCED;
    }

    private static String cpuFlags() {
        try {
            return Files.readString(Path.of("/proc/cpuinfo"));
        } catch (IOException | RuntimeException e) {
            return "avx512_vnni"; // not Linux: assume the int8 path the tolerances were measured on
        }
    }
}
