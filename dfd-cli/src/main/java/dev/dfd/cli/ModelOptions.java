package dev.dfd.cli;

import dev.dfd.Dfd;
import picocli.CommandLine.Option;

import java.nio.file.Path;

/** Options that choose and open a model, shared by every command that runs one. */
final class ModelOptions {
    @Option(names = {"-m", "--model"}, paramLabel = "DIR",
            description = "Hugging Face model directory (config.json, preprocessor_config.json, onnx/model.onnx)"
                    + " or an .onnx file beside them. Default: the installed default model (models/default).")
    Path model;

    @Option(names = "--variant", paramLabel = "NAME",
            description = "ONNX variant: quantized, fp16, int8, uint8 (onnx/model_<NAME>.onnx). Default: model.onnx.")
    String variant;

    @Option(names = "--threads", paramLabel = "N", defaultValue = "0",
            description = "ONNX Runtime intra-op threads; 0 = one per core (default).")
    int threads;

    Path modelDir() {
        return model != null ? model : Dfd.requireDefaultModel();
    }
}
