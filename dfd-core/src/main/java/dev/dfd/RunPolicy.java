package dev.dfd;

/**
 * How a job runs on this machine: the batch size, how many batches run at once and with how many ONNX Runtime
 * threads each, and whether ONNX Runtime prepacks the weights at load. Computed once, in the library, from the
 * {@link DetectorOptions} (where 0 and {@code AUTO} mean "choose"), the model's size and the job's size, so that
 * every shell (CLI, server, Spark, bench) runs a model the same way.
 *
 * <p>The automatic choices, measured on 2 cores (README, "Threads, workers and batches"):
 * <ul>
 *   <li>batch size 8, or 1 for models over 64 MiB of weights: ViT-base runs as fast at batch 1 and holds 240 MB
 *       less activation memory; the 5 MB default CNN gains from batching;</li>
 *   <li>2 workers of threads/2 ONNX Runtime threads when there are 2+ threads and more than one batch: on 2 cores,
 *       8-34% more images/s than one call of 2 threads (no intra-op spinning, both cores busy); otherwise 1 worker,
 *       with ONNX Runtime's own thread choice when no thread count was given;</li>
 *   <li>prepack for jobs of more than 48 images (and for servers and unknown job sizes): it makes inference 15-30%
 *       faster but costs ViT-base 1.3 s at load.</li>
 * </ul>
 *
 * <pre>{@code
 * try (Detector detector = Detector.load(Path.of("models/default"),
 *         DetectorOptions.DEFAULTS.withExpectedImages(10_000))) {
 *     System.out.println(detector.model().policy());   // e.g. batch 8, 2 workers x 1 thread, prepack
 * }
 * }</pre>
 *
 * @param batchSize        images per inference call
 * @param workers          inference calls run at once
 * @param threadsPerWorker ONNX Runtime intra-op threads of the session (each call uses them); 0 = ONNX Runtime's
 *                         choice (one per physical core)
 * @param prepack          whether ONNX Runtime prepacks the weights at load
 * @param decodeThreads    threads decoding and preprocessing ahead of inference
 */
public record RunPolicy(int batchSize, int workers, int threadsPerWorker, boolean prepack, int decodeThreads) {
    /** Above this many bytes of weights, auto batch size is 1 (ViT-base: 343 MB; the default CNN: 5 MB). */
    public static final long LARGE_MODEL_BYTES = 64L << 20;
    /** Auto prepacks only for jobs of more than this many images: below, the load costs more than it saves. */
    public static final int PREPACK_MIN_IMAGES = 48;

    public RunPolicy {
        if (batchSize < 1 || workers < 1 || threadsPerWorker < 0 || decodeThreads < 1) {
            throw new DfdException("run policy needs batch size, workers and decode threads >= 1, got " + batchSize
                    + ", " + workers + ", " + decodeThreads);
        }
    }

    /**
     * The policy for {@code options} on a machine of {@code cores} cores and a model of {@code weightBytes} bytes of
     * ONNX weights.
     */
    public static RunPolicy of(DetectorOptions options, long weightBytes, int cores) {
        int batch = options.batchSize() > 0 ? options.batchSize() : weightBytes > LARGE_MODEL_BYTES ? 1 : 8;
        long images = options.expectedImages() > 0 ? options.expectedImages() : Long.MAX_VALUE;
        int totalThreads = options.threads() > 0 ? options.threads() : cores;
        int workers;
        if (options.workers() > 0) {
            workers = Math.min(options.workers(), Math.max(1, totalThreads));
        } else {
            workers = totalThreads >= 2 && images > batch ? 2 : 1;
        }
        // one worker and no thread count: 0 lets ONNX Runtime pick (one per physical core)
        int perWorker = workers == 1 && options.threads() == 0 ? 0 : Math.max(1, totalThreads / workers);
        boolean prepack = switch (options.prepack()) {
            case ALWAYS -> true;
            case NEVER -> false;
            case AUTO -> images > PREPACK_MIN_IMAGES;
        };
        int decode = options.decodeThreads() > 0 ? options.decodeThreads() : cores;
        return new RunPolicy(batch, workers, perWorker, prepack, decode);
    }

    @Override
    public String toString() {
        return "batch " + batchSize + ", " + workers + " inference worker(s) x "
                + (threadsPerWorker == 0 ? "auto" : Integer.toString(threadsPerWorker)) + " ONNX Runtime thread(s), "
                + decodeThreads + " decode thread(s), prepacked " + prepack;
    }
}
