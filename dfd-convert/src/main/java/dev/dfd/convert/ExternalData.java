package dev.dfd.convert;

import ai.onnx.proto.OnnxMl;
import ai.onnx.proto.OnnxMl.GraphProto;
import ai.onnx.proto.OnnxMl.TensorProto;
import com.google.protobuf.ByteString;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Locale;

/**
 * ONNX's external data layout: the graph in {@code model.onnx}, the large weights' raw bytes in {@code model.onnx_data}
 * beside it (the name Optimum and transformers.js use). ONNX Runtime memory-maps that file instead of parsing and
 * copying the weights out of a protobuf, which is what makes a ViT-base session open in about 1.5 s instead of 4 s,
 * and with about 200 MB less resident memory (measured in the #7 note).
 *
 * <p>Each tensor starts at a multiple of 4096 bytes: page-aligned in the mapping on Linux x86-64 (4 KiB pages).
 */
public final class ExternalData {
    /** When to write external data. */
    public enum Mode {
        /** when the weights are larger than {@link #AUTO_MIN_BYTES} */
        AUTO,
        ALWAYS,
        NEVER;

        public static Mode parse(String s) {
            return switch (s.toLowerCase(Locale.ROOT)) {
                case "auto" -> AUTO;
                case "always", "yes", "on" -> ALWAYS;
                case "never", "no", "off" -> NEVER;
                default -> throw new IllegalArgumentException("unknown external-data mode '" + s
                        + "', expected auto, always or never");
            };
        }
    }

    /** AUTO writes external data above this many bytes of weights (ViT-base: 343 MB; the default CNN: 5 MB). */
    public static final long AUTO_MIN_BYTES = 64L << 20;
    /** Initializers smaller than this stay inside the .onnx file (shapes, scalars, biases of tiny models). */
    static final int MIN_TENSOR_BYTES = 1024;
    static final int ALIGNMENT = 4096;

    private ExternalData() {
    }

    /** {@code model.onnx} -> {@code model.onnx_data}. */
    public static String dataFileName(String onnxFileName) {
        return onnxFileName + "_data";
    }

    /** Bytes of raw initializer data in a model. */
    static long weightBytes(OnnxMl.ModelProto model) {
        long total = 0;
        for (TensorProto t : model.getGraph().getInitializerList()) {
            total += t.getRawData().size();
        }
        return total;
    }

    static boolean wanted(Mode mode, OnnxMl.ModelProto model) {
        return switch (mode) {
            case ALWAYS -> true;
            case NEVER -> false;
            case AUTO -> weightBytes(model) > AUTO_MIN_BYTES;
        };
    }

    /**
     * Writes the raw bytes of every initializer of at least {@link #MIN_TENSOR_BYTES} to {@code dataFile} and
     * returns the model with those initializers pointing there. {@code location} is the name the model records (a
     * path relative to the .onnx file, as the ONNX spec requires), normally the final name of {@code dataFile}.
     */
    static OnnxMl.ModelProto externalize(OnnxMl.ModelProto model, Path dataFile, String location) throws IOException {
        GraphProto.Builder graph = model.getGraph().toBuilder();
        try (FileChannel out = FileChannel.open(dataFile, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
                StandardOpenOption.TRUNCATE_EXISTING)) {
            long end = 0;
            ByteBuffer zeros = ByteBuffer.allocate(ALIGNMENT);
            for (int i = 0; i < graph.getInitializerCount(); i++) {
                TensorProto t = graph.getInitializer(i);
                ByteString raw = t.getRawData();
                if (raw.size() < MIN_TENSOR_BYTES) {
                    continue;
                }
                long offset = (end + ALIGNMENT - 1) / ALIGNMENT * ALIGNMENT;
                // explicit zero padding rather than a sparse hole, so copies of the file are byte-identical
                zeros.clear().limit((int) (offset - end));
                writeFully(out, zeros);
                for (ByteBuffer b : raw.asReadOnlyByteBufferList()) {
                    writeFully(out, b);
                }
                end = offset + raw.size();
                graph.setInitializer(i, t.toBuilder().clearRawData()
                        .setDataLocation(TensorProto.DataLocation.EXTERNAL)
                        .addExternalData(entry("location", location))
                        .addExternalData(entry("offset", Long.toString(offset)))
                        .addExternalData(entry("length", Integer.toString(raw.size()))));
            }
        }
        return model.toBuilder().setGraph(graph).build();
    }

    private static void writeFully(FileChannel out, ByteBuffer b) throws IOException {
        while (b.hasRemaining()) {
            out.write(b);
        }
    }

    private static OnnxMl.StringStringEntryProto entry(String key, String value) {
        return OnnxMl.StringStringEntryProto.newBuilder().setKey(key).setValue(value).build();
    }
}
