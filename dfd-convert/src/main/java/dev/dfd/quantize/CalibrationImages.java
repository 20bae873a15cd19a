package dev.dfd.quantize;

import dev.dfd.DfdException;
import dev.dfd.ImageException;
import dev.dfd.internal.io.ImageDecoder;
import dev.dfd.internal.model.PixelBatch;
import dev.dfd.internal.preprocess.ImageProcessor;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.stream.Stream;

/**
 * The images static quantisation measures activation ranges on: image files under a directory (recursively, in
 * path order), {@code count} of them evenly spaced over that order so that a folder of Real/ and Fake/ gives both,
 * each decoded and preprocessed as the model's own preprocessor_config.json says. The images are taken whole: a
 * face model is calibrated on face crops, the input it is run on.
 */
public final class CalibrationImages {
    private static final Set<String> EXTENSIONS = Set.of("jpg", "jpeg", "png", "webp", "bmp", "gif", "tif", "tiff");
    /**
     * Images per ONNX Runtime run while calibrating: each run returns every measured activation of every image at
     * once (for a 224 px ConvNeXt, tens of MB per tensor at this size), and the ranges do not depend on it.
     */
    static final int BATCH = 8;

    private CalibrationImages() {
    }

    /** The chosen files: {@code count} evenly spaced over the sorted image files under {@code dir} (all if fewer). */
    public static List<Path> choose(Path dir, int count) {
        if (!Files.isDirectory(dir)) {
            throw new DfdException(dir + ": calibration image directory not found");
        }
        if (count <= 0) {
            throw new DfdException("calibration images: expected a positive count, got " + count);
        }
        List<Path> all;
        try (Stream<Path> files = Files.walk(dir)) {
            all = files.filter(Files::isRegularFile).filter(CalibrationImages::isImageName).sorted().toList();
        } catch (IOException e) {
            throw new DfdException(dir + ": cannot list calibration images (" + e.getMessage() + ")");
        }
        if (all.isEmpty()) {
            throw new DfdException(dir + ": no image files (" + String.join(", ", EXTENSIONS.stream().sorted().toList())
                    + ") to calibrate on");
        }
        if (all.size() <= count) {
            return all;
        }
        List<Path> chosen = new ArrayList<>(count);
        for (int i = 0; i < count; i++) {
            chosen.add(all.get((int) ((long) i * all.size() / count)));
        }
        return chosen;
    }

    /**
     * The files decoded and preprocessed into batches of at most {@link #BATCH}; consecutive images of one size share
     * a batch (a preprocessor without a fixed output size gives several).
     */
    public static List<PixelBatch> batches(List<Path> files, ImageProcessor processor) {
        ImageDecoder decoder = new ImageDecoder();
        List<PixelBatch> out = new ArrayList<>();
        List<float[]> pending = new ArrayList<>(); // each (3, H, W) of the pending batch's one size
        int[] pendingSize = null;
        for (Path f : files) {
            var resized = processor.resize(decode(decoder, f));
            int[] size = {resized.height(), resized.width()};
            if (pendingSize != null && (size[0] != pendingSize[0] || size[1] != pendingSize[1]
                    || pending.size() == BATCH)) {
                out.add(batch(pending, pendingSize));
                pending.clear();
            }
            pendingSize = size;
            float[] chw = new float[3 * size[0] * size[1]];
            processor.toChw(resized, chw, 0);
            pending.add(chw);
        }
        if (!pending.isEmpty()) {
            out.add(batch(pending, pendingSize));
        }
        return out;
    }

    private static dev.dfd.RgbImage decode(ImageDecoder decoder, Path f) {
        try {
            return decoder.decode(Files.readAllBytes(f));
        } catch (IOException | ImageException e) {
            throw new DfdException(f + ": cannot read calibration image (" + e.getMessage() + ")");
        }
    }

    private static PixelBatch batch(List<float[]> images, int[] size) {
        int per = 3 * size[0] * size[1];
        float[] data = new float[images.size() * per]; // (B, 3, H, W)
        for (int i = 0; i < images.size(); i++) {
            System.arraycopy(images.get(i), 0, data, i * per, per);
        }
        return new PixelBatch(data, images.size(), 3, size[0], size[1]);
    }

    private static boolean isImageName(Path p) {
        String name = p.getFileName().toString();
        int dot = name.lastIndexOf('.');
        return dot > 0 && EXTENSIONS.contains(name.substring(dot + 1).toLowerCase(Locale.ROOT));
    }
}
