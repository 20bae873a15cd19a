package dev.dfd.cli;

import dev.dfd.DetectorOptions;
import dev.dfd.Dfd;
import dev.dfd.DfdException;
import dev.dfd.RunPolicy;
import picocli.CommandLine.Option;

import java.nio.file.Path;

/**
 * Options that choose and open a model, shared by every command that runs one. They only fill
 * {@link DetectorOptions}: the automatic choices (0, auto) are made by the library's {@link RunPolicy}, the same for
 * every command, the server and Spark.
 */
final class ModelOptions {
    @Option(names = {"-m", "--model"}, paramLabel = "DIR",
            description = "Hugging Face model directory (config.json, preprocessor_config.json, onnx/model.onnx)"
                    + " or an .onnx file beside them. Default: the installed default model (models/default).")
    Path model;

    @Option(names = "--variant", paramLabel = "NAME",
            description = "ONNX variant, transformers.js' names: fp16, int8, uint8, quantized, q4, q4f16, bnb4"
                    + " (onnx/model_<NAME>.onnx; q4, q4f16 and bnb4 run through ONNX Runtime's MatMulNBits and"
                    + " MatMulBnb4). Default: model.onnx (fp32).")
    String variant;

    @Option(names = "--threads", paramLabel = "N", defaultValue = "0",
            description = "ONNX Runtime threads in all, shared by the inference workers; 0 = one per core (default).")
    int threads;

    @Option(names = "--workers", paramLabel = "W", defaultValue = "0",
            description = "Batches run at once (serve: inference threads), each with threads/W ONNX Runtime threads"
                    + " (rounded down, at least 1; W is capped at the thread count); 0 = auto: 2 when there are"
                    + " 2 or more threads and more than one batch of images, else 1. On 2 cores, 2 workers of 1"
                    + " thread ran 8-34%% more images/s than one of 2 threads.")
    int workers;

    @Option(names = "--prepack", paramLabel = "WHEN", defaultValue = "auto",
            description = "Let ONNX Runtime prepack the weights at load: ~15-30%% faster inference, but a slower"
                    + " load (ViT-base: +1.3 s, and the weights resident from the start). auto: for more than "
                    + RunPolicy.PREPACK_MIN_IMAGES + " images, and always when serving; always; never."
                    + " Default: ${DEFAULT-VALUE}.")
    String prepack;

    @Option(names = "--no-optimize",
            description = "Run the model's graph as it is. By default an fp32 transformer's graph is rewritten once"
                    + " with fused operators (Attention, SkipLayerNormalization, BiasGelu), checked against the"
                    + " original (logits within 1e-4) and cached by its sha256 in ~/.cache/dfd (DFD_CACHE).")
    boolean noOptimize;

    /**
     * The detector options for a job of {@code images} images (0: unknown or unbounded, as a server), with
     * {@code batchSize} and {@code decodeThreads} as given (0: auto).
     */
    DetectorOptions options(long images, int batchSize, int decodeThreads) {
        inRange("--threads", threads, 1024);
        inRange("--workers", workers, 64);
        inRange("--batch-size", batchSize, 4096);
        inRange("--decode-threads", decodeThreads, 256);
        DetectorOptions.Prepack when;
        try {
            when = DetectorOptions.Prepack.parse(prepack);
        } catch (DfdException e) {
            throw new DfdException("--prepack: unknown value '" + prepack + "', expected auto, always or never");
        }
        return DetectorOptions.DEFAULTS.withVariant(variant).withThreads(threads).withWorkers(workers)
                .withPrepack(when).withBatchSize(batchSize).withDecodeThreads(decodeThreads)
                .withExpectedImages(images).withOptimizeGraph(!noOptimize);
    }

    /** The option's value is 0 (auto) to max, else a usage error naming the option. */
    static void inRange(String option, int value, int max) {
        if (value < 0 || value > max) {
            throw new DfdException(option + " must be 0 (auto) to " + max + ", got " + value);
        }
    }

    Path modelDir() {
        return model != null ? model : Dfd.requireDefaultModel();
    }
}
