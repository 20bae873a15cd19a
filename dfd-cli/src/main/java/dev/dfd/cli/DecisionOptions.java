package dev.dfd.cli;

import dev.dfd.DetectorOptions;
import dev.dfd.postprocess.ScoreFunction;
import picocli.CommandLine.Option;

/** How scores become a decision, shared by detect, eval and serve. */
final class DecisionOptions {
    @Option(names = "--positive", paramLabel = "LABEL",
            description = "The label the score and threshold are about. Default: the label that reads"
                    + " Fake/Deepfake/AI/Synthetic, else label 1.")
    String positive;

    @Option(names = "--threshold", paramLabel = "T",
            description = "Call an image positive when its positive-label score is >= T. Default: the top label.")
    Double threshold;

    @Option(names = "--function", paramLabel = "F",
            description = "softmax, sigmoid or none. Default: as transformers' pipeline picks for the model.")
    String function;

    DetectorOptions applyTo(DetectorOptions o) {
        return o.withPositiveLabel(positive).withThreshold(threshold)
                .withFunction(function == null ? null : ScoreFunction.parse(function));
    }
}
