package dev.dfd;

/**
 * How a {@link Detector} loads and runs a model: the settings that need their own ONNX Runtime session (variant,
 * threads, prepacking), the run policy's knobs, the bounds on untrusted images, and the default {@link Decision} of
 * calls that give none. Zero means "choose": {@link RunPolicy#of} makes the choices, the same for every shell.
 *
 * <pre>{@code
 * DetectorOptions o = DetectorOptions.DEFAULTS.withVariant("int8").withExpectedImages(files.size())
 *         .withDecision(Decision.DEFAULT.withThreshold(0.9));
 * }</pre>
 *
 * @param variant        ONNX variant: null for onnx/model.onnx; quantized, fp16, int8, uint8... for
 *                       onnx/model_VARIANT.onnx
 * @param threads        ONNX Runtime threads in all, shared by the workers; 0 = one per core
 * @param workers        inference calls run at once by {@link Detector#detectAll} and the micro-batcher; 0 = auto
 * @param batchSize      images per inference call; 0 = auto (8, or 1 for models over 64 MiB)
 * @param prepack        whether ONNX Runtime prepacks the weights at load
 * @param decodeThreads  threads decoding and preprocessing ahead of inference; 0 = one per core
 * @param limits         bounds on untrusted images
 * @param expectedImages images the job will run, for the automatic choices; 0 = unknown or unbounded (a server)
 * @param decision       the decision of calls that pass none
 * @param maxFaces       faces judged per image at most, the most confident ones (when faces are on)
 * @param minFaceSize    faces smaller than this (box side, original pixels) are ignored; photos are also searched
 *                       in tiles until faces of this size are large enough for the face detector
 * @param optimizeGraph  run an fp32 transformer's graph with fused operators (Attention, SkipLayerNormalization,
 *                       BiasGelu), rewritten once and cached by the weights' sha256, when dfd-convert is on the class
 *                       path; the rewrite is checked against the original graph before it is used
 */
public record DetectorOptions(String variant, int threads, int workers, int batchSize, Prepack prepack,
                              int decodeThreads, DecodeLimits limits, long expectedImages, Decision decision,
                              int maxFaces, int minFaceSize, boolean optimizeGraph) {
    /** Every choice automatic, the model's default decision, up to 16 faces of 48 px and more. */
    public static final DetectorOptions DEFAULTS = new DetectorOptions(null, 0, 0, 0, Prepack.AUTO, 0,
            DecodeLimits.DEFAULT, 0, Decision.DEFAULT, 16, 48, true);

    /** When ONNX Runtime prepacks (re-lays out) the weights at load. */
    public enum Prepack {
        /** For jobs of more than {@link RunPolicy#PREPACK_MIN_IMAGES} images, servers and unknown job sizes. */
        AUTO,
        ALWAYS,
        NEVER;

        /** auto, always or never (yes/on and no/off too). */
        public static Prepack parse(String s) {
            return switch (s.trim().toLowerCase(java.util.Locale.ROOT)) {
                case "auto" -> AUTO;
                case "always", "yes", "on", "true" -> ALWAYS;
                case "never", "no", "off", "false" -> NEVER;
                default -> throw new DfdException("unknown prepack setting '" + s + "', expected auto, always or never");
            };
        }
    }

    public DetectorOptions {
        if (variant != null && variant.isBlank()) {
            variant = null;
        }
        if (threads < 0 || threads > 1024) {
            throw new DfdException("threads must be 0 (one per core) to 1024, got " + threads);
        }
        if (workers < 0 || workers > 64) {
            throw new DfdException("workers must be 0 (auto) to 64, got " + workers);
        }
        if (batchSize < 0 || batchSize > 4096) {
            throw new DfdException("batch size must be 0 (auto) to 4096, got " + batchSize);
        }
        if (decodeThreads < 0 || decodeThreads > 256) {
            throw new DfdException("decode threads must be 0 (one per core) to 256, got " + decodeThreads);
        }
        if (expectedImages < 0) {
            throw new DfdException("expected images must be >= 0, got " + expectedImages);
        }
        if (prepack == null) {
            prepack = Prepack.AUTO;
        }
        if (limits == null) {
            limits = DecodeLimits.DEFAULT;
        }
        if (decision == null) {
            decision = Decision.DEFAULT;
        }
        if (maxFaces < 1 || maxFaces > 1000) {
            throw new DfdException("max faces must be 1 to 1000, got " + maxFaces);
        }
        if (minFaceSize < 0 || minFaceSize > 100_000) {
            throw new DfdException("min face size must be 0 to 100000 px, got " + minFaceSize);
        }
    }

    public DetectorOptions withVariant(String v) {
        return new DetectorOptions(v, threads, workers, batchSize, prepack, decodeThreads, limits, expectedImages, decision, maxFaces, minFaceSize, optimizeGraph);
    }

    public DetectorOptions withThreads(int n) {
        return new DetectorOptions(variant, n, workers, batchSize, prepack, decodeThreads, limits, expectedImages, decision, maxFaces, minFaceSize, optimizeGraph);
    }

    public DetectorOptions withWorkers(int n) {
        return new DetectorOptions(variant, threads, n, batchSize, prepack, decodeThreads, limits, expectedImages, decision, maxFaces, minFaceSize, optimizeGraph);
    }

    public DetectorOptions withBatchSize(int n) {
        return new DetectorOptions(variant, threads, workers, n, prepack, decodeThreads, limits, expectedImages, decision, maxFaces, minFaceSize, optimizeGraph);
    }

    public DetectorOptions withPrepack(Prepack p) {
        return new DetectorOptions(variant, threads, workers, batchSize, p, decodeThreads, limits, expectedImages, decision, maxFaces, minFaceSize, optimizeGraph);
    }

    public DetectorOptions withDecodeThreads(int n) {
        return new DetectorOptions(variant, threads, workers, batchSize, prepack, n, limits, expectedImages, decision, maxFaces, minFaceSize, optimizeGraph);
    }

    public DetectorOptions withLimits(DecodeLimits l) {
        return new DetectorOptions(variant, threads, workers, batchSize, prepack, decodeThreads, l, expectedImages, decision, maxFaces, minFaceSize, optimizeGraph);
    }

    public DetectorOptions withExpectedImages(long n) {
        return new DetectorOptions(variant, threads, workers, batchSize, prepack, decodeThreads, limits, n, decision, maxFaces, minFaceSize, optimizeGraph);
    }

    public DetectorOptions withMaxFaces(int n) {
        return new DetectorOptions(variant, threads, workers, batchSize, prepack, decodeThreads, limits, expectedImages,
                decision, n, minFaceSize, optimizeGraph);
    }

    public DetectorOptions withMinFaceSize(int px) {
        return new DetectorOptions(variant, threads, workers, batchSize, prepack, decodeThreads, limits, expectedImages,
                decision, maxFaces, px, optimizeGraph);
    }

    public DetectorOptions withDecision(Decision d) {
        return new DetectorOptions(variant, threads, workers, batchSize, prepack, decodeThreads, limits, expectedImages, d, maxFaces, minFaceSize, optimizeGraph);
    }

    public DetectorOptions withOptimizeGraph(boolean on) {
        return new DetectorOptions(variant, threads, workers, batchSize, prepack, decodeThreads, limits, expectedImages,
                decision, maxFaces, minFaceSize, on);
    }
}
