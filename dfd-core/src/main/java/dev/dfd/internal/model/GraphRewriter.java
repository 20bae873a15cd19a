package dev.dfd.internal.model;

import java.nio.file.Path;
import java.util.Map;

/**
 * Rewrites a model's fp32 ONNX graph into a faster equivalent one (operator fusions), for {@link OptimizedGraphCache}.
 * The core has none of its own: {@code dfd-convert}'s graph optimizer registers itself through
 * {@link java.util.ServiceLoader} ({@code META-INF/services/dev.dfd.internal.model.GraphRewriter}), so without that
 * module on the class path models run as they are.
 */
public interface GraphRewriter {
    /**
     * Writes the rewritten graph of {@code files.onnx()} to {@code output} (its external data, if any, beside it
     * under the name the graph records) after checking it against the original. Returns the fusions made, by
     * operator; an empty map (or all zeros) when nothing applies, and then nothing is written.
     *
     * @throws dev.dfd.DfdException when the rewritten graph fails its check or cannot be written
     */
    Map<String, Integer> rewrite(ModelFiles files, Path output);

    /** A short name for messages and the cache record, with its version (a new version rewrites again). */
    String name();
}
