package dev.dfd.graph;

import java.util.Locale;

/** How an exported graph stores its weights. Inputs and outputs are float32 in every case. */
public enum WeightEncoding {
    /** float32 weights: the reference. -> onnx/model.onnx */
    FP32("model.onnx"),
    /** float16 weights, cast to float32 once when the session loads: half the file, same arithmetic. -> model_fp16.onnx */
    FP16("model_fp16.onnx"),
    /**
     * int8 weights of every MatMul, symmetric per output channel; activations quantised to uint8 at run time
     * (DynamicQuantizeLinear + MatMulInteger, which ONNX Runtime's CPU provider fuses); or, with calibration images,
     * static int8 of every convolution and MatMul of a CNN ({@link dev.dfd.quantize.QdqQuantizer}).
     * -> model_quantized.onnx
     */
    INT8("model_quantized.onnx"),
    /**
     * 4-bit weights of every MatMul, block-wise along K with a float scale per block (and a zero point per block
     * when asymmetric), run by ONNX Runtime's contrib op com.microsoft::MatMulNBits ({@link Q4MatMul}); every other
     * weight float32. -> model_q4.onnx
     */
    Q4("model_q4.onnx"),
    /** Q4's MatMuls, every other weight float16 as FP16 stores them. -> model_q4f16.onnx */
    Q4F16("model_q4f16.onnx");

    public final String fileName;

    WeightEncoding(String fileName) {
        this.fileName = fileName;
    }

    public static WeightEncoding parse(String s) {
        return switch (s.toLowerCase(Locale.ROOT)) {
            case "fp32", "float32" -> FP32;
            case "fp16", "float16" -> FP16;
            case "int8", "quantized", "q8" -> INT8;
            case "q4" -> Q4;
            case "q4f16" -> Q4F16;
            default -> throw new IllegalArgumentException("unknown dtype '" + s + "', expected fp32, fp16, int8, q4"
                    + " or q4f16");
        };
    }

    /** Whether weights outside the MatMuls are stored as float16. */
    public boolean halfWeights() {
        return this == FP16 || this == Q4F16;
    }

    /** Whether MatMul weights are 4-bit (MatMulNBits). */
    public boolean fourBit() {
        return this == Q4 || this == Q4F16;
    }

    public String id() {
        return name().toLowerCase(Locale.ROOT);
    }
}
