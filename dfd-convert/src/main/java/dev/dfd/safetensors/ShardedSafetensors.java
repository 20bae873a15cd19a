package dev.dfd.safetensors;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.dfd.DfdException;
import dev.dfd.internal.Json;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A checkpoint split across files by {@code model.safetensors.index.json} ({@code {"weight_map": {name: file}}}),
 * or a single {@code model.safetensors}; opened through {@link #open(Path)} on a model directory.
 */
public final class ShardedSafetensors implements TensorSource, AutoCloseable {
    private final List<SafetensorsFile> files;
    private final Map<String, SafetensorsFile> byTensor;
    private final Map<String, TensorInfo> tensors;

    private ShardedSafetensors(List<SafetensorsFile> files, Map<String, SafetensorsFile> byTensor) {
        this.files = files;
        this.byTensor = byTensor;
        Map<String, TensorInfo> t = new LinkedHashMap<>();
        byTensor.forEach((name, f) -> t.put(name, f.tensors().get(name)));
        this.tensors = Collections.unmodifiableMap(t);
    }

    /** Opens the weights of a model directory: model.safetensors, or the shards its index names. */
    public static ShardedSafetensors open(Path modelDir) {
        Path single = modelDir.resolve("model.safetensors");
        Path index = modelDir.resolve("model.safetensors.index.json");
        List<SafetensorsFile> opened = new ArrayList<>();
        Map<String, SafetensorsFile> byTensor = new LinkedHashMap<>();
        try {
            if (Files.isRegularFile(single)) {
                SafetensorsFile f = SafetensorsFile.open(single);
                opened.add(f);
                f.tensors().keySet().forEach(n -> byTensor.put(n, f));
            } else if (Files.isRegularFile(index)) {
                ObjectNode root = Json.readObject(index);
                JsonNode map = root.get("weight_map");
                if (map == null || !map.isObject()) {
                    throw new DfdException(index + ": expected {\"weight_map\": {tensor: file, ...}}");
                }
                Map<String, SafetensorsFile> shards = new LinkedHashMap<>();
                for (Iterator<Map.Entry<String, JsonNode>> it = map.fields(); it.hasNext(); ) {
                    Map.Entry<String, JsonNode> e = it.next();
                    String shardName = e.getValue().asText();
                    if (shardName.contains("/") || shardName.contains("\\") || shardName.startsWith(".")) {
                        throw new DfdException(index + ": shard name " + shardName + " must be a file in the directory");
                    }
                    SafetensorsFile shard = shards.computeIfAbsent(shardName, n -> {
                        SafetensorsFile f = SafetensorsFile.open(modelDir.resolve(n));
                        opened.add(f);
                        return f;
                    });
                    if (!shard.tensors().containsKey(e.getKey())) {
                        throw new DfdException(shard.file() + ": the index lists " + e.getKey() + " here but the file"
                                + " has no such tensor");
                    }
                    byTensor.put(e.getKey(), shard);
                }
            } else if (Files.exists(modelDir.resolve("pytorch_model.bin"))) {
                throw new DfdException(modelDir + ": has only pytorch_model.bin, a Python pickle, which dfd never"
                        + " loads because unpickling can run arbitrary code; get the model's model.safetensors");
            } else {
                throw new DfdException(modelDir + ": no model.safetensors or model.safetensors.index.json");
            }
            return new ShardedSafetensors(opened, byTensor);
        } catch (RuntimeException e) {
            opened.forEach(SafetensorsFile::close);
            throw e;
        }
    }

    @Override
    public Map<String, TensorInfo> tensors() {
        return tensors;
    }

    @Override
    public float[] floats(String name) {
        SafetensorsFile f = byTensor.get(name);
        if (f == null) {
            throw new DfdException("missing weight " + name);
        }
        return f.floats(name);
    }

    /** The files read, for provenance. */
    public List<Path> files() {
        return files.stream().map(SafetensorsFile::file).toList();
    }

    @Override
    public void close() {
        files.forEach(SafetensorsFile::close);
    }
}
