package dev.dfd.jmh;

import dev.dfd.RgbImage;
import dev.dfd.internal.io.ImageDecoder;
import dev.dfd.internal.preprocess.ImageProcessor;
import dev.dfd.internal.preprocess.PreprocessorConfig;
import dev.dfd.internal.preprocess.Resample;
import dev.dfd.internal.preprocess.Resampler;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import javax.imageio.ImageIO;

/**
 * The preprocessing stages one image goes through, on one thread: JPEG decode, Pillow-exact resize to 224x224
 * (bilinear, the ViT default; bicubic for comparison), and the rescale/normalise/HWC-to-CHW step. Images are
 * photo-like (smooth gradients plus noise), made in setup, so the numbers do not depend on files.
 *
 * <pre>java -jar dfd-jmh/target/benchmarks.jar -f 1 -wi 3 -i 5</pre>
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(1)
public class PreprocessBenchmark {
    /** Source image sizes: a face crop already at model size, a typical photo, a large camera photo. */
    @Param({"224x224", "640x480", "3000x2000"})
    public String size;

    private RgbImage image;
    private RgbImage resized;
    private byte[] jpeg;
    private ImageDecoder decoder;
    private ImageProcessor processor;
    private float[] chw;

    @Setup
    public void setUp() throws IOException {
        String[] wh = size.split("x");
        int w = Integer.parseInt(wh[0]);
        int h = Integer.parseInt(wh[1]);
        BufferedImage img = new BufferedImage(w, h, BufferedImage.TYPE_INT_RGB);
        Random random = new Random(0);
        for (int y = 0; y < h; y++) {
            for (int x = 0; x < w; x++) {
                int r = (x * 255 / w + random.nextInt(24)) & 0xFF;
                int g = (y * 255 / h + random.nextInt(24)) & 0xFF;
                int b = ((x + y) * 127 / (w + h) + random.nextInt(24)) & 0xFF;
                img.setRGB(x, y, (r << 16) | (g << 8) | b);
            }
        }
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ImageIO.write(img, "jpg", out);
        jpeg = out.toByteArray();
        decoder = new ImageDecoder();
        image = decoder.decode(jpeg);
        processor = new ImageProcessor(PreprocessorConfig.vitDefaults(224));
        resized = processor.resize(image);
        chw = new float[3 * resized.width() * resized.height()];
    }

    @Benchmark
    public RgbImage decodeJpeg() {
        return decoder.decode(jpeg);
    }

    @Benchmark
    public RgbImage resizeBilinear() {
        return Resampler.resize(image, 224, 224, Resample.BILINEAR);
    }

    @Benchmark
    public RgbImage resizeBicubic() {
        return Resampler.resize(image, 224, 224, Resample.BICUBIC);
    }

    /** Rescale and normalise into a reused float32 (3, 224, 224) buffer. */
    @Benchmark
    public float[] normalize() {
        processor.toChw(resized, chw, 0);
        return chw;
    }

    /** resize + normalise, what each image costs after decoding. */
    @Benchmark
    public float[] preprocess() {
        return processor.process(image);
    }
}
