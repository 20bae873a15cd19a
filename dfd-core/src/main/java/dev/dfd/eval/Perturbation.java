package dev.dfd.eval;

import dev.dfd.RgbImage;
import dev.dfd.internal.io.ImageDecoder;
import dev.dfd.internal.preprocess.Resample;
import dev.dfd.internal.preprocess.Resampler;

import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Random;
import javax.imageio.IIOImage;
import javax.imageio.ImageIO;
import javax.imageio.ImageWriteParam;
import javax.imageio.ImageWriter;
import javax.imageio.stream.MemoryCacheImageOutputStream;

/**
 * A degradation applied to a decoded image before preprocessing, to ask whether a detector survives what images go
 * through on the way to it (re-compression, resizing, blur, sensor noise). Deterministic: the same image and seed
 * give the same result.
 *
 * <pre>{@code
 * RgbImage worse = Perturbation.parse("jpeg:50").apply(image, 42);
 * List<Perturbation> all = Perturbation.parseList("jpeg:50,blur:1.5,downscale:0.5");
 * }</pre>
 */
public sealed interface Perturbation {
    /** The spec that makes it again, e.g. "jpeg:50". */
    String name();

    RgbImage apply(RgbImage image, long seed);

    /** Parses "jpeg:50,jpeg:30,blur:1.5,downscale:0.5,noise:8". */
    static List<Perturbation> parseList(String spec) {
        List<Perturbation> out = new ArrayList<>();
        if (spec == null || spec.isBlank()) {
            return out;
        }
        for (String item : spec.split(",")) {
            out.add(parse(item.trim()));
        }
        return out;
    }

    static Perturbation parse(String item) {
        int colon = item.indexOf(':');
        if (colon <= 0) {
            throw new dev.dfd.DfdException(usage(item));
        }
        String kind = item.substring(0, colon).toLowerCase(Locale.ROOT);
        double v;
        try {
            v = Double.parseDouble(item.substring(colon + 1));
        } catch (NumberFormatException e) {
            throw new dev.dfd.DfdException(usage(item));
        }
        return switch (kind) {
            case "jpeg" -> {
                if (v < 1 || v > 100 || v != Math.rint(v)) {
                    throw new dev.dfd.DfdException("jpeg quality must be an integer 1..100, found " + item);
                }
                yield new Jpeg((int) v);
            }
            case "blur" -> {
                if (v <= 0 || v > 50) {
                    throw new dev.dfd.DfdException("blur sigma must be in (0, 50], found " + item);
                }
                yield new Blur(v);
            }
            case "downscale" -> {
                if (v <= 0 || v >= 1) {
                    throw new dev.dfd.DfdException("downscale factor must be in (0, 1), found " + item);
                }
                yield new Downscale(v);
            }
            case "noise" -> {
                if (v <= 0 || v > 255) {
                    throw new dev.dfd.DfdException("noise sigma must be in (0, 255], found " + item);
                }
                yield new Noise(v);
            }
            default -> throw new dev.dfd.DfdException(usage(item));
        };
    }

    private static String usage(String item) {
        return "unknown perturbation '" + item + "'; expected jpeg:QUALITY, blur:SIGMA, downscale:FACTOR or noise:SIGMA";
    }

    private static String number(double v) {
        return v == Math.rint(v) ? Long.toString((long) v) : Double.toString(v);
    }

    /** JPEG re-compression at a quality (1..100) with the JDK's libjpeg encoder (4:2:0), decoded back. */
    record Jpeg(int quality) implements Perturbation {
        @Override
        public String name() {
            return "jpeg:" + quality;
        }

        @Override
        public RgbImage apply(RgbImage image, long seed) {
            BufferedImage bi = image.toBufferedImage();
            ImageWriter writer = jdkJpegWriter();
            ByteArrayOutputStream bytes = new ByteArrayOutputStream();
            try (MemoryCacheImageOutputStream out = new MemoryCacheImageOutputStream(bytes)) {
                writer.setOutput(out);
                ImageWriteParam param = writer.getDefaultWriteParam();
                param.setCompressionMode(ImageWriteParam.MODE_EXPLICIT);
                param.setCompressionQuality(quality / 100f);
                writer.write(null, new IIOImage(bi, null, null), param);
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            } finally {
                writer.dispose();
            }
            return new ImageDecoder().decode(bytes.toByteArray());
        }

        private static ImageWriter jdkJpegWriter() {
            var it = ImageIO.getImageWritersByFormatName("jpeg");
            ImageWriter chosen = null;
            while (it.hasNext()) {
                ImageWriter w = it.next();
                if (chosen == null || w.getClass().getName().startsWith("com.sun.")) {
                    chosen = w;
                }
            }
            if (chosen == null) {
                throw new IllegalStateException("no JPEG writer in this Java runtime");
            }
            return chosen;
        }
    }

    /** Gaussian blur, separable, kernel radius ceil(3 sigma), edges extended, rounded to 8 bits. */
    record Blur(double sigma) implements Perturbation {
        @Override
        public String name() {
            return "blur:" + number(sigma);
        }

        @Override
        public RgbImage apply(RgbImage image, long seed) {
            int r = (int) Math.ceil(3 * sigma);
            double[] k = new double[2 * r + 1];
            double sum = 0;
            for (int i = -r; i <= r; i++) {
                k[i + r] = Math.exp(-(i * i) / (2 * sigma * sigma));
                sum += k[i + r];
            }
            for (int i = 0; i < k.length; i++) {
                k[i] /= sum;
            }
            int w = image.width();
            int h = image.height();
            byte[] src = image.pixels();
            double[] tmp = new double[src.length];
            for (int y = 0; y < h; y++) {
                for (int x = 0; x < w; x++) {
                    for (int c = 0; c < 3; c++) {
                        double acc = 0;
                        for (int i = -r; i <= r; i++) {
                            int xx = Math.min(w - 1, Math.max(0, x + i));
                            acc += k[i + r] * (src[(y * w + xx) * 3 + c] & 0xFF);
                        }
                        tmp[(y * w + x) * 3 + c] = acc;
                    }
                }
            }
            byte[] out = new byte[src.length];
            for (int y = 0; y < h; y++) {
                for (int x = 0; x < w; x++) {
                    for (int c = 0; c < 3; c++) {
                        double acc = 0;
                        for (int i = -r; i <= r; i++) {
                            int yy = Math.min(h - 1, Math.max(0, y + i));
                            acc += k[i + r] * tmp[(yy * w + x) * 3 + c];
                        }
                        out[(y * w + x) * 3 + c] = (byte) Math.min(255, Math.max(0, Math.round(acc)));
                    }
                }
            }
            return new RgbImage(w, h, out);
        }
    }

    /** Downscale by a factor then back up to the original size, both with Pillow's bilinear resampler. */
    record Downscale(double factor) implements Perturbation {
        @Override
        public String name() {
            return "downscale:" + number(factor);
        }

        @Override
        public RgbImage apply(RgbImage image, long seed) {
            int w = Math.max(1, (int) Math.round(image.width() * factor));
            int h = Math.max(1, (int) Math.round(image.height() * factor));
            RgbImage small = Resampler.resize(image, w, h, Resample.BILINEAR);
            return Resampler.resize(small, image.width(), image.height(), Resample.BILINEAR);
        }
    }

    /** Additive Gaussian noise with this standard deviation in 0..255 units, clamped. */
    record Noise(double sigma) implements Perturbation {
        @Override
        public String name() {
            return "noise:" + number(sigma);
        }

        @Override
        public RgbImage apply(RgbImage image, long seed) {
            Random random = new Random(seed);
            byte[] src = image.pixels();
            byte[] out = new byte[src.length];
            for (int i = 0; i < src.length; i++) {
                long v = Math.round((src[i] & 0xFF) + random.nextGaussian() * sigma);
                out[i] = (byte) Math.min(255, Math.max(0, v));
            }
            return new RgbImage(image.width(), image.height(), out);
        }
    }
}
