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

    @Override
    public String name() {
        return "fusions-" + Dfd.version();
    }
}
