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

    public static boolean wanted(Mode mode, OnnxMl.ModelProto model) {
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
    public static OnnxMl.ModelProto externalize(OnnxMl.ModelProto model, Path dataFile, String location) throws IOException {
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

    /**
     * The model with every external initializer read back into {@code raw_data}, for rewriting a graph's weights
     * (dfd optimize). Locations are taken relative to {@code dir}, the .onnx file's directory, and must name a file
     * in it: a model file is untrusted input, and a location like {@code ../../secret} must not read outside.
     */
    public static OnnxMl.ModelProto inline(OnnxMl.ModelProto model, Path dir) throws IOException {
        GraphProto.Builder graph = model.getGraph().toBuilder();
        Path base = dir.toAbsolutePath().normalize();
        java.util.Map<Path, FileChannel> open = new java.util.HashMap<>();
        try {
            for (int i = 0; i < graph.getInitializerCount(); i++) {
                TensorProto t = graph.getInitializer(i);
                if (t.getDataLocation() != TensorProto.DataLocation.EXTERNAL) {
                    continue;
                }
                String location = null;
                long offset = 0;
                long length = -1;
                for (OnnxMl.StringStringEntryProto e : t.getExternalDataList()) {
                    switch (e.getKey()) {
                        case "location" -> location = e.getValue();
                        case "offset" -> offset = Long.parseLong(e.getValue());
                        case "length" -> length = Long.parseLong(e.getValue());
                        default -> { }
                    }
                }
                Path file = location == null ? null : base.resolve(location).normalize();
                if (file == null || !base.equals(file.getParent())) {
                    throw new IOException("initializer " + t.getName() + ": external data location '" + location
                            + "' is not a file beside the model");
                }
                FileChannel ch = open.get(file);
                if (ch == null) {
                    ch = FileChannel.open(file, StandardOpenOption.READ);
                    open.put(file, ch);
                }
                if (length < 0) {
                    length = ch.size() - offset;
                }
                if (offset < 0 || length > Integer.MAX_VALUE || offset + length > ch.size()) {
                    throw new IOException("initializer " + t.getName() + ": bytes " + offset + "+" + length
                            + " lie outside " + file.getFileName() + " (" + ch.size() + " bytes)");
                }
                ByteBuffer b = ByteBuffer.allocate((int) length);
                while (b.hasRemaining()) {
                    if (ch.read(b, offset + b.position()) < 0) {
                        throw new IOException(file.getFileName() + ": ended early");
                    }
                }
                b.flip();
                graph.setInitializer(i, t.toBuilder().clearExternalData().clearDataLocation()
                        .setRawData(com.google.protobuf.UnsafeByteOperations.unsafeWrap(b)));
            }
        } catch (NumberFormatException e) {
            throw new IOException("external data offset or length is not a number: " + e.getMessage());
        } finally {
            for (FileChannel ch : open.values()) {
                ch.close();
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
