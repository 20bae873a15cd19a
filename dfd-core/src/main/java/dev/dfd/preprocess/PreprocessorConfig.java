package dev.dfd.preprocess;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.dfd.DfdException;
import dev.dfd.Json;

import java.nio.file.Path;
import java.util.Arrays;

/**
 * {@code preprocessor_config.json}, read as transformers' slow {@code ViTImageProcessor} reads it, with its defaults
 * for absent fields: resize to 224x224 with bilinear, rescale by 1/255, normalise with mean = std = 0.5.
 *
 * <p>{@code size} may be {@code {"height", "width"}}, a legacy int N (N x N), or {@code {"shortest_edge": N}}
 * (the short side to N, aspect kept, as DeiT/ConvNeXt processors do); an optional center crop follows
 * ({@code do_center_crop}, {@code crop_size}).
 *
 * @param processorType  {@code image_processor_type} or legacy {@code feature_extractor_type}, for the record
 * @param doResize       resize before anything else
 * @param height         target height when the size is fixed, else 0
 * @param width          target width when the size is fixed, else 0
 * @param shortestEdge   target short side when {@code size} is {@code {"shortest_edge"}}, else 0
 * @param resample       the Pillow filter
 * @param doCenterCrop   crop the center after resizing
 * @param cropHeight     crop height (when cropping)
 * @param cropWidth      crop width (when cropping)
 * @param doRescale      multiply by {@code rescaleFactor}
 * @param rescaleFactor  usually 1/255
 * @param doNormalize    subtract mean, divide by std, per channel
 * @param imageMean      per channel, as written in the file (cast to float32 when applied, like NumPy)
 * @param imageStd       per channel
 */
public record PreprocessorConfig(String processorType, boolean doResize, int height, int width, int shortestEdge,
                                 Resample resample, boolean doCenterCrop, int cropHeight, int cropWidth,
                                 boolean doRescale, double rescaleFactor, boolean doNormalize,
                                 double[] imageMean, double[] imageStd) {
    public static final String FILE_NAME = "preprocessor_config.json";
    static final double[] HALF = {0.5, 0.5, 0.5};

    public PreprocessorConfig {
        if (doResize && shortestEdge <= 0 && (height <= 0 || width <= 0)) {
            throw new IllegalArgumentException("resize needs a positive height and width or a shortest edge");
        }
        if (doCenterCrop && (cropHeight <= 0 || cropWidth <= 0)) {
            throw new IllegalArgumentException("center crop needs a positive crop size");
        }
        if (imageMean.length != 3 || imageStd.length != 3) {
            throw new IllegalArgumentException("image_mean and image_std need 3 values each");
        }
        for (double s : imageStd) {
            if (doNormalize && s == 0.0) {
                throw new IllegalArgumentException("image_std must not contain 0");
            }
        }
        imageMean = imageMean.clone();
        imageStd = imageStd.clone();
    }

    /** The ViTImageProcessor defaults at the given square size. */
    public static PreprocessorConfig vitDefaults(int size) {
        return new PreprocessorConfig("ViTImageProcessor", true, size, size, 0, Resample.BILINEAR, false, 0, 0,
                true, 1.0 / 255.0, true, HALF, HALF);
    }

    public static PreprocessorConfig read(Path file) {
        ObjectNode o = Json.readObject(file);
        try {
            return parse(o, file);
        } catch (IllegalArgumentException e) {
            throw new DfdException(file + ": " + e.getMessage());
        }
    }

    static PreprocessorConfig parse(ObjectNode o, Path file) {
        String type = Json.string(o, "image_processor_type", null, file);
        if (type == null) {
            type = Json.string(o, "feature_extractor_type", "ViTImageProcessor", file);
        }
        boolean doResize = Json.bool(o, "do_resize", true, file);
        int height = 224;
        int width = 224;
        int shortest = 0;
        JsonNode size = o.get("size");
        if (size != null && !size.isNull()) {
            if (size.isIntegralNumber()) {
                height = width = positive(size, "size", file);
            } else if (size.isObject() && size.has("height") && size.has("width")) {
                height = positive(size.get("height"), "size.height", file);
                width = positive(size.get("width"), "size.width", file);
            } else if (size.isObject() && size.has("shortest_edge")) {
                shortest = positive(size.get("shortest_edge"), "size.shortest_edge", file);
                height = width = 0;
            } else {
                throw new DfdException(file + ": \"size\" must be an int, {\"height\", \"width\"} or"
                        + " {\"shortest_edge\"}, found " + size);
            }
        }
        int resampleId = (int) Json.number(o, "resample", Resample.BILINEAR.pillowId, file);
        Resample resample;
        try {
            resample = Resample.ofPillowId(resampleId);
        } catch (IllegalArgumentException e) {
            throw new DfdException(file + ": " + e.getMessage());
        }
        boolean doCrop = Json.bool(o, "do_center_crop", false, file);
        int cropH = 0;
        int cropW = 0;
        JsonNode crop = o.get("crop_size");
        if (doCrop) {
            if (crop != null && crop.isIntegralNumber()) {
                cropH = cropW = positive(crop, "crop_size", file);
            } else if (crop != null && crop.isObject() && crop.has("height") && crop.has("width")) {
                cropH = positive(crop.get("height"), "crop_size.height", file);
                cropW = positive(crop.get("width"), "crop_size.width", file);
            } else {
                throw new DfdException(file + ": do_center_crop needs \"crop_size\" as an int or"
                        + " {\"height\", \"width\"}, found " + crop);
            }
        }
        boolean doRescale = Json.bool(o, "do_rescale", true, file);
        double factor = Json.number(o, "rescale_factor", 1.0 / 255.0, file);
        boolean doNormalize = Json.bool(o, "do_normalize", true, file);
        double[] mean = triple(o.get("image_mean"), "image_mean", file);
        double[] std = triple(o.get("image_std"), "image_std", file);
        return new PreprocessorConfig(type, doResize, height, width, shortest, resample, doCrop, cropH, cropW,
                doRescale, factor, doNormalize, mean, std);
    }

    private static int positive(JsonNode n, String field, Path file) {
        if (n == null || !n.isIntegralNumber() || n.asLong() <= 0 || n.asLong() > 16384) {
            throw new DfdException(file + ": \"" + field + "\" must be a positive integer up to 16384, found " + n);
        }
        return n.asInt();
    }

    /** A per-channel triple; a single number applies to all three channels, as transformers broadcasts it. */
    private static double[] triple(JsonNode n, String field, Path file) {
        if (n == null || n.isNull()) {
            return HALF.clone();
        }
        if (n.isNumber()) {
            return new double[]{n.doubleValue(), n.doubleValue(), n.doubleValue()};
        }
        if (n.isArray() && n.size() == 3) {
            double[] v = new double[3];
            for (int i = 0; i < 3; i++) {
                if (!n.get(i).isNumber()) {
                    throw new DfdException(file + ": \"" + field + "\" must hold numbers, found " + n);
                }
                v[i] = n.get(i).doubleValue();
            }
            return v;
        }
        throw new DfdException(file + ": \"" + field + "\" must be 3 numbers (one per RGB channel), found " + n);
    }

    /** The (height, width) of pixel_values for an image of this size. */
    public int[] outputSize(int imageWidth, int imageHeight) {
        if (doCenterCrop) {
            return new int[]{cropHeight, cropWidth};
        }
        if (!doResize) {
            return new int[]{imageHeight, imageWidth};
        }
        if (shortestEdge > 0) {
            return shortestEdgeSize(imageWidth, imageHeight);
        }
        return new int[]{height, width};
    }

    /** The fixed (height, width) of pixel_values, or null when it depends on the image. */
    public int[] fixedOutputSize() {
        if (doCenterCrop) {
            return new int[]{cropHeight, cropWidth};
        }
        if (doResize && shortestEdge == 0) {
            return new int[]{height, width};
        }
        return null;
    }

    /** transformers' {@code get_resize_output_image_size(size=int, default_to_square=False)}: (height, width). */
    int[] shortestEdgeSize(int imageWidth, int imageHeight) {
        int shortSide = Math.min(imageWidth, imageHeight);
        int longSide = Math.max(imageWidth, imageHeight);
        int newLong = (int) ((double) shortestEdge * longSide / shortSide);
        return imageWidth <= imageHeight ? new int[]{newLong, shortestEdge} : new int[]{shortestEdge, newLong};
    }

    @Override
    public boolean equals(Object other) {
        return other instanceof PreprocessorConfig p && toString().equals(p.toString());
    }

    @Override
    public int hashCode() {
        return toString().hashCode();
    }

    @Override
    public String toString() {
        return "PreprocessorConfig[" + processorType + ", resize=" + doResize + " " + height + "x" + width
                + (shortestEdge > 0 ? " shortest_edge=" + shortestEdge : "") + " " + resample
                + (doCenterCrop ? ", crop=" + cropHeight + "x" + cropWidth : "")
                + ", rescale=" + doRescale + " " + rescaleFactor + ", normalize=" + doNormalize
                + " mean=" + Arrays.toString(imageMean) + " std=" + Arrays.toString(imageStd) + "]";
    }
}
