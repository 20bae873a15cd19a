package dev.dfd.cli;

import dev.dfd.Decision;
import dev.dfd.DfdException;
import dev.dfd.ScoreFunction;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** How scores become a decision, shared by detect, eval and serve. */
final class DecisionOptions {
    @Option(names = "--positive", paramLabel = "LABEL",
            description = "The label the score and threshold are about. Default: the label that reads"
                    + " Fake/Deepfake/AI/Synthetic, else label 1.")
    String positive;

    @Option(names = "--threshold", paramLabel = "T",
            description = "Call an image positive when its positive-label score is >= T, a number in [0, 1]."
                    + " Default: the top label.")
    Double threshold;

    @Option(names = "--function", paramLabel = "F",
            description = "softmax, sigmoid or none. Default: as transformers' pipeline picks for the model.")
    String function;

    @Mixin
    FaceOptions face;

    /** {@code options} with the face limits given. */
    dev.dfd.DetectorOptions withFaceLimits(dev.dfd.DetectorOptions options) {
        return face.withFaceLimits(options);
    }

    /** The decision these options ask for, with {@code topK} (null: the default). */
    Decision decision(Integer topK) {
        ScoreFunction f = function == null ? null : ScoreFunction.parse(function);
        if (threshold != null && f != ScoreFunction.NONE && !(threshold >= 0 && threshold <= 1)) {
            throw new DfdException("--threshold must be a number in [0, 1], got " + threshold);
        }
        if (topK != null && topK < 1) {
            throw new DfdException("--top-k must be at least 1, got " + topK);
        }
        return new Decision(topK, f, positive, threshold, face.faces());
    }
}
