package dev.dfd.train.synth;

import dev.dfd.RgbImage;

/** Small image filters the synthesis kinds share; float planes are (height, width) row-major. */
final class Filters {
    private Filters() {
    }

    /** Separable Gaussian blur of a float plane, radius ceil(3 sigma), edges extended. */
    static float[] gaussian(float[] plane, int width, int height, double sigma) {
        int radius = (int) Math.ceil(3 * sigma);
        double[] k = new double[2 * radius + 1];
        double sum = 0;
        for (int i = -radius; i <= radius; i++) {
            k[i + radius] = Math.exp(-i * i / (2 * sigma * sigma));
            sum += k[i + radius];
        }
        for (int i = 0; i < k.length; i++) {
            k[i] /= sum;
        }
        float[] tmp = new float[plane.length];
        for (int y = 0; y < height; y++) {
            for (int x = 0; x < width; x++) {
                double acc = 0;
                for (int i = -radius; i <= radius; i++) {
                    int xx = Math.min(width - 1, Math.max(0, x + i));
                    acc += k[i + radius] * plane[y * width + xx];
                }
                tmp[y * width + x] = (float) acc;
            }
        }
        float[] out = new float[plane.length];
        for (int y = 0; y < height; y++) {
            for (int x = 0; x < width; x++) {
                double acc = 0;
                for (int i = -radius; i <= radius; i++) {
                    int yy = Math.min(height - 1, Math.max(0, y + i));
                    acc += k[i + radius] * tmp[yy * width + x];
                }
                out[y * width + x] = (float) acc;
            }
        }
        return out;
    }

    /** An RGB image's channels as float planes: (3, height, width). */
    static float[][] planes(RgbImage img) {
        int n = img.width() * img.height();
        float[][] p = new float[3][n];
        byte[] px = img.pixels();
        for (int i = 0; i < n; i++) {
            p[0][i] = px[3 * i] & 0xFF;
            p[1][i] = px[3 * i + 1] & 0xFF;
            p[2][i] = px[3 * i + 2] & 0xFF;
        }
        return p;
    }

    /** Float planes back to 8-bit RGB, rounded and clamped. */
    static RgbImage image(float[][] p, int width, int height) {
        byte[] out = new byte[width * height * 3];
        for (int i = 0; i < width * height; i++) {
            for (int c = 0; c < 3; c++) {
                out[3 * i + c] = (byte) Math.max(0, Math.min(255, Math.round(p[c][i])));
            }
        }
        return new RgbImage(width, height, out);
    }

    /** Bilinear sample of a plane at (x, y) in pixel-centre coordinates, edges extended. */
    static float sample(float[] plane, int width, int height, double x, double y) {
        x = Math.max(0, Math.min(width - 1, x));
        y = Math.max(0, Math.min(height - 1, y));
        int x0 = (int) Math.floor(x);
        int y0 = (int) Math.floor(y);
        int x1 = Math.min(width - 1, x0 + 1);
        int y1 = Math.min(height - 1, y0 + 1);
        double fx = x - x0;
        double fy = y - y0;
        double top = plane[y0 * width + x0] * (1 - fx) + plane[y0 * width + x1] * fx;
        double bottom = plane[y1 * width + x0] * (1 - fx) + plane[y1 * width + x1] * fx;
        return (float) (top * (1 - fy) + bottom * fy);
    }
}
