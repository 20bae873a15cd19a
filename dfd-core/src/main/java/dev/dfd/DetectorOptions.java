package dev.dfd;

import dev.dfd.io.DecodeLimits;
import dev.dfd.postprocess.ScoreFunction;

/**
 * How a {@link Detector} runs. Use {@link #DEFAULTS} and the {@code with...} methods.
 *
 * @param variant        ONNX variant (null for model.onnx; quantized, fp16, int8, uint8 ...)
 * @param intraOpThreads ONNX Runtime threads per inference; 0 = one per core
 * @param batchSize      images per inference call
 * @param decodeThreads  threads decoding and preprocessing ahead of inference
 * @param topK           predictions listed per image (capped at the number of labels)
 * @param function       score function, null for the pipeline's default for this model
 * @param positiveLabel  the label the score/threshold are about, null to pick Fake/Deepfake/AI... or label 1
 * @param threshold      decide positive when its score >= threshold; null for argmax
 * @param limits         bounds on untrusted images
 * @param prepackWeights let ONNX Runtime re-lay out the MatMul weights when the model loads (its default): 15-30%
 *                       faster inference, but for ViT-base about 1.3 s more to load (the packed weights replace the
 *                       mapped ones, so peak memory is about the same); worth it from a few dozen images on (#7 note)
 * @param inferenceWorkers batches {@link Detector#detectAll} runs at once, each on its own thread with
 *                       {@code intraOpThreads} ONNX Runtime threads: on 2 cores, 2 workers of 1 thread ran 8-34% more
 *                       images/s than 1 call of 2 threads (ViT-base fp32/int8, the default CNN; #7 note)
 */
public record DetectorOptions(String variant, int intraOpThreads, int batchSize, int decodeThreads, int topK,
                              ScoreFunction function, String positiveLabel, Double threshold, DecodeLimits limits,
                              boolean prepackWeights, int inferenceWorkers) {
    public static final DetectorOptions DEFAULTS = new DetectorOptions(null, 0, 8,
            Runtime.getRuntime().availableProcessors(), 5, null, null, null, DecodeLimits.DEFAULT, true, 1);

    public DetectorOptions {
        if (intraOpThreads < 0) {
            throw new IllegalArgumentException("intra-op threads must be >= 0, got " + intraOpThreads);
        }
        if (batchSize < 1 || batchSize > 4096) {
            throw new IllegalArgumentException("batch size must be 1..4096, got " + batchSize);
        }
        if (decodeThreads < 1 || decodeThreads > 256) {
            throw new IllegalArgumentException("decode threads must be 1..256, got " + decodeThreads);
        }
        if (topK < 1) {
            throw new IllegalArgumentException("top-k must be at least 1, got " + topK);
        }
        if (threshold != null && (threshold.isNaN() || threshold.isInfinite())) {
            throw new IllegalArgumentException("threshold must be a finite number, got " + threshold);
        }
        if (limits == null) {
            throw new IllegalArgumentException("limits must not be null");
        }
        if (inferenceWorkers < 1 || inferenceWorkers > 64) {
            throw new IllegalArgumentException("inference workers must be 1..64, got " + inferenceWorkers);
        }
    }

    /** The options as they were before {@code prepackWeights} and {@code inferenceWorkers} (prepacked, one worker). */
    public DetectorOptions(String variant, int intraOpThreads, int batchSize, int decodeThreads, int topK,
                           ScoreFunction function, String positiveLabel, Double threshold, DecodeLimits limits) {
        this(variant, intraOpThreads, batchSize, decodeThreads, topK, function, positiveLabel, threshold, limits, true, 1);
    }

    public DetectorOptions withVariant(String v) {
        return new DetectorOptions(v, intraOpThreads, batchSize, decodeThreads, topK, function, positiveLabel, threshold, limits, prepackWeights, inferenceWorkers);
    }

    public DetectorOptions withIntraOpThreads(int n) {
        return new DetectorOptions(variant, n, batchSize, decodeThreads, topK, function, positiveLabel, threshold, limits, prepackWeights, inferenceWorkers);
    }

    public DetectorOptions withBatchSize(int n) {
        return new DetectorOptions(variant, intraOpThreads, n, decodeThreads, topK, function, positiveLabel, threshold, limits, prepackWeights, inferenceWorkers);
    }

    public DetectorOptions withDecodeThreads(int n) {
        return new DetectorOptions(variant, intraOpThreads, batchSize, n, topK, function, positiveLabel, threshold, limits, prepackWeights, inferenceWorkers);
    }

    public DetectorOptions withTopK(int k) {
        return new DetectorOptions(variant, intraOpThreads, batchSize, decodeThreads, k, function, positiveLabel, threshold, limits, prepackWeights, inferenceWorkers);
    }

    public DetectorOptions withFunction(ScoreFunction f) {
        return new DetectorOptions(variant, intraOpThreads, batchSize, decodeThreads, topK, f, positiveLabel, threshold, limits, prepackWeights, inferenceWorkers);
    }

    public DetectorOptions withPositiveLabel(String label) {
        return new DetectorOptions(variant, intraOpThreads, batchSize, decodeThreads, topK, function, label, threshold, limits, prepackWeights, inferenceWorkers);
    }

    public DetectorOptions withThreshold(Double t) {
        return new DetectorOptions(variant, intraOpThreads, batchSize, decodeThreads, topK, function, positiveLabel, t, limits, prepackWeights, inferenceWorkers);
    }

    public DetectorOptions withLimits(DecodeLimits l) {
        return new DetectorOptions(variant, intraOpThreads, batchSize, decodeThreads, topK, function, positiveLabel, threshold, l, prepackWeights, inferenceWorkers);
    }

    public DetectorOptions withPrepackWeights(boolean p) {
        return new DetectorOptions(variant, intraOpThreads, batchSize, decodeThreads, topK, function, positiveLabel, threshold, limits, p, inferenceWorkers);
    }

    public DetectorOptions withInferenceWorkers(int w) {
        return new DetectorOptions(variant, intraOpThreads, batchSize, decodeThreads, topK, function, positiveLabel, threshold, limits, prepackWeights, w);
    }
}
