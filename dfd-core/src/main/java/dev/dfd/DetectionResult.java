package dev.dfd;

import java.util.List;

/**
 * The outcome for one image: a {@link Detection}, a {@link NoFace} (the model judges faces and none was found: no
 * verdict rather than a guess), or a {@link Failure}; one bad image never stops a run.
 *
 * <pre>{@code
 * for (DetectionResult r : detector.detectAll(files)) {
 *     if (r instanceof Detection d) System.out.println(d.label() + " " + d.score() + ", faces " + d.faces().size());
 *     else if (r instanceof NoFace n) System.out.println(n.source() + ": no face");
 *     else System.out.println(r.source() + ": " + ((Failure) r).error());
 * }
 * }</pre>
 */
public sealed interface DetectionResult permits DetectionResult.Detection, DetectionResult.NoFace,
        DetectionResult.Failure {
    /** The image's name (path, "-", upload name). */
    String source();

    /**
     * A verdict for an image.
     *
     * @param prediction the image's verdict: the whole image's, or with faces the prediction of the face whose
     *                   positive score is highest (any fake face makes the picture fake)
     * @param faces      each face judged, in the detector's order (by detection score); empty for whole images
     */
    record Detection(String source, Prediction prediction, List<FaceVerdict> faces) implements DetectionResult {
        public Detection {
            faces = List.copyOf(faces);
        }

        /** A whole-image verdict. */
        public Detection(String source, Prediction prediction) {
            this(source, prediction, List.of());
        }

        public String label() {
            return prediction.label();
        }

        /** The positive label's score (e.g. Fake's), what a threshold is compared with. */
        public float score() {
            return prediction.positiveScore();
        }

        /** The face whose prediction is the image's verdict; null for a whole-image verdict. */
        public FaceVerdict decidingFace() {
            for (FaceVerdict v : faces) {
                if (v.prediction() == prediction) {
                    return v;
                }
            }
            FaceVerdict best = null;
            for (FaceVerdict v : faces) { // a verdict built from an equal, not the same, prediction
                if (best == null || v.prediction().positiveScore() > best.prediction().positiveScore()) {
                    best = v;
                }
            }
            return best;
        }
    }

    /**
     * One face and the model's prediction for its crop.
     *
     * @param face where it is (box and keypoints in the original image's pixels) and the detector's confidence
     */
    record FaceVerdict(Face face, Prediction prediction) {
    }

    /** The model judges faces, and the image has none it could find. */
    record NoFace(String source) implements DetectionResult {
    }

    /** An image that could not be read or run, with a one-line reason (the source is not repeated in it). */
    record Failure(String source, String error) implements DetectionResult {
    }
}
