package dev.dfd.safetensors;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import dev.dfd.DfdException;
import dev.dfd.internal.Json;
import dev.dfd.internal.model.Half;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.MappedByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.StandardCharsets;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Comparator;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A safetensors file, validated before any tensor is read: the header length is bounded, the header is JSON of the
 * documented form, every tensor's dtype is known, its byte range lies inside the file, ranges do not overlap, and
 * each range is exactly product(shape) x dtype size. Tensors are read through memory maps, one tensor at a time,
 * so a 350 MB checkpoint never sits on the heap whole.
 */
public final class SafetensorsFile implements TensorSource, AutoCloseable {
    /** safetensors' own limit on the header. */
    public static final long MAX_HEADER_BYTES = 100_000_000L;

    private final Path file;
    private final FileChannel channel;
    private final long dataStart;
    private final Map<String, TensorInfo> tensors;
    private final Map<String, String> metadata;

    private SafetensorsFile(Path file, FileChannel channel, long dataStart, Map<String, TensorInfo> tensors,
                            Map<String, String> metadata) {
        this.file = file;
        this.channel = channel;
        this.dataStart = dataStart;
        this.tensors = tensors;
        this.metadata = metadata;
    }

    public static SafetensorsFile open(Path file) {
        String name = file.getFileName().toString();
        if (name.endsWith(".bin") || name.endsWith(".pt") || name.endsWith(".pth") || name.endsWith(".ckpt")) {
            throw new DfdException(file + ": a PyTorch pickle, which dfd never loads because unpickling can run"
                    + " arbitrary code; use the model's model.safetensors instead");
        }
        FileChannel ch;
        try {
            ch = FileChannel.open(file, StandardOpenOption.READ);
        } catch (NoSuchFileException e) {
            throw new DfdException(file + ": file not found");
        } catch (IOException e) {
            throw new DfdException(file + ": cannot open (" + e.getMessage() + ")");
        }
        try {
            return parse(file, ch);
        } catch (RuntimeException e) {
            closeQuietly(ch);
            throw e;
        }
    }

    private static SafetensorsFile parse(Path file, FileChannel ch) {
        try {
            long size = ch.size();
            if (size < 8) {
                throw bad(file, "truncated: " + size + " bytes, too short for the 8-byte header length");
            }
            ByteBuffer lengthBytes = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN);
            readFully(ch, lengthBytes, 0);
            long headerLength = lengthBytes.getLong(0);
            if (headerLength < 2 || headerLength > MAX_HEADER_BYTES) {
                throw bad(file, "header length " + Long.toUnsignedString(headerLength) + " is outside 2.."
                        + MAX_HEADER_BYTES);
            }
            if (8 + headerLength > size) {
                throw bad(file, "truncated: the header claims " + headerLength + " bytes but the file has "
                        + (size - 8) + " after the length");
            }
            ByteBuffer header = ByteBuffer.allocate((int) headerLength);
            readFully(ch, header, 8);
            String json;
            try {
                json = StandardCharsets.UTF_8.newDecoder().decode(header.flip()).toString();
            } catch (CharacterCodingException e) {
                throw bad(file, "header is not UTF-8");
            }
            JsonNode root;
            try {
                root = Json.MAPPER.readTree(json);
            } catch (JsonProcessingException e) {
                throw bad(file, "header is not valid JSON (" + e.getOriginalMessage() + ")");
            }
            if (root == null || !root.isObject()) {
                throw bad(file, "header must be a JSON object");
            }
            long dataStart = 8 + headerLength;
            long dataSize = size - dataStart;
            Map<String, TensorInfo> tensors = new LinkedHashMap<>();
            Map<String, String> metadata = new LinkedHashMap<>();
            for (Iterator<Map.Entry<String, JsonNode>> it = root.fields(); it.hasNext(); ) {
                Map.Entry<String, JsonNode> e = it.next();
                if (e.getKey().equals("__metadata__")) {
                    if (!e.getValue().isObject()) {
                        throw bad(file, "__metadata__ must be an object of strings");
                    }
                    e.getValue().fields().forEachRemaining(m -> metadata.put(m.getKey(), m.getValue().asText()));
                    continue;
                }
                tensors.put(e.getKey(), tensorInfo(file, e.getKey(), e.getValue(), dataSize));
            }
            checkNoOverlap(file, tensors);
            return new SafetensorsFile(file, ch, dataStart, Collections.unmodifiableMap(tensors),
                    Collections.unmodifiableMap(metadata));
        } catch (IOException e) {
            throw new DfdException(file + ": cannot read (" + e.getMessage() + ")");
        }
    }

    private static TensorInfo tensorInfo(Path file, String name, JsonNode n, long dataSize) {
        if (!n.isObject() || !n.path("dtype").isTextual() || !n.path("shape").isArray()
                || !n.path("data_offsets").isArray() || n.path("data_offsets").size() != 2) {
            throw bad(file, "tensor " + name + " needs dtype, shape and data_offsets [begin, end]");
        }
        Dtype dtype = Dtype.parse(n.get("dtype").asText());
        if (dtype == null) {
            throw bad(file, "tensor " + name + " has unknown dtype " + n.get("dtype").asText());
        }
        long[] shape = new long[n.get("shape").size()];
        for (int i = 0; i < shape.length; i++) {
            JsonNode d = n.get("shape").get(i);
            if (!d.canConvertToLong() || !d.isIntegralNumber() || d.asLong() < 0) {
                throw bad(file, "tensor " + name + " has an invalid shape " + n.get("shape"));
            }
            shape[i] = d.asLong();
        }
        JsonNode offsets = n.get("data_offsets");
        if (!offsets.get(0).isIntegralNumber() || !offsets.get(1).isIntegralNumber()) {
            throw bad(file, "tensor " + name + " has non-integer data_offsets " + offsets);
        }
        long begin = offsets.get(0).asLong();
        long end = offsets.get(1).asLong();
        if (begin < 0 || end < begin || end > dataSize) {
            throw bad(file, "tensor " + name + " has data_offsets " + offsets + " outside the data section of "
                    + dataSize + " bytes");
        }
        TensorInfo info = new TensorInfo(name, dtype, shape, begin, end);
        long expected;
        try {
            expected = Math.multiplyExact(info.elements(), dtype.bytes);
        } catch (ArithmeticException e) {
            throw bad(file, "tensor " + name + " has an impossible shape " + n.get("shape"));
        }
        if (end - begin != expected) {
            throw bad(file, "tensor " + name + " " + dtype + n.get("shape") + " needs " + expected + " bytes but"
                    + " data_offsets give " + (end - begin));
        }
        return info;
    }

    private static void checkNoOverlap(Path file, Map<String, TensorInfo> tensors) {
        List<TensorInfo> byStart = new ArrayList<>(tensors.values());
        byStart.sort(Comparator.comparingLong(TensorInfo::begin));
        for (int i = 1; i < byStart.size(); i++) {
            TensorInfo prev = byStart.get(i - 1);
            TensorInfo cur = byStart.get(i);
            if (cur.begin() < prev.end() && cur.end() > cur.begin()) {
                throw bad(file, "tensors " + prev.name() + " and " + cur.name() + " overlap");
            }
        }
    }

    private static DfdException bad(Path file, String why) {
        return new DfdException(file + ": not a valid safetensors file: " + why);
    }

    private static void readFully(FileChannel ch, ByteBuffer b, long position) throws IOException {
        while (b.hasRemaining()) {
            int n = ch.read(b, position + b.position());
            if (n < 0) {
                throw new IOException("unexpected end of file");
            }
        }
    }

    public Path file() {
        return file;
    }

    public Map<String, String> metadata() {
        return metadata;
    }

    @Override
    public Map<String, TensorInfo> tensors() {
        return tensors;
    }

    /** The raw little-endian bytes of a tensor, memory-mapped. */
    public ByteBuffer bytes(String name) {
        TensorInfo t = info(name);
        long length = t.end() - t.begin();
        if (length > Integer.MAX_VALUE) {
            throw new DfdException(file + ": tensor " + name + " is over 2 GiB");
        }
        try {
            MappedByteBuffer m = channel.map(FileChannel.MapMode.READ_ONLY, dataStart + t.begin(), length);
            return m.order(ByteOrder.LITTLE_ENDIAN);
        } catch (IOException e) {
            throw new DfdException(file + ": cannot map tensor " + name + " (" + e.getMessage() + ")");
        }
    }

    /** A floating-point tensor as float32 (F16 and BF16 widened exactly). */
    @Override
    public float[] floats(String name) {
        TensorInfo t = info(name);
        ByteBuffer b = bytes(name);
        float[] out = new float[Math.toIntExact(t.elements())];
        switch (t.dtype()) {
            case F32 -> b.asFloatBuffer().get(out);
            case F16 -> {
                for (int i = 0; i < out.length; i++) {
                    out[i] = Half.toFloat(b.getShort(2 * i));
                }
            }
            case BF16 -> {
                for (int i = 0; i < out.length; i++) {
                    out[i] = Float.intBitsToFloat((b.getShort(2 * i) & 0xFFFF) << 16);
                }
            }
            default -> throw new DfdException(file + ": tensor " + name + " is " + t.dtype()
                    + "; dfd reads F32, F16 and BF16 weights");
        }
        return out;
    }

    private TensorInfo info(String name) {
        TensorInfo t = tensors.get(name);
        if (t == null) {
            throw new DfdException(file + ": no tensor named " + name);
        }
        return t;
    }

    @Override
    public void close() {
        closeQuietly(channel);
    }

    private static void closeQuietly(FileChannel ch) {
        try {
            ch.close();
        } catch (IOException ignored) {
            // nothing useful to do: the file was only read
        }
    }
}
