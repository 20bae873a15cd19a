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

    /** auto prepacks only for jobs of more than this many images: below, the load costs more than it saves. */
    static final int AUTO_PREPACK_MIN_IMAGES = 48;

    @Option(names = "--prepack", paramLabel = "WHEN", defaultValue = "auto",
            description = "Let ONNX Runtime prepack the weights at load: ~15-30%% faster inference, but a slower"
                    + " load (ViT-base: +1.3 s) and a second copy of the weights in memory. auto: for more than "
                    + AUTO_PREPACK_MIN_IMAGES + " images, and always when serving; always; never. Default: ${DEFAULT-VALUE}.")
    String prepack;

    /** Whether to prepack for a job of {@code images} images (Long.MAX_VALUE for a server or a benchmark). */
    boolean prepackFor(long images) {
        return switch (prepack.toLowerCase(java.util.Locale.ROOT)) {
            case "auto" -> images > AUTO_PREPACK_MIN_IMAGES;
            case "always", "yes", "on" -> true;
            case "never", "no", "off" -> false;
            default -> throw new dev.dfd.DfdException("--prepack: unknown value '" + prepack
                    + "', expected auto, always or never");
        };
    }

    Path modelDir() {
        return model != null ? model : Dfd.requireDefaultModel();
    }
}
