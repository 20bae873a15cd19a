package dev.dfd.train;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import dev.dfd.DfdException;
import dev.dfd.safetensors.TensorSource;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;

/**
 * A model's named tensors in transformers' naming: trainable parameters, and buffers (BatchNorm running statistics)
 * that are saved but not optimised. Every array lives in one NDManager owned by the model.
 */
final class Weights {
    private final NDManager manager;
    private final Map<String, NDArray> all = new LinkedHashMap<>();
    private final Set<String> buffers = new java.util.HashSet<>();

    Weights(NDManager manager) {
        this.manager = manager;
    }

    NDManager manager() {
        return manager;
    }

    NDArray param(String name, NDArray value) {
        value.setRequiresGradient(true);
        all.put(name, value);
        return value;
    }

    NDArray buffer(String name, NDArray value) {
        all.put(name, value);
        buffers.add(name);
        return value;
    }

    NDArray get(String name) {
        NDArray a = all.get(name);
        if (a == null) {
            throw new IllegalStateException("no weight " + name);
        }
        return a;
    }

    boolean isBuffer(String name) {
        return buffers.contains(name);
    }

    Map<String, NDArray> all() {
        return all;
    }

    /** Trainable parameters, in a stable order. */
    Map<String, NDArray> parameters() {
        Map<String, NDArray> p = new LinkedHashMap<>();
        all.forEach((k, v) -> {
            if (!buffers.contains(k)) {
                p.put(k, v);
            }
        });
        return p;
    }

    /**
     * Overwrites weights from a checkpoint, shape-checked. Names in {@code skip} keep their fresh values (a new
     * classifier head when the labels differ).
     *
     * @return names present in the model but absent from the checkpoint
     */
    java.util.List<String> load(TensorSource source, Set<String> skip) {
        java.util.List<String> missing = new java.util.ArrayList<>();
        for (Map.Entry<String, NDArray> e : all.entrySet()) {
            String name = e.getKey();
            if (skip.contains(name)) {
                continue;
            }
            if (!source.has(name)) {
                missing.add(name);
                continue;
            }
            NDArray target = e.getValue();
            long[] shape = source.shape(name);
            if (!new Shape(shape).equals(target.getShape())) {
                throw new DfdException("checkpoint weight " + name + " has shape " + new Shape(shape)
                        + ", the model expects " + target.getShape());
            }
            float[] values = source.floats(name);
            target.set(values);
        }
        return missing;
    }

    /** Current values as float32 arrays, for saving. */
    Map<String, float[]> snapshot() {
        Map<String, float[]> out = new LinkedHashMap<>();
        all.forEach((k, v) -> out.put(k, v.toType(ai.djl.ndarray.types.DataType.FLOAT32, false).toFloatArray()));
        return out;
    }
}
