package dev.dfd.train.synth;

import dev.dfd.RgbImage;

import java.util.Random;

/** Generator upsampling traces: down by 2 or 4, then up again as a GAN decoder would (see {@link Synthesis}). */
final class UpsampleTrace {
    private UpsampleTrace() {
    }

    enum Up { NEAREST, BILINEAR, TRANSPOSED }

    static RgbImage apply(RgbImage img, float[][] keypoints, Random r) {
        int factor = r.nextBoolean() ? 2 : 4;
        Up up = Up.values()[r.nextInt(Up.values().length)];
        float[][] traced = trace(Filters.planes(img), img.width(), img.height(), factor, up, r);
        // half the time the face only (a face generated and pasted), else the whole image (a generated picture)
        if (r.nextBoolean()) {
            return Synthesis.blend(img, traced, FaceMask.random(img.width(), img.height(), keypoints, r), 1.0);
        }
        return Filters.image(traced, img.width(), img.height());
    }

    /** (3, H, W) planes down-sampled by area averaging, up-sampled back with {@code up}. */
    static float[][] trace(float[][] p, int w, int h, int factor, Up up, Random r) {
        int sw = Math.max(1, w / factor);
        int sh = Math.max(1, h / factor);
        float[][] out = new float[3][w * h];
        float[] kernel = up == Up.TRANSPOSED ? transposedKernel(factor, r) : null;
        for (int c = 0; c < 3; c++) {
            float[] small = new float[sw * sh];
            for (int y = 0; y < sh; y++) {
                for (int x = 0; x < sw; x++) {
                    double acc = 0;
                    int n = 0;
                    for (int yy = y * factor; yy < Math.min(h, (y + 1) * factor); yy++) {
                        for (int xx = x * factor; xx < Math.min(w, (x + 1) * factor); xx++) {
                            acc += p[c][yy * w + xx];
                            n++;
                        }
                    }
                    small[y * sw + x] = (float) (acc / n);
                }
            }
            for (int y = 0; y < h; y++) {
                for (int x = 0; x < w; x++) {
                    double sx = (x + 0.5) * sw / (double) w - 0.5;
                    double sy = (y + 0.5) * sh / (double) h - 0.5;
                    out[c][y * w + x] = switch (up) {
                        case NEAREST -> small[Math.min(sh - 1, y * sh / h) * sw + Math.min(sw - 1, x * sw / w)];
                        case BILINEAR -> Filters.sample(small, sw, sh, sx, sy);
                        case TRANSPOSED -> transposed(small, sw, sh, x, y, factor, kernel);
                    };
                }
            }
        }
        return out;
    }

    /**
     * A random (2 factor, 2 factor) kernel of a stride-{@code factor} transposed convolution, normalised so that each
     * output phase sums to 1 (a flat image stays flat) while the phases differ: the checkerboard.
     */
    static float[] transposedKernel(int factor, Random r) {
        int k = 2 * factor;
        float[] kernel = new float[k * k];
        for (int i = 0; i < kernel.length; i++) {
            kernel[i] = (float) (0.5 + r.nextDouble());
        }
        // each output phase (x mod factor, y mod factor) sees the 4 kernel taps of that phase: normalise per phase
        for (int py = 0; py < factor; py++) {
            for (int px = 0; px < factor; px++) {
                double sum = 0;
                for (int ty = py; ty < k; ty += factor) {
                    for (int tx = px; tx < k; tx += factor) {
                        sum += kernel[ty * k + tx];
                    }
                }
                double jitter = 1 + (r.nextDouble() * 2 - 1) * 0.04; // uneven phase gains: the visible checkerboard
                for (int ty = py; ty < k; ty += factor) {
                    for (int tx = px; tx < k; tx += factor) {
                        kernel[ty * k + tx] = (float) (kernel[ty * k + tx] / sum * jitter);
                    }
                }
            }
        }
        return kernel;
    }

    /** Output (x, y) of a stride-{@code factor} transposed convolution of {@code small} with {@code kernel}. */
    private static float transposed(float[] small, int sw, int sh, int x, int y, int factor, float[] kernel) {
        int k = 2 * factor;
        double acc = 0;
        for (int ty = y % factor; ty < k; ty += factor) {
            int sy = Math.min(sh - 1, Math.max(0, (y - ty) / factor + 1));
            for (int tx = x % factor; tx < k; tx += factor) {
                int sx = Math.min(sw - 1, Math.max(0, (x - tx) / factor + 1));
                acc += kernel[ty * k + tx] * small[sy * sw + sx];
            }
        }
        return (float) acc;
    }
}
