package dev.dfd.convert.tfjs;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.dfd.DfdException;
import dev.dfd.internal.Json;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A TensorFlow.js graph model (the {@code tfjs-converter}'s {@code model.json} with {@code format: graph-model}) read
 * into nodes and float weights: the weights manifest's shards are concatenated in order, each weight taking
 * {@code product(shape) x bytes} of its stored type; float16 weights and uint8/uint16 affine-quantised ones
 * ({@code value = q * scale + min}) are widened to float32.
 */
public final class TfjsGraph {
    /** Bytes of model.json and of the weight shards together that are read at most. */
    public static final long MAX_BYTES = 1L << 30;

    /** One node: its inputs without output indices ({@code name:1} -> {@code name}) and control inputs dropped. */
    public record Node(String name, String op, List<String> inputs, ObjectNode attr) {
        /** A list-of-ints attribute ({@code strides}, {@code dilations}), or null. */
        long[] ints(String key) {
            JsonNode list = attr.path(key).path("list").path("i");
            if (!list.isArray()) {
                return null;
            }
            long[] out = new long[list.size()];
            for (int i = 0; i < out.length; i++) {
                out[i] = list.get(i).asLong();
            }
            return out;
        }

        /** A string attribute (stored base64-encoded), or null. */
        String string(String key) {
            JsonNode s = attr.path(key).path("s");
            return s.isTextual() ? new String(Base64.getDecoder().decode(s.asText()), StandardCharsets.UTF_8) : null;
        }

        /** A list-of-strings attribute ({@code fused_ops}), empty when absent. */
        List<String> strings(String key) {
            List<String> out = new ArrayList<>();
            for (JsonNode s : attr.path(key).path("list").path("s")) {
                out.add(new String(Base64.getDecoder().decode(s.asText()), StandardCharsets.UTF_8));
            }
            return out;
        }
    }

    /** A weight: float32 values in TensorFlow's layout (row-major over {@code shape}). */
    public record Tensor(float[] values, long[] shape) {
    }

    private final Path file;
    private final Map<String, Node> nodes = new LinkedHashMap<>();
    private final Map<String, Tensor> weights = new HashMap<>();
    private final Map<String, List<Node>> consumers = new HashMap<>();

    private TfjsGraph(Path file) {
        this.file = file;
    }

    public Path file() {
        return file;
    }

    /** Reads model.json and the weight files it names (beside it). Errors are one line naming the file. */
    public static TfjsGraph read(Path modelJson) {
        TfjsGraph g = new TfjsGraph(modelJson);
        try {
            if (Files.size(modelJson) > MAX_BYTES) {
                throw new DfdException(modelJson + ": larger than " + MAX_BYTES + " bytes");
            }
        } catch (IOException e) {
            throw new DfdException(modelJson + ": cannot read (" + e.getMessage() + ")");
        }
        ObjectNode root = Json.readObject(modelJson);
        String format = root.path("format").asText("graph-model");
        if (!format.equals("graph-model")) {
            throw new DfdException(modelJson + ": format \"" + format + "\" is not a TensorFlow.js graph model (a"
                    + " layers-model must first go through tensorflowjs_converter --output_format tfjs_graph_model)");
        }
        JsonNode nodeList = root.path("modelTopology").path("node");
        if (!nodeList.isArray() || nodeList.isEmpty()) {
            throw new DfdException(modelJson + ": no modelTopology.node list (not a TensorFlow.js graph model)");
        }
        for (JsonNode n : nodeList) {
            List<String> inputs = new ArrayList<>();
            for (JsonNode in : n.path("input")) {
                String s = in.asText();
                if (s.startsWith("^")) {
                    continue; // a control dependency carries no data
                }
                int colon = s.indexOf(':');
                inputs.add(colon < 0 ? s : s.substring(0, colon));
            }
            ObjectNode attr = n.path("attr").isObject() ? (ObjectNode) n.get("attr") : Json.MAPPER.createObjectNode();
            Node node = new Node(n.path("name").asText(), n.path("op").asText(), inputs, attr);
            g.nodes.put(node.name(), node);
        }
        for (Node n : g.nodes.values()) {
            for (String in : n.inputs()) {
                g.consumers.computeIfAbsent(in, k -> new ArrayList<>()).add(n);
            }
        }
        g.readWeights(root.path("weightsManifest"), modelJson.toAbsolutePath().normalize().getParent());
        return g;
    }

    private void readWeights(JsonNode manifest, Path dir) {
        long total = 0;
        for (JsonNode group : manifest) {
            ByteBuffer bytes;
            try {
                List<byte[]> shards = new ArrayList<>();
                int size = 0;
                for (JsonNode p : group.path("paths")) {
                    Path shard = dir.resolve(p.asText()).normalize();
                    if (!shard.startsWith(dir)) {
                        throw new DfdException(file + ": weight path " + p.asText() + " leaves the model's folder");
                    }
                    total += Files.size(shard);
                    if (total > MAX_BYTES) {
                        throw new DfdException(file + ": weight files larger than " + MAX_BYTES + " bytes");
                    }
                    byte[] b = Files.readAllBytes(shard);
                    shards.add(b);
                    size += b.length;
                }
                bytes = ByteBuffer.allocate(size).order(ByteOrder.LITTLE_ENDIAN);
                shards.forEach(bytes::put);
                bytes.flip();
            } catch (IOException e) {
                throw new DfdException(file + ": cannot read a weight file (" + e.getMessage() + ")");
            }
            for (JsonNode w : group.path("weights")) {
                String name = w.path("name").asText();
                long[] shape = new long[w.path("shape").size()];
                long count = 1;
                for (int i = 0; i < shape.length; i++) {
                    shape[i] = w.path("shape").get(i).asLong();
                    count *= shape[i];
                }
                String dtype = w.path("dtype").asText();
                JsonNode q = w.path("quantization");
                String stored = q.isObject() ? q.path("dtype").asText() : dtype;
                int width = switch (stored) {
                    case "float32", "int32" -> 4;
                    case "float16", "uint16" -> 2;
                    case "uint8" -> 1;
                    default -> throw new DfdException(file + ": weight " + name + " is stored as " + stored
                            + ", which dfd does not read (float32, int32, float16, uint8, uint16)");
                };
                if (count * width > bytes.remaining()) {
                    throw new DfdException(file + ": the weight files end inside weight " + name + " ("
                            + bytes.remaining() + " bytes left, " + count * width + " needed)");
                }
                float[] v = new float[(int) count];
                double scale = q.path("scale").asDouble(1);
                double min = q.path("min").asDouble(0);
                for (int i = 0; i < v.length; i++) {
                    v[i] = switch (stored) {
                        case "float32" -> bytes.getFloat();
                        case "int32" -> bytes.getInt();
                        case "float16" -> dev.dfd.internal.model.Half.toFloat(bytes.getShort());
                        case "uint16" -> (float) ((bytes.getShort() & 0xffff) * scale + min);
                        default -> (float) ((bytes.get() & 0xff) * scale + min);
                    };
                }
                weights.put(name, new Tensor(v, shape));
            }
        }
    }

    public Map<String, Node> nodes() {
        return nodes;
    }

    public Node node(String name) {
        Node n = nodes.get(name);
        if (n == null) {
            throw new DfdException(file + ": no node named " + name);
        }
        return n;
    }

    /** The nodes that read this node's output. */
    public List<Node> consumers(String name) {
        return consumers.getOrDefault(name, List.of());
    }

    /** A Const node's value, or null when the node is not a constant with stored weights. */
    public Tensor constant(String name) {
        Node n = nodes.get(name);
        return n != null && n.op().equals("Const") ? weights.get(name) : null;
    }
}
