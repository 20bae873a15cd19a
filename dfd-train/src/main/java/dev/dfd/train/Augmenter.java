package dev.dfd.train;

import dev.dfd.RgbImage;
import dev.dfd.eval.Perturbation;
import dev.dfd.internal.preprocess.Resample;
import dev.dfd.internal.preprocess.Resampler;

import java.util.Random;

/**
 * Training augmentations that matter for deepfake detection, applied to the decoded image before the same
 * resize/normalise code as inference: random resized crop, horizontal flip, small colour jitter, blur,
 * downscale-upscale and JPEG re-compression at a random quality (what social media does to images). Every choice
 * comes from the Random passed in, so a (seed, epoch, index) gives the same image every time.
 *
 * <p>{@link Strength#HEAVY} applies degradations more often and harder, to real and fake images alike, so that
 * neither class can be told by its compression, sharpness or noise level (the shortcuts that let a detector learn a
 * data set's JPEG or size history instead of the manipulation).
 */
final class Augmenter {
    /** How often and how hard images are degraded. */
    enum Strength {
        /** Blur p 0.15, downscale p 0.2, JPEG 30-95 p 0.35. */
        STANDARD,
        /**
         * Colour jitter +-20%, blur sigma 0.3-2.0 p 0.3, a chain of one or two downscale-upscale steps (factor
         * 0.3-0.9) p 0.3, Gaussian noise sigma 1-8 p 0.2, JPEG 30-100 p 0.6.
         */
        HEAVY;

        static Strength parse(String name) {
            if (name == null || name.isBlank()) {
                return STANDARD;
            }
            for (Strength s : values()) {
                if (s.name().equalsIgnoreCase(name.trim())) {
                    return s;
                }
            }
            throw new IllegalArgumentException("unknown augmentation '" + name + "' (use standard or heavy)");
        }
    }

    private final int size;
    private final Strength strength;

    Augmenter(int size) {
        this(size, Strength.STANDARD);
    }

    Augmenter(int size, Strength strength) {
        this.size = size;
        this.strength = strength;
    }

    RgbImage apply(RgbImage img, Random r) {
        return strength == Strength.HEAVY ? heavy(img, r) : standard(img, r);
    }

    private RgbImage heavy(RgbImage img, Random r) {
        img = randomResizedCrop(img, r);
        if (r.nextBoolean()) {
            img = flip(img);
        }
        if (r.nextDouble() < 0.5) {
            img = colorJitter(img, r, 0.2);
        }
        if (r.nextDouble() < 0.3) {
            img = new Perturbation.Blur(0.3 + r.nextDouble() * 1.7).apply(img, 0);
        }
        if (r.nextDouble() < 0.3) {
            int steps = 1 + r.nextInt(2);
            for (int i = 0; i < steps; i++) {
                img = new Perturbation.Downscale(0.3 + r.nextDouble() * 0.6).apply(img, 0);
            }
        }
        if (r.nextDouble() < 0.2) {
            img = new Perturbation.Noise(1 + r.nextDouble() * 7).apply(img, r.nextLong());
        }
        if (r.nextDouble() < 0.6) {
            img = new Perturbation.Jpeg(30 + r.nextInt(71)).apply(img, 0);
        }
        return img;
    }

    private RgbImage standard(RgbImage img, Random r) {
        img = randomResizedCrop(img, r);
        if (r.nextBoolean()) {
            img = flip(img);
        }
        if (r.nextDouble() < 0.5) {
            img = colorJitter(img, r, 0.1);
        }
        if (r.nextDouble() < 0.15) {
            img = new Perturbation.Blur(0.3 + r.nextDouble() * 1.0).apply(img, 0);
        }
        if (r.nextDouble() < 0.2) {
            img = new Perturbation.Downscale(0.4 + r.nextDouble() * 0.5).apply(img, 0);
        }
        if (r.nextDouble() < 0.35) {
            img = new Perturbation.Jpeg(30 + r.nextInt(66)).apply(img, 0);
        }
        return img;
    }

    /** A crop of 50-100% of the area, aspect 3/4..4/3, resized to the training size with Pillow's bilinear. */
    RgbImage randomResizedCrop(RgbImage img, Random r) {
        int w = img.width();
        int h = img.height();
        for (int attempt = 0; attempt < 10; attempt++) {
            double area = w * h * (0.5 + 0.5 * r.nextDouble());
            double aspect = Math.exp(Math.log(3.0 / 4) + r.nextDouble() * Math.log(16.0 / 9));
            int cw = (int) Math.round(Math.sqrt(area * aspect));
            int ch = (int) Math.round(Math.sqrt(area / aspect));
            if (cw > 0 && ch > 0 && cw <= w && ch <= h) {
                int x0 = r.nextInt(w - cw + 1);
                int y0 = r.nextInt(h - ch + 1);
                return Resampler.resize(crop(img, x0, y0, cw, ch), size, size, Resample.BILINEAR);
            }
        }
        return Resampler.resize(img, size, size, Resample.BILINEAR);
    }

    static RgbImage crop(RgbImage img, int x0, int y0, int cw, int ch) {
        byte[] out = new byte[cw * ch * 3];
        for (int y = 0; y < ch; y++) {
            System.arraycopy(img.pixels(), ((y0 + y) * img.width() + x0) * 3, out, y * cw * 3, cw * 3);
        }
        return new RgbImage(cw, ch, out);
    }

    static RgbImage flip(RgbImage img) {
        byte[] src = img.pixels();
        byte[] out = new byte[src.length];
        int w = img.width();
        for (int y = 0; y < img.height(); y++) {
            for (int x = 0; x < w; x++) {
                System.arraycopy(src, (y * w + x) * 3, out, (y * w + (w - 1 - x)) * 3, 3);
            }
        }
        return new RgbImage(w, img.height(), out);
    }

    /** Brightness, contrast and saturation each scaled by a factor in [1 - s, 1 + s]. */
    static RgbImage colorJitter(RgbImage img, Random r, double s) {
        double brightness = 1 + (r.nextDouble() * 2 - 1) * s;
        double contrast = 1 + (r.nextDouble() * 2 - 1) * s;
        double saturation = 1 + (r.nextDouble() * 2 - 1) * s;
        byte[] src = img.pixels();
        double mean = 0;
        for (int i = 0; i < src.length; i += 3) {
            mean += 0.299 * (src[i] & 0xFF) + 0.587 * (src[i + 1] & 0xFF) + 0.114 * (src[i + 2] & 0xFF);
        }
        mean /= src.length / 3.0;
        byte[] out = new byte[src.length];
        for (int i = 0; i < src.length; i += 3) {
            double grey = 0.299 * (src[i] & 0xFF) + 0.587 * (src[i + 1] & 0xFF) + 0.114 * (src[i + 2] & 0xFF);
            for (int c = 0; c < 3; c++) {
                double v = (src[i + c] & 0xFF) * brightness;
                v = grey * brightness + (v - grey * brightness) * saturation;
                v = mean * brightness + (v - mean * brightness) * contrast;
                out[i + c] = (byte) Math.max(0, Math.min(255, Math.round(v)));
            }
        }
        return new RgbImage(img.width(), img.height(), out);
    }
}
