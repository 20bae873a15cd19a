package dev.dfd.safetensors;

import dev.dfd.DfdException;

import java.util.Arrays;
import java.util.Map;

/** Named float tensors: a safetensors file, a set of shards, or weights held in memory. */
public interface TensorSource {
    Map<String, TensorInfo> tensors();

    /** The tensor's values as float32, row-major. */
    float[] floats(String name);

    default boolean has(String name) {
        return tensors().containsKey(name);
    }

    default long[] shape(String name) {
        TensorInfo t = tensors().get(name);
        if (t == null) {
            throw new DfdException("missing weight " + name);
        }
        return t.shape();
    }

    /** The tensor, checked to have exactly this shape. */
    default float[] floats(String name, long... expectedShape) {
        long[] shape = shape(name);
        if (!Arrays.equals(shape, expectedShape)) {
            throw new DfdException("weight " + name + " has shape " + Arrays.toString(shape) + ", expected "
                    + Arrays.toString(expectedShape) + " from config.json");
        }
        return floats(name);
    }
}
