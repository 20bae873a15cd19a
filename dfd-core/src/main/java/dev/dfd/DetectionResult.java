package dev.dfd;

import dev.dfd.postprocess.Prediction;

/** The outcome for one image in a batch: a {@link Detection} or a {@link Failure}; one bad image never stops a run. */
public sealed interface DetectionResult permits DetectionResult.Detection, DetectionResult.Failure {
    /** The image's name (path, "-", upload name). */
    String source();

    /** A verdict for an image. */
    record Detection(String source, Prediction prediction) implements DetectionResult {
        public String label() {
            return prediction.label();
        }

        /** The positive label's score (e.g. Fake's), what a threshold is compared with. */
        public float score() {
            return prediction.positiveScore();
        }
    }

    /** An image that could not be read or run, with a one-line reason (the source is not repeated in it). */
    record Failure(String source, String error) implements DetectionResult {
    }
}
