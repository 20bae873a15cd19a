package dev.dfd.internal.preprocess;

/**
 * Pillow's resampling filters, numbered as in {@code PIL.Image.Resampling} and {@code preprocessor_config.json}'s
 * {@code resample}. All but NEAREST are convolutions with this kernel and support (in input pixels at scale 1).
 */
public enum Resample {
    NEAREST(0, 0.0),
    LANCZOS(1, 3.0),
    BILINEAR(2, 1.0),
    BICUBIC(3, 2.0),
    BOX(4, 0.5),
    HAMMING(5, 1.0);

    public final int pillowId;
    final double support;

    Resample(int pillowId, double support) {
        this.pillowId = pillowId;
        this.support = support;
    }

    public static Resample ofPillowId(int id) {
        for (Resample r : values()) {
            if (r.pillowId == id) {
                return r;
            }
        }
        throw new IllegalArgumentException("unknown resample " + id + " (Pillow knows 0 nearest, 1 lanczos,"
                + " 2 bilinear, 3 bicubic, 4 box, 5 hamming)");
    }

    /** The filter kernel, as in Pillow's {@code Resample.c}. */
    double kernel(double x) {
        switch (this) {
            case BOX:
                return x > -0.5 && x <= 0.5 ? 1.0 : 0.0;
            case BILINEAR:
                x = Math.abs(x);
                return x < 1.0 ? 1.0 - x : 0.0;
            case HAMMING:
                x = Math.abs(x);
                if (x == 0.0) {
                    return 1.0;
                }
                if (x >= 1.0) {
                    return 0.0;
                }
                x = x * Math.PI;
                return Math.sin(x) / x * (0.54 + 0.46 * Math.cos(x));
            case BICUBIC: {
                final double a = -0.5;
                x = Math.abs(x);
                if (x < 1.0) {
                    return ((a + 2.0) * x - (a + 3.0)) * x * x + 1;
                }
                if (x < 2.0) {
                    return (((x - 5) * x + 8) * x - 4) * a;
                }
                return 0.0;
            }
            case LANCZOS:
                return x > -3.0 && x < 3.0 ? sinc(x) * sinc(x / 3.0) : 0.0;
            default:
                throw new IllegalStateException("NEAREST has no kernel");
        }
    }

    private static double sinc(double x) {
        if (x == 0.0) {
            return 1.0;
        }
        x = x * Math.PI;
        return Math.sin(x) / x;
    }
}
