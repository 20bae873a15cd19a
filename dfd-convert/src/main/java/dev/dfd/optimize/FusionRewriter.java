package dev.dfd.optimize;

import dev.dfd.Dfd;
import dev.dfd.internal.model.GraphRewriter;
import dev.dfd.internal.model.ModelFiles;

import java.nio.file.Path;
import java.util.Map;

/**
 * {@link GraphOptimizer}'s fusions as the core's {@link GraphRewriter}: what {@code dfd optimize} writes, made at
 * load and kept in the graph cache. Registered in {@code META-INF/services}.
 */
public final class FusionRewriter implements GraphRewriter {
    @Override
    public Map<String, Integer> rewrite(ModelFiles files, Path output) {
        return GraphOptimizer.optimize(files.onnx(), output).fused();
    }

    /**
     * Raised whenever the fusions change what they match or write, so that a cache entry made by an earlier build of
     * the same dfd version (a snapshot) is not reused: 2 added the Hub-export patterns.
     */
    static final int REVISION = 2;

    @Override
    public String name() {
        return "fusions-r" + REVISION + "-" + Dfd.version();
    }
}
