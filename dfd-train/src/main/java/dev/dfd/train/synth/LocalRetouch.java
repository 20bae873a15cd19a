package dev.dfd.train.synth;

import dev.dfd.RgbImage;

import java.util.Random;

/** Local retouching: a warp, skin smoothing or a cloned patch inside the face (see {@link Synthesis}). */
final class LocalRetouch {
    private LocalRetouch() {
    }

    static RgbImage apply(RgbImage img, float[][] keypoints, Random r) {
        return switch (r.nextInt(3)) {
            case 0 -> warp(img, keypoints, r);
            case 1 -> smooth(img, keypoints, r);
            default -> clonePatchWithin(img, keypoints, r);
        };
    }

    static double faceSize(float[][] k) {
        return Math.max(4, Math.hypot(k[FaceMask.RIGHT_EAR][0] - k[FaceMask.LEFT_EAR][0],
                k[FaceMask.RIGHT_EAR][1] - k[FaceMask.LEFT_EAR][1]));
    }

    /** A bulge (eyes enlarged) or pinch (mouth, nose slimmed) of 10-30% around one keypoint, smooth falloff. */
    static RgbImage warp(RgbImage img, float[][] keypoints, Random r) {
        int w = img.width();
        int h = img.height();
        int[] centres = {FaceMask.RIGHT_EYE, FaceMask.LEFT_EYE, FaceMask.NOSE, FaceMask.MOUTH};
        float[] centre = keypoints[centres[r.nextInt(centres.length)]];
        double radius = faceSize(keypoints) * (0.15 + 0.15 * r.nextDouble());
        double strength = (r.nextBoolean() ? 1 : -1) * (0.1 + 0.2 * r.nextDouble());
        float[][] p = Filters.planes(img);
        float[][] out = new float[3][];
        for (int c = 0; c < 3; c++) {
            out[c] = p[c].clone();
        }
        int x0 = Math.max(0, (int) (centre[0] - radius));
        int x1 = Math.min(w - 1, (int) Math.ceil(centre[0] + radius));
        int y0 = Math.max(0, (int) (centre[1] - radius));
        int y1 = Math.min(h - 1, (int) Math.ceil(centre[1] + radius));
        for (int y = y0; y <= y1; y++) {
            for (int x = x0; x <= x1; x++) {
                double dx = x - centre[0];
                double dy = y - centre[1];
                double d = Math.hypot(dx, dy) / radius;
                if (d >= 1) {
                    continue;
                }
                // sample nearer the centre for a bulge, further for a pinch; no change at the rim
                double s = 1 - strength * Math.pow(1 - d * d, 2);
                for (int c = 0; c < 3; c++) {
                    out[c][y * w + x] = Filters.sample(p[c], w, h, centre[0] + dx * s, centre[1] + dy * s);
                }
            }
        }
        return Filters.image(out, w, h);
    }

    /** Skin smoothing: the face blurred (sigma 1-3) and blended back through its mask at 50-100%. */
    static RgbImage smooth(RgbImage img, float[][] keypoints, Random r) {
        int w = img.width();
        int h = img.height();
        double sigma = 1 + 2 * r.nextDouble();
        float[][] p = Filters.planes(img);
        for (int c = 0; c < 3; c++) {
            p[c] = Filters.gaussian(p[c], w, h, sigma);
        }
        return Synthesis.blend(img, p, FaceMask.random(w, h, keypoints, r), 0.5 + 0.5 * r.nextDouble());
    }

    /** A patch of 10-20% of the face size copied from one place on the face to another, with a soft edge. */
    static RgbImage clonePatchWithin(RgbImage img, float[][] keypoints, Random r) {
        int w = img.width();
        int h = img.height();
        double size = faceSize(keypoints);
        double radius = size * (0.05 + 0.05 * r.nextDouble());
        float[] from = keypoints[r.nextInt(4)];
        float[] to = keypoints[r.nextInt(4)];
        double fx = from[0] + (r.nextDouble() * 2 - 1) * 0.15 * size;
        double fy = from[1] + (r.nextDouble() * 2 - 1) * 0.15 * size;
        double tx = to[0] + (r.nextDouble() * 2 - 1) * 0.15 * size;
        double ty = to[1] + (r.nextDouble() * 2 - 1) * 0.15 * size;
        float[][] p = Filters.planes(img);
        float[][] source = new float[3][w * h];
        float[] mask = new float[w * h];
        for (int y = 0; y < h; y++) {
            for (int x = 0; x < w; x++) {
                double d = Math.hypot(x - tx, y - ty) / radius;
                if (d < 1.5) {
                    mask[y * w + x] = (float) Math.min(1, Math.max(0, 1.5 - d)); // soft rim from 0.5 to 1.5 radii
                    for (int c = 0; c < 3; c++) {
                        source[c][y * w + x] = Filters.sample(p[c], w, h, x - tx + fx, y - ty + fy);
                    }
                }
            }
        }
        return Synthesis.blend(img, source, mask, 1.0);
    }
}
