package dev.dfd.family;

import dev.dfd.graph.Q4Options;
import dev.dfd.graph.WeightEncoding;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * How to export: weight encoding, input size and what goes into the ONNX metadata.
 *
 * @param encoding        fp32, fp16, int8, q4 or q4f16 weights
 * @param reduceRange     int8 only: 7-bit weights for AVX2 CPUs without VNNI
 * @param q4              q4 and q4f16 only: block size, symmetry, accuracy level
 * @param height          input height, or -1 for a symbolic dimension
 * @param width           input width, or -1 for a symbolic dimension
 * @param producerVersion the dfd version, as the ONNX producer version
 * @param metadata        ONNX metadata properties (provenance)
 */
public record ExportSettings(WeightEncoding encoding, boolean reduceRange, Q4Options q4, int height, int width,
                             String producerVersion, Map<String, String> metadata) {
    public ExportSettings {
        metadata = Collections.unmodifiableMap(new LinkedHashMap<>(metadata)); // in order: the ONNX bytes follow it
        if (q4 == null) {
            q4 = Q4Options.DEFAULT;
        }
    }

    /** With the default 4-bit settings (block size 32, symmetric). */
    public ExportSettings(WeightEncoding encoding, boolean reduceRange, int height, int width, String producerVersion,
                          Map<String, String> metadata) {
        this(encoding, reduceRange, Q4Options.DEFAULT, height, width, producerVersion, metadata);
    }
}
