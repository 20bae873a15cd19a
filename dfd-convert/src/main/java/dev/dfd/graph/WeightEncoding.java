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
     * (DynamicQuantizeLinear + MatMulInteger, which ONNX Runtime's CPU provider fuses). -> model_quantized.onnx
     */
    INT8("model_quantized.onnx");

    public final String fileName;

    WeightEncoding(String fileName) {
        this.fileName = fileName;
    }

    public static WeightEncoding parse(String s) {
        return switch (s.toLowerCase(Locale.ROOT)) {
            case "fp32", "float32" -> FP32;
            case "fp16", "float16" -> FP16;
            case "int8", "quantized", "q8" -> INT8;
            default -> throw new IllegalArgumentException("unknown dtype '" + s + "', expected fp32, fp16 or int8");
        };
    }

    public String id() {
        return name().toLowerCase(Locale.ROOT);
    }
}
