package dev.dfd.train.synth;

import dev.dfd.RgbImage;

import java.util.Random;

/** Self-blended images: a face blended into a changed copy of itself (see {@link Synthesis}). */
final class SelfBlend {
    private static final double[] RATIOS = {0.25, 0.5, 0.75, 1, 1, 1};

    private SelfBlend() {
    }

    static RgbImage apply(RgbImage img, float[][] keypoints, Random r) {
        int w = img.width();
        int h = img.height();
        float[][] src = Filters.planes(img);
        // colour: per-channel shift and gain, brightness/contrast
        double contrast = 1 + (r.nextDouble() * 2 - 1) * 0.15;
        double brightness = (r.nextDouble() * 2 - 1) * 20;
        for (int c = 0; c < 3; c++) {
            double shift = (r.nextDouble() * 2 - 1) * 15 + brightness;
            double gain = contrast * (1 + (r.nextDouble() * 2 - 1) * 0.05);
            for (int i = 0; i < src[c].length; i++) {
                src[c][i] = (float) ((src[c][i] - 128) * gain + 128 + shift);
            }
        }
        // sharpness: blur or unsharp mask
        double f = r.nextDouble();
        if (f < 0.35) {
            double sigma = 0.5 + r.nextDouble();
            for (int c = 0; c < 3; c++) {
                src[c] = Filters.gaussian(src[c], w, h, sigma);
            }
        } else if (f < 0.7) {
            double amount = 0.3 + 0.7 * r.nextDouble();
            for (int c = 0; c < 3; c++) {
                float[] blurred = Filters.gaussian(src[c], w, h, 1.0);
                for (int i = 0; i < blurred.length; i++) {
                    src[c][i] += (float) (amount * (src[c][i] - blurred[i]));
                }
            }
        }
        // geometry: scale 0.95-1.05 about the face centre and shift up to 3% of the face size
        double faceSize = Math.hypot(keypoints[FaceMask.RIGHT_EAR][0] - keypoints[FaceMask.LEFT_EAR][0],
                keypoints[FaceMask.RIGHT_EAR][1] - keypoints[FaceMask.LEFT_EAR][1]);
        double cx = keypoints[FaceMask.NOSE][0];
        double cy = keypoints[FaceMask.NOSE][1];
        double scale = 0.95 + 0.1 * r.nextDouble();
        double dx = (r.nextDouble() * 2 - 1) * 0.03 * faceSize;
        double dy = (r.nextDouble() * 2 - 1) * 0.03 * faceSize;
        float[][] moved = new float[3][w * h];
        for (int y = 0; y < h; y++) {
            for (int x = 0; x < w; x++) {
                double sx = cx + (x - cx - dx) / scale;
                double sy = cy + (y - cy - dy) / scale;
                for (int c = 0; c < 3; c++) {
                    moved[c][y * w + x] = Filters.sample(src[c], w, h, sx, sy);
                }
            }
        }
        float[] mask = FaceMask.random(w, h, keypoints, r);
        return Synthesis.blend(img, moved, mask, RATIOS[r.nextInt(RATIOS.length)]);
    }
}
