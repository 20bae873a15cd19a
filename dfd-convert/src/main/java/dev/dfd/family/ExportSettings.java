package dev.dfd.family;

import dev.dfd.graph.WeightEncoding;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * How to export: weight encoding, input size and what goes into the ONNX metadata.
 *
 * @param encoding        fp32, fp16 or int8 weights
 * @param reduceRange     int8 only: 7-bit weights for AVX2 CPUs without VNNI
 * @param height          input height, or -1 for a symbolic dimension
 * @param width           input width, or -1 for a symbolic dimension
 * @param producerVersion the dfd version, as the ONNX producer version
 * @param metadata        ONNX metadata properties (provenance)
 */
public record ExportSettings(WeightEncoding encoding, boolean reduceRange, int height, int width,
                             String producerVersion, Map<String, String> metadata) {
    public ExportSettings {
        metadata = Collections.unmodifiableMap(new LinkedHashMap<>(metadata)); // in order: the ONNX bytes follow it
    }
}
