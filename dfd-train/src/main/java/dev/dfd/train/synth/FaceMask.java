package dev.dfd.train.synth;

import java.util.Random;

/**
 * Soft face masks from a face detector's keypoints, as self-blending needs them: the convex hull of the eyes, ears
 * and mouth, stretched down to the chin, its vertices jittered (a cheap elastic deformation), grown or shrunk, and
 * its edge blurred, so that the blending boundary varies from one fake to the next as real face swaps' do.
 *
 * <p>Keypoints are MediaPipe BlazeFace's six, in image pixels, in its order: right eye, left eye, nose tip, mouth,
 * right ear (tragion), left ear.
 */
public final class FaceMask {
    private FaceMask() {
    }

    /** Indices into the keypoints. */
    static final int RIGHT_EYE = 0;
    static final int LEFT_EYE = 1;
    static final int NOSE = 2;
    static final int MOUTH = 3;
    static final int RIGHT_EAR = 4;
    static final int LEFT_EAR = 5;

    /**
     * The polygon the mask fills before it is blurred: eyes, ears, mouth and a chin point below the mouth, each
     * pushed out from the face centre by {@code grow} and jittered by up to {@code jitter} of the face size.
     *
     * @param keypoints (6, 2) x, y in pixels
     * @return (n, 2) polygon vertices in convex-hull order
     */
    static double[][] polygon(float[][] keypoints, double grow, double jitter, Random r) {
        double eyeX = (keypoints[RIGHT_EYE][0] + keypoints[LEFT_EYE][0]) / 2.0;
        double eyeY = (keypoints[RIGHT_EYE][1] + keypoints[LEFT_EYE][1]) / 2.0;
        double mouthX = keypoints[MOUTH][0];
        double mouthY = keypoints[MOUTH][1];
        double faceSize = Math.max(1, Math.hypot(keypoints[RIGHT_EAR][0] - keypoints[LEFT_EAR][0],
                keypoints[RIGHT_EAR][1] - keypoints[LEFT_EAR][1]));
        // the chin is about 0.8 eye-to-mouth distances below the mouth, along the face's vertical axis;
        // the forehead about 0.6 above the eyes
        double vx = mouthX - eyeX;
        double vy = mouthY - eyeY;
        double[][] pts = {
                {keypoints[RIGHT_EYE][0] - 0.6 * vx, keypoints[RIGHT_EYE][1] - 0.6 * vy},
                {keypoints[LEFT_EYE][0] - 0.6 * vx, keypoints[LEFT_EYE][1] - 0.6 * vy},
                {keypoints[RIGHT_EAR][0], keypoints[RIGHT_EAR][1]},
                {keypoints[LEFT_EAR][0], keypoints[LEFT_EAR][1]},
                {mouthX + 0.8 * vx + 0.35 * (keypoints[RIGHT_EAR][0] - mouthX), mouthY + 0.8 * vy},
                {mouthX + 0.8 * vx + 0.35 * (keypoints[LEFT_EAR][0] - mouthX), mouthY + 0.8 * vy},
                {mouthX + 0.9 * vx, mouthY + 0.9 * vy},
        };
        double cx = 0;
        double cy = 0;
        for (double[] p : pts) {
            cx += p[0] / pts.length;
            cy += p[1] / pts.length;
        }
        for (double[] p : pts) {
            p[0] = cx + (p[0] - cx) * grow + (r.nextDouble() * 2 - 1) * jitter * faceSize;
            p[1] = cy + (p[1] - cy) * grow + (r.nextDouble() * 2 - 1) * jitter * faceSize;
        }
        return convexHull(pts);
    }

    /**
     * A soft mask in [0, 1], (height, width) row-major: the jittered, grown polygon filled, then blurred with a
     * Gaussian of {@code blurFraction} of the face size (0 keeps a hard edge).
     */
    public static float[] soft(int width, int height, float[][] keypoints, double grow, double jitter,
                               double blurFraction, Random r) {
        double[][] poly = polygon(keypoints, grow, jitter, r);
        float[] mask = new float[width * height];
        for (int y = 0; y < height; y++) {
            for (int x = 0; x < width; x++) {
                mask[y * width + x] = inside(poly, x + 0.5, y + 0.5) ? 1f : 0f;
            }
        }
        double faceSize = Math.hypot(keypoints[RIGHT_EAR][0] - keypoints[LEFT_EAR][0],
                keypoints[RIGHT_EAR][1] - keypoints[LEFT_EAR][1]);
        double sigma = blurFraction * faceSize;
        return sigma >= 0.3 ? Filters.gaussian(mask, width, height, sigma) : mask;
    }

    /** A random mask as self-blending draws it: growth 0.85-1.2, jitter up to 6% of the face, edge blur 2-12%. */
    public static float[] random(int width, int height, float[][] keypoints, Random r) {
        return soft(width, height, keypoints, 0.85 + 0.35 * r.nextDouble(), 0.06 * r.nextDouble(),
                0.02 + 0.10 * r.nextDouble(), r);
    }

    /** Andrew's monotone chain; counter-clockwise, without collinear points. */
    static double[][] convexHull(double[][] points) {
        double[][] p = points.clone();
        java.util.Arrays.sort(p, (a, b) -> a[0] != b[0] ? Double.compare(a[0], b[0]) : Double.compare(a[1], b[1]));
        double[][] hull = new double[2 * p.length][];
        int k = 0;
        for (double[] q : p) {
            while (k >= 2 && cross(hull[k - 2], hull[k - 1], q) <= 0) {
                k--;
            }
            hull[k++] = q;
        }
        for (int i = p.length - 2, lower = k + 1; i >= 0; i--) {
            while (k >= lower && cross(hull[k - 2], hull[k - 1], p[i]) <= 0) {
                k--;
            }
            hull[k++] = p[i];
        }
        return java.util.Arrays.copyOf(hull, Math.max(1, k - 1));
    }

    private static double cross(double[] o, double[] a, double[] b) {
        return (a[0] - o[0]) * (b[1] - o[1]) - (a[1] - o[1]) * (b[0] - o[0]);
    }

    /** Whether (x, y) is inside a convex counter-clockwise polygon. */
    static boolean inside(double[][] poly, double x, double y) {
        if (poly.length < 3) {
            return false;
        }
        for (int i = 0; i < poly.length; i++) {
            double[] a = poly[i];
            double[] b = poly[(i + 1) % poly.length];
            if ((b[0] - a[0]) * (y - a[1]) - (b[1] - a[1]) * (x - a[0]) < 0) {
                return false;
            }
        }
        return true;
    }
}
