package dev.dfd.cli;

import dev.dfd.Decision;
import dev.dfd.DfdException;
import dev.dfd.postprocess.ScoreFunction;
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

    @Option(names = "--faces", paramLabel = "WHEN", defaultValue = "auto",
            description = "auto: judge every face found when the model declares face input (dfd_faces.json, as"
                    + " models/default does), else the whole image; on: always faces; off: the whole image."
                    + " Default: ${DEFAULT-VALUE}.")
    String faces;

    @Option(names = "--max-faces", paramLabel = "N", defaultValue = "16",
            description = "Faces judged per image at most, the most confident ones. Default: ${DEFAULT-VALUE}.")
    int maxFaces;

    @Option(names = "--min-face-size", paramLabel = "PX", defaultValue = "48",
            description = "Ignore faces smaller than this (box side in the image's pixels); large photos are searched"
                    + " in tiles until faces of this size are found. Default: ${DEFAULT-VALUE}.")
    int minFaceSize;

    /** {@code options} with the face limits given. */
    dev.dfd.DetectorOptions withFaceLimits(dev.dfd.DetectorOptions options) {
        if (maxFaces < 1 || maxFaces > 1000) {
            throw new DfdException("--max-faces must be 1 to 1000, got " + maxFaces);
        }
        if (minFaceSize < 0 || minFaceSize > 100_000) {
            throw new DfdException("--min-face-size must be 0 to 100000, got " + minFaceSize);
        }
        return options.withMaxFaces(maxFaces).withMinFaceSize(minFaceSize);
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
        Decision.Faces when;
        try {
            when = Decision.Faces.parse(faces);
        } catch (DfdException e) {
            throw new DfdException("--faces: unknown value '" + faces + "', expected auto, on or off");
        }
        return new Decision(topK, f, positive, threshold, when);
    }
}
