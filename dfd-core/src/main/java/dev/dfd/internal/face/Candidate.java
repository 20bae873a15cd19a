package dev.dfd.internal.face;

/**
 * A detection before suppression: a score and its geometry as 16 floats, (xmin, ymin, xmax, ymax, then x, y of the
 * 6 keypoints), in whatever frame the caller works in (model input [0, 1] after decoding, pixels after mapping).
 */
record Candidate(float score, float[] g) {
    static final int SIZE = 16;

    Candidate {
        if (g.length != SIZE) {
            throw new IllegalArgumentException("expected " + SIZE + " coordinates, got " + g.length);
        }
    }

    /** Every coordinate, the width and the height are finite numbers (a face can be drawn and written as JSON). */
    boolean isFinite() {
        for (float v : g) {
            if (!Float.isFinite(v)) {
                return false;
            }
        }
        return Float.isFinite(width()) && Float.isFinite(height());
    }

    float width() {
        return g[2] - g[0];
    }

    float height() {
        return g[3] - g[1];
    }

    /** Intersection over union of the boxes, 0 when they do not overlap or the union is empty. */
    static float iou(float[] a, float[] b) {
        float iw = Math.min(a[2], b[2]) - Math.max(a[0], b[0]);
        float ih = Math.min(a[3], b[3]) - Math.max(a[1], b[1]);
        if (iw <= 0 || ih <= 0) {
            return 0;
        }
        float inter = iw * ih;
        float union = (a[2] - a[0]) * (a[3] - a[1]) + (b[2] - b[0]) * (b[3] - b[1]) - inter;
        return union > 0 ? inter / union : 0;
    }

    /** This candidate with every x mapped to {@code x * scale + dx} and every y to {@code y * scale + dy}. */
    Candidate mapped(float scale, float dx, float dy) {
        float[] m = new float[SIZE];
        for (int i = 0; i < SIZE; i += 2) {
            m[i] = g[i] * scale + dx;
            m[i + 1] = g[i + 1] * scale + dy;
        }
        return new Candidate(score, m);
    }
}
