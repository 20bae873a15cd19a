package dev.dfd.cli;

import dev.dfd.optimize.GraphOptimizer;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;

@Command(name = "optimize", mixinStandardHelpOptions = true, versionProvider = Main.Version.class,
        usageHelpAutoWidth = true,
        description = {"Fuse a transformer's fp32 ONNX graph into ONNX Runtime's contrib operators: multi-head"
                + " attention into Attention, residual Add + LayerNorm into SkipLayerNormalization, the erf GELU"
                + " (with its bias) into BiasGelu. Only exact matches are fused; the result is checked against the"
                + " original graph (logits within 1e-4) before it is kept.",
                "Writes onnx/model_optimized.onnx beside the model's model.onnx (run it with --variant optimized)."})
final class OptimizeCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Parameters(index = "0", paramLabel = "MODEL_DIR", description = "The model directory (or its .onnx file).")
    Path model;

    @Option(names = {"-o", "--output"}, paramLabel = "FILE",
            description = "Where to write the optimised graph. Default: onnx/model_optimized.onnx beside the model.")
    Path output;

    @Option(names = "--fusions", paramLabel = "LIST", defaultValue = "all",
            description = "attention, layernorm, skiplayernorm, gelu (comma-separated) or all; skiplayernorm"
                    + " includes layernorm (a LayerNorm exported step by step, into one node)."
                    + " Default: ${DEFAULT-VALUE}.")
    String fusions;

    @Override
    public Integer call() {
        long start = System.nanoTime();
        GraphOptimizer.Result r = GraphOptimizer.optimize(model, output, GraphOptimizer.Kind.parse(fusions));
        PrintWriter err = spec.commandLine().getErr();
        for (Map.Entry<String, Integer> e : r.fused().entrySet()) {
            err.printf(Locale.ROOT, "%-24s %d%n", e.getKey(), e.getValue());
        }
        if (r.onnx() == null) {
            err.println("no fusion applies to " + r.source() + "; nothing written");
        } else {
            err.printf(Locale.ROOT, "wrote %s%s (%.1f MB; max logit difference to %s %.1e) in %.1f s%n", r.onnx(),
                    r.externalData() == null ? "" : " + " + r.externalData().getFileName(), r.bytes() / 1e6,
                    r.source().getFileName(), r.maxDifference(), (System.nanoTime() - start) / 1e9);
        }
        err.flush();
        return Main.OK;
    }
}
