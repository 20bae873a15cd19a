package dev.dfd.internal.face;

import com.fasterxml.jackson.databind.JsonNode;
import dev.dfd.DfdException;
import dev.dfd.Face;
import dev.dfd.RgbImage;
import dev.dfd.internal.Json;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Iterator;
import java.util.Optional;
import java.util.Set;

/**
 * How a model's face input is cut from a photo around a {@link Face}: the geometry declared in a model directory's
 * {@code dfd_faces.json} (see the package documentation for the format).
 *
 * @param detector the {@link FaceModel} whose boxes the numbers are relative to (box conventions differ by model)
 * @param square   a square crop of side {@code scale * max(box width, box height)}; otherwise
 *                 {@code scale * box width} by {@code scale * box height}
 * @param scale    crop side / detector box side
 * @param centerY  where the box centre falls in the crop, as a fraction of the crop's height from its top (the box
 *                 centre is always at half the crop's width)
 * @param rotate   rotate the crop about the box centre so the eyes are level
 * @param width    output width in pixels
 * @param height   output height in pixels
 * @param fill     what areas outside the image read as
 */
public record FaceCrop(FaceModel detector, boolean square, double scale, double centerY, boolean rotate, int width,
                       int height, Fill fill) {
    /** The file name in a model directory. */
    public static final String FILE = "dfd_faces.json";
    private static final Set<String> KEYS = Set.of("detector", "square", "scale", "center_y", "rotate", "width",
            "height", "fill");

    /** Outside the image: black pixels, or the nearest edge pixel repeated. */
    public enum Fill { BLACK, EDGE }

    public FaceCrop {
        if (detector == null || fill == null) {
            throw new IllegalArgumentException("detector and fill must be given");
        }
        if (!(scale > 0 && scale <= 10)) {
            throw new IllegalArgumentException("scale must be in (0, 10], got " + scale);
        }
        if (!(centerY >= 0 && centerY <= 1)) {
            throw new IllegalArgumentException("center_y must be in [0, 1], got " + centerY);
        }
        if (width < 1 || height < 1 || width > 4096 || height > 4096) {
            throw new IllegalArgumentException("crop size must be 1..4096 px, got " + width + "x" + height);
        }
    }

    /** The crop declared in {@code modelDir/dfd_faces.json}, or empty when the model takes whole images. */
    public static Optional<FaceCrop> read(Path modelDir) {
        Path file = modelDir.resolve(FILE);
        if (!Files.isRegularFile(file)) {
            return Optional.empty();
        }
        try {
            if (Files.size(file) > 65_536) {
                throw new DfdException(file + ": " + Files.size(file) + " bytes, expected a small JSON object");
            }
            return Optional.of(parse(Json.MAPPER.readTree(file.toFile())));
        } catch (IOException e) {
            throw new DfdException("cannot read " + file + ": " + e.getMessage(), e);
        } catch (IllegalArgumentException e) {
            throw new DfdException(file + ": " + e.getMessage(), e);
        }
    }

    static FaceCrop parse(JsonNode n) {
        if (n == null || !n.isObject()) {
            throw new IllegalArgumentException("expected a JSON object");
        }
        for (Iterator<String> it = n.fieldNames(); it.hasNext(); ) {
            String k = it.next();
            if (!KEYS.contains(k)) {
                throw new IllegalArgumentException("unknown key \"" + k + "\", expected some of " + KEYS);
            }
        }
        String det = text(n, "detector", "full_range_256");
        FaceModel model = switch (det) {
            case "full_range_256" -> FaceModel.FULL_RANGE_256;
            case "short_range_128" -> FaceModel.SHORT_RANGE_128;
            default -> throw new IllegalArgumentException("detector \"" + det
                    + "\" unknown, expected full_range_256 or short_range_128");
        };
        String fill = text(n, "fill", "black");
        return new FaceCrop(model, bool(n, "square", true), number(n, "scale"), number(n, "center_y"),
                bool(n, "rotate", false), (int) number(n, "width"), (int) number(n, "height"),
                switch (fill) {
                    case "black" -> Fill.BLACK;
                    case "edge" -> Fill.EDGE;
                    default -> throw new IllegalArgumentException("fill \"" + fill
                            + "\" unknown, expected black or edge");
                });
    }

    private static double number(JsonNode n, String key) {
        JsonNode v = n.get(key);
        if (v == null || !v.isNumber()) {
            throw new IllegalArgumentException("\"" + key + "\" must be a number, found " + v);
        }
        return v.doubleValue();
    }

    private static boolean bool(JsonNode n, String key, boolean absent) {
        JsonNode v = n.get(key);
        if (v == null) {
            return absent;
        }
        if (!v.isBoolean()) {
            throw new IllegalArgumentException("\"" + key + "\" must be true or false, found " + v);
        }
        return v.booleanValue();
    }

    private static String text(JsonNode n, String key, String absent) {
        JsonNode v = n.get(key);
        if (v == null) {
            return absent;
        }
        if (!v.isTextual()) {
            throw new IllegalArgumentException("\"" + key + "\" must be a string, found " + v);
        }
        return v.textValue();
    }

    /**
     * The face detector whose boxes this crop's numbers refer to, as the face stage of detection runs it (and dfd
     * train --faces, so that training cuts what detection will cut): one ONNX Runtime thread, since the stage runs on
     * every decode thread at once.
     */
    public FaceDetectorOptions detectorOptions(int maxFaces, int minFaceSize) {
        return FaceDetectorOptions.DEFAULT.withModel(detector).withMaxFaces(maxFaces).withMinFaceSize(minFaceSize)
                .withIntraOpThreads(1);
    }

    /** The crop's width and height in source pixels for {@code face}. */
    double[] sourceSize(Face face) {
        Face.Box b = face.box();
        return square ? new double[] {scale * Math.max(b.width(), b.height()), scale * Math.max(b.width(), b.height())}
                : new double[] {scale * b.width(), scale * b.height()};
    }

    /** The rotation (radians) that levels the eyes, 0 when {@code rotate} is off. */
    double angle(Face face) {
        if (!rotate) {
            return 0;
        }
        Face.Point r = face.keypoint(Face.Keypoint.RIGHT_EYE);
        Face.Point l = face.keypoint(Face.Keypoint.LEFT_EYE);
        return Math.atan2(l.y() - r.y(), l.x() - r.x());
    }

    /**
     * Cuts this crop around {@code face} from {@code image} (the full-resolution image the face was found in) at
     * {@code width} x {@code height}. Each output pixel is the mean of a k x k grid of bilinear samples over its
     * footprint (k = the footprint in source pixels rounded up, at most 8), so reductions are area-averaged and
     * enlargements bilinear; rotated crops sample along the rotated axes.
     */
    public RgbImage cut(RgbImage image, Face face) {
        double[] src = sourceSize(face);
        double a = angle(face);
        double cos = Math.cos(a);
        double sin = Math.sin(a);
        double cx = face.box().centerX();
        double cy = face.box().centerY();
        double sx = src[0] / width; // source pixels per output pixel
        double sy = src[1] / height;
        int kx = (int) Math.min(8, Math.max(1, Math.ceil(sx)));
        int ky = (int) Math.min(8, Math.max(1, Math.ceil(sy)));
        byte[] out = new byte[width * height * 3]; // (height, width, 3)
        double[] acc = new double[3];
        for (int i = 0; i < height; i++) {
            for (int j = 0; j < width; j++) {
                acc[0] = acc[1] = acc[2] = 0;
                for (int ty = 0; ty < ky; ty++) {
                    // offset from the box centre in the crop frame, source pixels
                    double v = (i + (ty + 0.5) / ky) * sy - centerY * src[1];
                    for (int tx = 0; tx < kx; tx++) {
                        double u = (j + (tx + 0.5) / kx) * sx - 0.5 * src[0];
                        double px = cx + u * cos - v * sin;
                        double py = cy + u * sin + v * cos;
                        sample(image, px, py, acc);
                    }
                }
                int o = (i * width + j) * 3;
                for (int c = 0; c < 3; c++) {
                    out[o + c] = (byte) Math.round(acc[c] / (kx * ky));
                }
            }
        }
        return new RgbImage(width, height, out);
    }

    /** {@code image} with {@code margin} pixels of repeated edge pixels on every side (for tests and tools). */
    static RgbImage pad(RgbImage image, int margin) {
        int w = image.width() + 2 * margin;
        int h = image.height() + 2 * margin;
        byte[] out = new byte[w * h * 3];
        for (int y = 0; y < h; y++) {
            int sy = Math.max(0, Math.min(image.height() - 1, y - margin));
            for (int x = 0; x < w; x++) {
                int sx = Math.max(0, Math.min(image.width() - 1, x - margin));
                System.arraycopy(image.pixels(), (sy * image.width() + sx) * 3, out, (y * w + x) * 3, 3);
            }
        }
        return new RgbImage(w, h, out);
    }

    /** Adds the bilinear sample at continuous position (px, py) (pixel edges at integers) to {@code acc}. */
    private void sample(RgbImage img, double px, double py, double[] acc) {
        if (fill == Fill.BLACK && (px < 0 || py < 0 || px >= img.width() || py >= img.height())) {
            return;
        }
        for (int c = 0; c < 3; c++) {
            acc[c] += WindowSampler.bilinearAt(img, px - 0.5, py - 0.5, c);
        }
    }

    /**
     * The crops of the DFDC face data set that models/default was trained on, as measured on its crops: a square of
     * 1.11 full-range BlazeFace box sides with the box centre at 0.54 of the height, 224 x 224, edges repeated. The
     * geometry {@code dfd train} declares for models trained on such crops, and the one faces-on uses for a model
     * that declares none.
     */
    public static final FaceCrop DFDC = new FaceCrop(FaceModel.FULL_RANGE_256, true, 1.11, 0.54, false, 224, 224,
            Fill.EDGE);

    /** This geometry as the dfd_faces.json that {@link #read} reads. */
    public String toJson() {
        var o = Json.MAPPER.createObjectNode();
        o.put("detector", detector == FaceModel.FULL_RANGE_256 ? "full_range_256" : "short_range_128");
        o.put("square", square).put("scale", scale).put("center_y", centerY).put("rotate", rotate);
        o.put("width", width).put("height", height).put("fill", fill == Fill.EDGE ? "edge" : "black");
        try {
            return Json.MAPPER.writerWithDefaultPrettyPrinter().writeValueAsString(o) + "\n";
        } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }
}
