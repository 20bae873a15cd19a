package dev.dfd.internal.preprocess;

import dev.dfd.RgbImage;

import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Pillow's {@code Image.resize(size, resample, reducing_gap=None)} on 8-bit RGB, to the bit.
 *
 * <p>Convolution filters: separable, the horizontal pass first into an 8-bit (rounded, clamped) intermediate, then
 * the vertical pass. Per pass {@code scale = in / out}, {@code filterscale = max(scale, 1)} (so shrinking
 * antialiases), {@code support = kernel support * filterscale}; output i takes inputs {@code [xmin, xmin + count)}
 * around {@code center = (i + 0.5) * scale} with weights {@code kernel((x - center + 0.5) / filterscale)} normalised
 * by their double sum, then in 22-bit fixed point. A pass whose size does not change is skipped.
 *
 * <p>NEAREST follows Pillow's affine scale path ({@code ImagingScaleAffine}): the source position starts at
 * {@code 0.5 * scale} and grows by {@code scale} per output pixel, accumulated in doubles, truncated to an index.
 *
 * <p>Coefficients are cached per (in, out, filter): a data set of equal-sized images computes them once.
 */
public final class Resampler {
    private static final int PRECISION_BITS = 32 - 8 - 2;
    private static final int HALF = 1 << (PRECISION_BITS - 1);
    private static final int CACHE_LIMIT = 4096;
    private static final Map<Long, Coefficients> CACHE = new ConcurrentHashMap<>();

    private Resampler() {
    }

    /**
     * Fixed-point weights for one pass.
     *
     * @param xmin   (out) first input index per output index
     * @param count  (out) number of inputs per output index
     * @param ksize  stride of {@code k}
     * @param k      (out, ksize) weights in 22-bit fixed point, zero past {@code count}
     */
    record Coefficients(int[] xmin, int[] count, int ksize, int[] k) {
    }

    public static RgbImage resize(RgbImage in, int outWidth, int outHeight, Resample filter) {
        if (outWidth <= 0 || outHeight <= 0) {
            throw new IllegalArgumentException("target size must be positive, got " + outWidth + "x" + outHeight);
        }
        if (in.width() == outWidth && in.height() == outHeight) {
            return in; // Pillow copies; RgbImage is never mutated, so the same pixels serve
        }
        if (filter == Resample.NEAREST) {
            return nearest(in, outWidth, outHeight);
        }
        RgbImage out = in;
        if (outWidth != in.width()) {
            out = horizontal(out, outWidth, coefficients(in.width(), outWidth, filter));
        }
        if (outHeight != in.height()) {
            out = vertical(out, outHeight, coefficients(in.height(), outHeight, filter));
        }
        return out;
    }

    static Coefficients coefficients(int inSize, int outSize, Resample filter) {
        long key = ((long) inSize << 32) | ((long) outSize << 3) | filter.ordinal();
        Coefficients c = CACHE.get(key);
        if (c == null) {
            c = computeCoefficients(inSize, outSize, filter);
            if (CACHE.size() < CACHE_LIMIT) {
                CACHE.put(key, c);
            }
        }
        return c;
    }

    static Coefficients computeCoefficients(int inSize, int outSize, Resample filter) {
        double scale = (double) inSize / outSize;
        double filterscale = Math.max(scale, 1.0);
        double support = filter.support * filterscale;
        int ksize = (int) Math.ceil(support) * 2 + 1;
        int[] xmin = new int[outSize];
        int[] count = new int[outSize];
        int[] k = new int[outSize * ksize];
        double[] w = new double[ksize];
        for (int i = 0; i < outSize; i++) {
            double center = (i + 0.5) * scale;
            double ss = 1.0 / filterscale;
            int lo = Math.max(0, (int) (center - support + 0.5));
            int hi = Math.min(inSize, (int) (center + support + 0.5));
            int n = hi - lo;
            double sum = 0.0;
            for (int x = 0; x < n; x++) {
                w[x] = filter.kernel((x + lo - center + 0.5) * ss);
                sum += w[x];
            }
            for (int x = 0; x < n; x++) {
                double v = sum != 0.0 ? w[x] / sum : w[x];
                // Pillow rounds half away from zero when going to fixed point
                k[i * ksize + x] = v < 0 ? (int) (-0.5 + v * (1 << PRECISION_BITS))
                        : (int) (0.5 + v * (1 << PRECISION_BITS));
            }
            xmin[i] = lo;
            count[i] = n;
        }
        return new Coefficients(xmin, count, ksize, k);
    }

    private static int clip8(int acc) {
        int v = acc >> PRECISION_BITS;
        return v < 0 ? 0 : Math.min(v, 255);
    }

    private static RgbImage horizontal(RgbImage in, int outWidth, Coefficients c) {
        int inWidth = in.width();
        int height = in.height();
        byte[] src = in.pixels(); // (height, inWidth, 3)
        byte[] dst = new byte[outWidth * height * 3]; // (height, outWidth, 3)
        int[] kk = c.k();
        int ksize = c.ksize();
        for (int y = 0; y < height; y++) {
            int rowIn = y * inWidth * 3;
            int o = y * outWidth * 3;
            for (int x = 0; x < outWidth; x++) {
                int p = rowIn + c.xmin()[x] * 3;
                int kb = x * ksize;
                int n = c.count()[x];
                int r = HALF;
                int g = HALF;
                int b = HALF;
                for (int j = 0; j < n; j++) {
                    int w = kk[kb + j];
                    r += (src[p] & 0xFF) * w;
                    g += (src[p + 1] & 0xFF) * w;
                    b += (src[p + 2] & 0xFF) * w;
                    p += 3;
                }
                dst[o++] = (byte) clip8(r);
                dst[o++] = (byte) clip8(g);
                dst[o++] = (byte) clip8(b);
            }
        }
        return new RgbImage(outWidth, height, dst);
    }

    private static RgbImage vertical(RgbImage in, int outHeight, Coefficients c) {
        int width = in.width();
        int stride = width * 3;
        byte[] src = in.pixels(); // (inHeight, width, 3)
        byte[] dst = new byte[outHeight * stride]; // (outHeight, width, 3)
        int[] acc = new int[stride];
        int[] kk = c.k();
        int ksize = c.ksize();
        for (int y = 0; y < outHeight; y++) {
            java.util.Arrays.fill(acc, HALF);
            int kb = y * ksize;
            int first = c.xmin()[y];
            int n = c.count()[y];
            // row by row keeps the inner loop on contiguous memory
            for (int j = 0; j < n; j++) {
                int w = kk[kb + j];
                int p = (first + j) * stride;
                for (int i = 0; i < stride; i++) {
                    acc[i] += (src[p + i] & 0xFF) * w;
                }
            }
            int o = y * stride;
            for (int i = 0; i < stride; i++) {
                dst[o + i] = (byte) clip8(acc[i]);
            }
        }
        return new RgbImage(width, outHeight, dst);
    }

    private static RgbImage nearest(RgbImage in, int outWidth, int outHeight) {
        int[] xs = nearestIndices(in.width(), outWidth);
        int[] ys = nearestIndices(in.height(), outHeight);
        byte[] src = in.pixels();
        byte[] dst = new byte[outWidth * outHeight * 3]; // Pillow fills what no source pixel maps to with 0
        int o = 0;
        for (int y = 0; y < outHeight; y++) {
            if (ys[y] < 0) {
                o += outWidth * 3;
                continue;
            }
            int row = ys[y] * in.width();
            for (int x = 0; x < outWidth; x++) {
                if (xs[x] >= 0) {
                    int p = (row + xs[x]) * 3;
                    dst[o] = src[p];
                    dst[o + 1] = src[p + 1];
                    dst[o + 2] = src[p + 2];
                }
                o += 3;
            }
        }
        return new RgbImage(outWidth, outHeight, dst);
    }

    /**
     * The source index Pillow's {@code ImagingScaleAffine} picks for each output index: {@code pos = scale * 0.5},
     * then {@code pos += scale} per step (accumulated in doubles, not recomputed), index {@code (int) pos}; -1 where
     * it falls outside the image.
     */
    static int[] nearestIndices(int inSize, int outSize) {
        double scale = (double) inSize / outSize;
        int[] idx = new int[outSize];
        double pos = scale * 0.5;
        for (int i = 0; i < outSize; i++) {
            int p = pos < 0.0 ? -1 : (int) pos;
            idx[i] = p < inSize ? p : -1;
            pos += scale;
        }
        return idx;
    }
}
