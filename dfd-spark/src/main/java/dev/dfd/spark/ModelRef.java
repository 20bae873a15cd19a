package dev.dfd.spark;

import dev.dfd.Decision;
import dev.dfd.DecodeLimits;
import dev.dfd.DetectorOptions;
import dev.dfd.ScoreFunction;

import java.io.Serializable;

/**
 * What an executor needs to load the detector: where the model directory is and how to run it. Serialisable and
 * small: it travels with every task, the model itself does not (each executor JVM loads it once, see
 * {@link ExecutorModels}).
 *
 * @param uri            the model directory: a local path, or a Hadoop file-system URI (hdfs://, s3a://, file:)
 * @param variant        ONNX variant (null: model.onnx; "quantized", "fp16", ...)
 * @param intraOpThreads ONNX Runtime threads of the session; 1 by default, since an executor runs one task per core
 *                       and every task calls the shared session on its own thread (one inference worker each)
 * @param decodeThreads  decoding threads shared by the executor's tasks (0: one per available core)
 * @param batchSize      images per inference call inside a partition; 0 = auto (the library's {@link
 *                       dev.dfd.RunPolicy}: 8, or 1 for models over 64 MiB)
 * @param topK           labels kept in {@code predictions} (the fields from here to {@code threshold} are the call's
 *                       {@link Decision}: they do not need a session of their own)
 * @param function       score function id (null: the model's default)
 * @param positiveLabel  the label {@code score} is about (null: the model's default)
 * @param threshold      decision threshold on the positive score (null: argmax)
 * @param maxBytes       largest image file accepted
 * @param maxPixels      largest image (width x height) decoded
 */
public record ModelRef(String uri, String variant, int intraOpThreads, int decodeThreads, int batchSize, int topK,
                       String function, String positiveLabel, Double threshold, long maxBytes, long maxPixels)
        implements Serializable {
    public static ModelRef of(String uri) {
        return new ModelRef(uri, null, 1, 0, 0, Decision.DEFAULT_TOP_K, null, null, null,
                DecodeLimits.DEFAULT.maxBytes(), DecodeLimits.DEFAULT.maxPixels());
    }

    public ModelRef withVariant(String v) {
        return new ModelRef(uri, v, intraOpThreads, decodeThreads, batchSize, topK, function, positiveLabel, threshold,
                maxBytes, maxPixels);
    }

    public ModelRef withThreads(int intraOp, int decode) {
        return new ModelRef(uri, variant, intraOp, decode, batchSize, topK, function, positiveLabel, threshold,
                maxBytes, maxPixels);
    }

    public ModelRef withBatchSize(int n) {
        return new ModelRef(uri, variant, intraOpThreads, decodeThreads, n, topK, function, positiveLabel, threshold,
                maxBytes, maxPixels);
    }

    public ModelRef withDecision(int k, String fn, String positive, Double t) {
        return new ModelRef(uri, variant, intraOpThreads, decodeThreads, batchSize, k, fn, positive, t, maxBytes,
                maxPixels);
    }

    /** The session these settings need: the same settings without the decision, the key of a loaded detector. */
    ModelRef session() {
        return withDecision(Decision.DEFAULT_TOP_K, null, null, null);
    }

    /** The detector options these settings mean: one worker per task, the decision given per call. */
    DetectorOptions options() {
        return DetectorOptions.DEFAULTS.withVariant(variant).withThreads(intraOpThreads).withWorkers(1)
                .withBatchSize(batchSize).withDecodeThreads(decodeThreads)
                .withLimits(new DecodeLimits(maxBytes, maxPixels));
    }

    /** The decision of every image scored with these settings. */
    Decision decision() {
        return new Decision(topK, function == null ? null : ScoreFunction.parse(function), positiveLabel, threshold);
    }
}
