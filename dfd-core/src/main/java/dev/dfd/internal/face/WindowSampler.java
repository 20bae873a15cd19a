package dev.dfd.internal.face;

import dev.dfd.RgbImage;

/**
 * Fills a detector input straight from an {@link RgbImage}, without a full-size copy: output pixel (i, j) of an
 * n x n input covers the source square {@code [x0 + j * side / n, x0 + (j + 1) * side / n)} (rows alike). When a
 * pixel covers more than one source pixel it is the mean of a k x k grid of source pixels spread over its footprint
 * (k = the footprint in pixels, at most {@link #MAX_TAPS}: area averaging for moderate reductions, a subsampled
 * average for large ones, so the cost does not grow with the photo); otherwise it is bilinearly interpolated. Source
 * positions outside the image read black (the letterbox padding). Values are scaled to [-1, 1].
 */
final class WindowSampler {
    static final int MAX_TAPS = 4;

    private WindowSampler() {
    }

    /** Writes (n, n, 3) floats in [-1, 1] into {@code dst} at {@code offset}. */
    static void sample(RgbImage img, double x0, double y0, double side, int n, float[] dst, int offset) {
        double step = side / n;
        if (step > 1) {
            area(img, x0, y0, step, n, dst, offset);
        } else {
            bilinear(img, x0, y0, step, n, dst, offset);
        }
    }

    private static void area(RgbImage img, double x0, double y0, double step, int n, float[] dst, int offset) {
        int taps = (int) Math.min(MAX_TAPS, Math.ceil(step));
        int w = img.width();
        int h = img.height();
        byte[] px = img.pixels();
        int[] cols = new int[n * taps]; // source column of each tap, -1 outside
        for (int j = 0; j < n; j++) {
            for (int t = 0; t < taps; t++) {
                int x = (int) Math.floor(x0 + (j + (t + 0.5) / taps) * step);
                cols[j * taps + t] = x >= 0 && x < w ? x : -1;
            }
        }
        float norm = 1f / (taps * taps * 127.5f);
        int[] rows = new int[taps];
        for (int i = 0; i < n; i++) {
            for (int t = 0; t < taps; t++) {
                int y = (int) Math.floor(y0 + (i + (t + 0.5) / taps) * step);
                rows[t] = y >= 0 && y < h ? y * w * 3 : -1;
            }
            int o = offset + i * n * 3;
            for (int j = 0; j < n; j++, o += 3) {
                int r = 0;
                int g = 0;
                int b = 0;
                for (int ty = 0; ty < taps; ty++) {
                    if (rows[ty] < 0) {
                        continue;
                    }
                    for (int tx = 0; tx < taps; tx++) {
                        int x = cols[j * taps + tx];
                        if (x >= 0) {
                            int p = rows[ty] + x * 3;
                            r += px[p] & 0xFF;
                            g += px[p + 1] & 0xFF;
                            b += px[p + 2] & 0xFF;
                        }
                    }
                }
                dst[o] = r * norm - 1;
                dst[o + 1] = g * norm - 1;
                dst[o + 2] = b * norm - 1;
            }
        }
    }

    private static void bilinear(RgbImage img, double x0, double y0, double step, int n, float[] dst, int offset) {
        int w = img.width();
        int h = img.height();
        for (int i = 0; i < n; i++) {
            double sy = y0 + (i + 0.5) * step - 0.5;
            for (int j = 0; j < n; j++) {
                double sx = x0 + (j + 0.5) * step - 0.5;
                int o = offset + (i * n + j) * 3;
                if (sx < -0.5 || sy < -0.5 || sx > w - 0.5 || sy > h - 0.5) {
                    dst[o] = dst[o + 1] = dst[o + 2] = -1;
                    continue;
                }
                for (int c = 0; c < 3; c++) {
                    dst[o + c] = (float) (bilinearAt(img, sx, sy, c) / 127.5 - 1);
                }
            }
        }
    }

    /** Channel {@code c} at (sx, sy) in pixel-centre coordinates, edges clamped. */
    static double bilinearAt(RgbImage img, double sx, double sy, int c) {
        int w = img.width();
        int h = img.height();
        double cx = Math.max(0, Math.min(w - 1, sx));
        double cy = Math.max(0, Math.min(h - 1, sy));
        int xa = (int) Math.floor(cx);
        int ya = (int) Math.floor(cy);
        int xb = Math.min(w - 1, xa + 1);
        int yb = Math.min(h - 1, ya + 1);
        double fx = cx - xa;
        double fy = cy - ya;
        double top = img.get(xa, ya, c) * (1 - fx) + img.get(xb, ya, c) * fx;
        double bottom = img.get(xa, yb, c) * (1 - fx) + img.get(xb, yb, c) * fx;
        return top * (1 - fy) + bottom * fy;
    }
}
