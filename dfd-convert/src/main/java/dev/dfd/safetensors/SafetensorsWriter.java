package dev.dfd.safetensors;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.dfd.DfdException;
import dev.dfd.internal.Json;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.TreeMap;

/**
 * Writes float32 tensors as a safetensors file that transformers reads: header JSON padded with spaces to a
 * multiple of 8 bytes, tensors in name order, contiguous, little-endian.
 */
public final class SafetensorsWriter {
    private SafetensorsWriter() {
    }

    /** A tensor to write: float32 values, row-major, with their shape. */
    public record FloatTensor(float[] values, long... shape) {
        public FloatTensor {
            long n = 1;
            for (long d : shape) {
                n *= d;
            }
            if (n != values.length) {
                throw new IllegalArgumentException("shape needs " + n + " values, got " + values.length);
            }
        }
    }

    public static void write(Path file, Map<String, FloatTensor> tensors, Map<String, String> metadata) {
        write(file, tensors, Map.of(), metadata);
    }

    /** As above, plus int64 scalars (shape []), such as BatchNorm's num_batches_tracked. */
    public static void write(Path file, Map<String, FloatTensor> tensors, Map<String, Long> int64Scalars,
                             Map<String, String> metadata) {
        Map<String, FloatTensor> sorted = new TreeMap<>(tensors);
        Map<String, Long> longs = new TreeMap<>(int64Scalars);
        ObjectNode header = Json.MAPPER.createObjectNode();
        if (metadata != null && !metadata.isEmpty()) {
            ObjectNode m = header.putObject("__metadata__");
            metadata.forEach(m::put);
        }
        long offset = 0;
        for (Map.Entry<String, FloatTensor> e : sorted.entrySet()) {
            ObjectNode t = header.putObject(e.getKey());
            t.put("dtype", "F32");
            var shape = t.putArray("shape");
            for (long d : e.getValue().shape()) {
                shape.add(d);
            }
            long bytes = 4L * e.getValue().values().length;
            t.putArray("data_offsets").add(offset).add(offset + bytes);
            offset += bytes;
        }
        for (Map.Entry<String, Long> e : longs.entrySet()) {
            ObjectNode t = header.putObject(e.getKey());
            t.put("dtype", "I64");
            t.putArray("shape");
            t.putArray("data_offsets").add(offset).add(offset + 8);
            offset += 8;
        }
        byte[] json = Json.write(header).getBytes(StandardCharsets.UTF_8);
        int padded = (json.length + 7) / 8 * 8;
        try (OutputStream out = new java.io.BufferedOutputStream(Files.newOutputStream(file), 1 << 20)) {
            ByteBuffer len = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putLong(padded);
            out.write(len.array());
            out.write(json);
            out.write(" ".repeat(padded - json.length).getBytes(StandardCharsets.US_ASCII));
            ByteBuffer buf = ByteBuffer.allocate(1 << 16).order(ByteOrder.LITTLE_ENDIAN);
            for (FloatTensor t : sorted.values()) {
                for (float v : t.values()) {
                    if (buf.remaining() < 4) {
                        out.write(buf.array(), 0, buf.position());
                        buf.clear();
                    }
                    buf.putFloat(v);
                }
            }
            for (long v : longs.values()) {
                if (buf.remaining() < 8) {
                    out.write(buf.array(), 0, buf.position());
                    buf.clear();
                }
                buf.putLong(v);
            }
            out.write(buf.array(), 0, buf.position());
        } catch (IOException e) {
            throw new DfdException(file + ": cannot write (" + e.getMessage() + ")");
        }
    }
}
