package dev.dfd;

import java.util.List;

/**
 * One face found by {@link dev.dfd.internal.face.FaceDetector}, in the original image's pixel coordinates (x to the right, y down, the
 * top-left corner of the top-left pixel at (0, 0)).
 *
 * <pre>{@code
 * if (detector.detect(Path.of("group.jpg")) instanceof DetectionResult.Detection d) {
 *     for (DetectionResult.FaceVerdict v : d.faces()) {
 *         Face.Box b = v.face().box();
 *         Face.Point nose = v.face().keypoint(Face.Keypoint.NOSE_TIP);
 *         System.out.printf("%.0f,%.0f %.0fx%.0f %s %.3f%n", b.x(), b.y(), b.width(), b.height(),
 *                 v.prediction().label(), v.prediction().positiveScore());
 *     }
 * }
 * }</pre>
 *
 * @param box       the detector's box (BlazeFace's boxes are close to square and span brows to chin)
 * @param keypoints the 6 keypoints in {@link Keypoint} order (MediaPipe's order)
 * @param score     detection confidence in [0, 1] (sigmoid of the detector's logit)
 */
public record Face(Box box, List<Point> keypoints, float score) {
    public Face {
        keypoints = List.copyOf(keypoints);
        if (keypoints.size() != Keypoint.values().length) {
            throw new IllegalArgumentException("expected " + Keypoint.values().length + " keypoints, got "
                    + keypoints.size());
        }
        if (!(score >= 0 && score <= 1)) {
            throw new IllegalArgumentException("score must be in [0, 1], got " + score);
        }
    }

    /** The keypoint {@code k}. */
    public Point keypoint(Keypoint k) {
        return keypoints.get(k.ordinal());
    }

    /**
     * BlazeFace's keypoints in MediaPipe's order. Right and left are the person's own: in an upright frontal face
     * the right eye is the one on the image's left (smaller x).
     */
    public enum Keypoint { RIGHT_EYE, LEFT_EYE, NOSE_TIP, MOUTH_CENTER, RIGHT_EAR_TRAGION, LEFT_EAR_TRAGION }

    /** A point in pixels. */
    public record Point(float x, float y) {
    }

    /** An axis-aligned box in pixels: top-left corner, width and height. */
    public record Box(float x, float y, float width, float height) {
        public Box {
            if (!(width >= 0 && height >= 0)) {
                throw new IllegalArgumentException("box size must be >= 0, got " + width + "x" + height);
            }
        }

        public float centerX() {
            return x + width / 2;
        }

        public float centerY() {
            return y + height / 2;
        }

        /** Intersection over union with {@code o}; 0 when both are empty. */
        public float iou(Box o) {
            float iw = Math.min(x + width, o.x + o.width) - Math.max(x, o.x);
            float ih = Math.min(y + height, o.y + o.height) - Math.max(y, o.y);
            if (iw <= 0 || ih <= 0) {
                return 0;
            }
            float inter = iw * ih;
            return inter / (width * height + o.width * o.height - inter);
        }
    }
}
