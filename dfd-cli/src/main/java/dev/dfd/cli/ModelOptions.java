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
            description = "ONNX Runtime threads in all, shared by the inference workers; 0 = one per core (default).")
    int threads;

    @Option(names = "--workers", paramLabel = "W", defaultValue = "0",
            description = "Batches run at once (serve: inference threads), each with threads/W ONNX Runtime threads"
                    + " (rounded down, at least 1; W is capped at the thread count); 0 = auto: 2 when there are"
                    + " 2 or more threads and more than one batch of images, else 1. On 2 cores, 2 workers of 1"
                    + " thread ran 8-34%% more images/s than one of 2 threads.")
    int workers;

    /** Above this many bytes of ONNX weights, auto batch size is 1 (ViT-base: 343 MB; the default CNN: 5 MB). */
    static final long AUTO_BATCH_ONE_ABOVE_BYTES = 64L << 20;

    /**
     * The batch size to use: {@code requested}, or for 0 (auto) 8, or 1 for a model over 64 MiB. Measured on 2 cores
     * (#7 note): ViT-base ran as fast at batch 1 as at 8 (2 workers: 11.2-11.9 s vs 11.6-12.0 s for 64 mixed images)
     * with 240 MB less peak RSS; the 5 MB default CNN gains from batching.
     */
    int batchSizeFor(int requested) {
        if (requested < 0) {
            throw new dev.dfd.DfdException("--batch-size must be 0 (auto) or more, got " + requested);
        }
        if (requested > 0) {
            return requested;
        }
        return dev.dfd.model.ModelFiles.locate(modelDir(), variant).weightBytes() > AUTO_BATCH_ONE_ABOVE_BYTES ? 1 : 8;
    }

    /** ONNX Runtime threads in all: --threads, or one per core. */
    int totalThreads() {
        return threads > 0 ? threads : Runtime.getRuntime().availableProcessors();
    }

    /**
     * Concurrent inference calls in detectAll: --workers, or 2 when there are at least 2 threads and the job has
     * more than one batch (one batch on one worker would leave the other threads idle).
     */
    int inferenceWorkers(long images, int batchSize) {
        if (workers < 0) {
            throw new dev.dfd.DfdException("--workers must be 0 (auto) or more, got " + workers);
        }
        int total = totalThreads();
        if (workers > 0) {
            return Math.min(workers, Math.max(1, total));
        }
        return total >= 2 && images > batchSize ? 2 : 1;
    }

    /** The thread settings of a batch job of {@code images} images: workers, each with its share of the threads. */
    dev.dfd.DetectorOptions applyThreads(dev.dfd.DetectorOptions options, long images) {
        int w = inferenceWorkers(images, options.batchSize());
        // one worker and no --threads: 0 lets ONNX Runtime pick (one per physical core), as before workers existed
        int intra = w == 1 && threads == 0 ? 0 : Math.max(1, totalThreads() / w);
        return options.withInferenceWorkers(w).withIntraOpThreads(intra);
    }

    /** auto prepacks only for jobs of more than this many images: below, the load costs more than it saves. */
    static final int AUTO_PREPACK_MIN_IMAGES = 48;

    @Option(names = "--prepack", paramLabel = "WHEN", defaultValue = "auto",
            description = "Let ONNX Runtime prepack the weights at load: ~15-30%% faster inference, but a slower"
                    + " load (ViT-base: +1.3 s, and the weights resident from the start). auto: for more than "
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
