package dev.dfd.internal.preprocess;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.dfd.DfdException;
import dev.dfd.internal.Json;

import java.nio.file.Path;
import java.util.Arrays;

/**
 * {@code preprocessor_config.json}, read as the transformers (4.50) image processor it names reads it: the class in
 * {@code image_processor_type} (or the legacy {@code feature_extractor_type}; ViTImageProcessor when neither is
 * there), that class's defaults for absent fields, and its reading of {@code size}. See {@link ProcessorType} for the
 * processors dfd implements; any other one is refused with its name rather than guessed.
 *
 * <p>The steps, in transformers' order: resize ({@link ProcessorType.Resize}), center crop (DeiT, BEiT, Bit, CLIP,
 * EfficientNet: top = floor((H - h) / 2), zero padding where the image is smaller), rescale
 * {@code float32(double(u8) * rescale_factor)} (EfficientNet's {@code rescale_offset} then subtracts 1 in float32),
 * normalise {@code (x - float32(mean)) / float32(std)} in float32, and for EfficientNet's {@code include_top} a second
 * division by {@code float32(std)}.
 *
 * @param processorType  the class name as written in the file ({@code ViTImageProcessor} when absent)
 * @param type           the processor dfd runs for it
 * @param doResize       resize before anything else
 * @param height         target height when the size is {@code (height, width)}, else 0
 * @param width          target width when the size is {@code (height, width)}, else 0
 * @param shortestEdge   {@code size.shortest_edge} (CLIP, Bit, ConvNeXt), else 0
 * @param cropPct        ConvNeXt's {@code crop_pct} (0 for the other processors)
 * @param resample       the Pillow filter
 * @param doCenterCrop   crop the center after resizing (never for processors without a crop step)
 * @param cropHeight     crop height (when cropping)
 * @param cropWidth      crop width (when cropping)
 * @param doRescale      multiply by {@code rescaleFactor}
 * @param rescaleFactor  usually 1/255
 * @param rescaleOffset  EfficientNet: subtract 1 after rescaling
 * @param doNormalize    subtract mean, divide by std, per channel
 * @param imageMean      per channel, as written in the file (cast to float32 when applied, like NumPy)
 * @param imageStd       per channel
 * @param includeTop     EfficientNet: divide by std a second time
 */
public record PreprocessorConfig(String processorType, ProcessorType type, boolean doResize, int height, int width,
                                 int shortestEdge, double cropPct, Resample resample, boolean doCenterCrop,
                                 int cropHeight, int cropWidth, boolean doRescale, double rescaleFactor,
                                 boolean rescaleOffset, boolean doNormalize, double[] imageMean, double[] imageStd,
                                 boolean includeTop) {
    public static final String FILE_NAME = "preprocessor_config.json";
    /** ConvNextImageProcessor's default {@code crop_pct}. */
    public static final double CONVNEXT_CROP_PCT = 224.0 / 256.0;
    /** ConvNeXt crops below this {@code shortest_edge} and warps without cropping at and above it. */
    public static final int CONVNEXT_NO_CROP_FROM = 384;
    static final double[] HALF = {0.5, 0.5, 0.5};
    /** The largest size (and ConvNeXt resize edge) a config may ask for. */
    static final int MAX_SIZE = 16384;

    public PreprocessorConfig {
        if (doResize) {
            switch (type.resize) {
                case HEIGHT_WIDTH -> {
                    if (height <= 0 || width <= 0) {
                        throw new IllegalArgumentException(type.className + " resizes to a positive height and width");
                    }
                }
                case CONVNEXT -> {
                    if (shortestEdge <= 0 || !(cropPct > 0 && cropPct < Double.POSITIVE_INFINITY)) {
                        throw new IllegalArgumentException(type.className
                                + " needs a positive shortest_edge and crop_pct");
                    }
                }
                case SHORTEST_EDGE_OR_HEIGHT_WIDTH -> {
                    if (shortestEdge <= 0 && (height <= 0 || width <= 0)) {
                        throw new IllegalArgumentException(type.className
                                + " needs a positive shortest_edge or height and width");
                    }
                }
            }
        }
        if (doCenterCrop && !type.hasCenterCrop) {
            throw new IllegalArgumentException(type.className + " has no center crop step");
        }
        if (doCenterCrop && (cropHeight <= 0 || cropWidth <= 0)) {
            throw new IllegalArgumentException("center crop needs a positive crop size");
        }
        if ((rescaleOffset || includeTop) && type != ProcessorType.EFFICIENTNET) {
            throw new IllegalArgumentException("rescale_offset and include_top belong to EfficientNetImageProcessor");
        }
        if (imageMean.length != 3 || imageStd.length != 3) {
            throw new IllegalArgumentException("image_mean and image_std need 3 values each");
        }
        for (double s : imageStd) {
            if ((doNormalize || includeTop) && s == 0.0) {
                throw new IllegalArgumentException("image_std must not contain 0");
            }
        }
        imageMean = imageMean.clone();
        imageStd = imageStd.clone();
    }

    /** The ViTImageProcessor defaults at the given square size. */
    public static PreprocessorConfig vitDefaults(int size) {
        return new PreprocessorConfig(ProcessorType.VIT.className, ProcessorType.VIT, true, size, size, 0, 0,
                Resample.BILINEAR, false, 0, 0, true, 1.0 / 255.0, false, true, HALF, HALF, false);
    }

    public static PreprocessorConfig read(Path file) {
        return fromJson(Json.readObject(file), file);
    }

    /** The config in {@code o}, read from {@code file}; any problem is a DfdException naming the file. */
    public static PreprocessorConfig fromJson(ObjectNode o, Path file) {
        try {
            return parse(o, file);
        } catch (IllegalArgumentException e) {
            throw new DfdException(file + ": " + Json.oneLine(e.getMessage()));
        }
    }

    static PreprocessorConfig parse(ObjectNode o, Path file) {
        String name = Json.string(o, "image_processor_type", null, file);
        if (name == null) {
            name = Json.string(o, "feature_extractor_type", ProcessorType.VIT.className, file);
        }
        ProcessorType type;
        try {
            type = ProcessorType.ofClassName(name);
        } catch (IllegalArgumentException e) {
            throw new DfdException(file + ": " + Json.oneLine(e.getMessage())); // the name is the file's, any text
        }

        boolean doResize = Json.bool(o, "do_resize", true, file);
        int height = type.defaultHeight;
        int width = type.defaultWidth;
        int shortest = type.defaultShortestEdge;
        JsonNode size = o.get("size");
        if (size != null && !size.isNull()) {
            int[] hw = sizeDict(size, "size", type.resize == ProcessorType.Resize.HEIGHT_WIDTH, file);
            height = hw[0];
            width = hw[1];
            shortest = hw[2];
            if (type.resize == ProcessorType.Resize.HEIGHT_WIDTH && shortest > 0) {
                throw new DfdException(file + ": " + type.className + " needs \"size\" as {\"height\", \"width\"}"
                        + " or an int, found " + size);
            }
            if (type.resize == ProcessorType.Resize.CONVNEXT && shortest == 0) {
                throw new DfdException(file + ": " + type.className + " needs \"size\" as {\"shortest_edge\"}"
                        + " or an int, found " + size);
            }
        }
        double cropPct = 0;
        if (type.resize == ProcessorType.Resize.CONVNEXT) {
            cropPct = Json.number(o, "crop_pct", CONVNEXT_CROP_PCT, file);
            if (!(cropPct > 0 && cropPct <= 16)) {
                throw new DfdException(file + ": \"crop_pct\" must be a positive number, found " + o.get("crop_pct"));
            }
            // below 384 the short side is first resized to shortest_edge / crop_pct: bounded like every size
            if (shortest < CONVNEXT_NO_CROP_FROM && shortest / cropPct > MAX_SIZE) {
                throw new DfdException(file + ": \"crop_pct\" " + cropPct + " resizes to a short side of "
                        + (long) (shortest / cropPct) + " pixels, over " + MAX_SIZE);
            }
        }
        int resampleId = (int) Json.number(o, "resample", type.defaultResample.pillowId, file);
        Resample resample;
        try {
            resample = Resample.ofPillowId(resampleId);
        } catch (IllegalArgumentException e) {
            throw new DfdException(file + ": " + e.getMessage());
        }
        boolean doCrop = false;
        int cropH = 0;
        int cropW = 0;
        if (type.hasCenterCrop) { // the others have no crop step and ignore these fields, as transformers does
            doCrop = Json.bool(o, "do_center_crop", type.defaultDoCenterCrop, file);
            JsonNode crop = o.get("crop_size");
            if (doCrop) {
                if (crop == null || crop.isNull()) {
                    cropH = cropW = type.defaultCrop;
                } else {
                    int[] hw = sizeDict(crop, "crop_size", true, file);
                    if (hw[2] > 0) {
                        throw new DfdException(file + ": \"crop_size\" must be an int or {\"height\", \"width\"},"
                                + " found " + crop);
                    }
                    cropH = hw[0];
                    cropW = hw[1];
                }
            }
        }
        boolean doRescale = Json.bool(o, "do_rescale", true, file);
        double factor = Json.number(o, "rescale_factor", 1.0 / 255.0, file);
        boolean doNormalize = Json.bool(o, "do_normalize", true, file);
        double[] mean = triple(o.get("image_mean"), type.stats.mean, "image_mean", file);
        double[] std = triple(o.get("image_std"), type.stats.std, "image_std", file);
        boolean efficientNet = type == ProcessorType.EFFICIENTNET;
        boolean offset = efficientNet && Json.bool(o, "rescale_offset", false, file);
        boolean includeTop = efficientNet && Json.bool(o, "include_top", true, file);
        return new PreprocessorConfig(name, type, doResize, height, width, shortest, cropPct, resample, doCrop,
                cropH, cropW, doRescale, factor, offset, doNormalize, mean, std, includeTop);
    }

    /**
     * transformers' {@code get_size_dict}: an int is N x N when {@code defaultToSquare}, else a shortest edge; a
     * two-element list is (height, width); a dict must be {@code {height, width}} or {@code {shortest_edge}}.
     *
     * @return {height, width, shortest_edge}, the unused ones 0
     */
    private static int[] sizeDict(JsonNode size, String field, boolean defaultToSquare, Path file) {
        if (size.isIntegralNumber()) {
            int n = positive(size, field, file);
            return defaultToSquare ? new int[]{n, n, 0} : new int[]{0, 0, n};
        }
        if (size.isArray() && size.size() == 2) {
            return new int[]{positive(size.get(0), field + "[0]", file), positive(size.get(1), field + "[1]", file), 0};
        }
        if (size.isObject() && size.size() == 2 && size.has("height") && size.has("width")) {
            return new int[]{positive(size.get("height"), field + ".height", file),
                    positive(size.get("width"), field + ".width", file), 0};
        }
        if (size.isObject() && size.size() == 1 && size.has("shortest_edge")) {
            return new int[]{0, 0, positive(size.get("shortest_edge"), field + ".shortest_edge", file)};
        }
        throw new DfdException(file + ": \"" + field + "\" must be an int, {\"height\", \"width\"} or"
                + " {\"shortest_edge\"}, found " + size);
    }

    private static int positive(JsonNode n, String field, Path file) {
        if (n == null || !n.isIntegralNumber() || !n.canConvertToInt() || n.asInt() <= 0 || n.asInt() > MAX_SIZE) {
            throw new DfdException(file + ": \"" + field + "\" must be a positive integer up to " + MAX_SIZE
                    + ", found " + n);
        }
        return n.asInt();
    }

    /** A per-channel triple; a single number applies to all three channels, as transformers broadcasts it. */
    private static double[] triple(JsonNode n, double[] fallback, String field, Path file) {
        if (n == null || n.isNull()) {
            return fallback.clone();
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

    /** The (height, width) the resize step makes from an image of this size, before any crop. */
    int[] resizeSize(int imageWidth, int imageHeight) {
        return switch (type.resize) {
            case HEIGHT_WIDTH -> new int[]{height, width};
            case SHORTEST_EDGE_OR_HEIGHT_WIDTH -> shortestEdge > 0
                    ? shortestEdgeSize(shortestEdge, imageWidth, imageHeight) : new int[]{height, width};
            case CONVNEXT -> shortestEdge < CONVNEXT_NO_CROP_FROM
                    ? shortestEdgeSize(convNextResizeEdge(), imageWidth, imageHeight)
                    : new int[]{shortestEdge, shortestEdge};
        };
    }

    /** ConvNeXt below 384: the short side before the crop, {@code int(shortest_edge / crop_pct)} in doubles. */
    int convNextResizeEdge() {
        return (int) (shortestEdge / cropPct);
    }

    /** The (height, width) of pixel_values for an image of this size. */
    public int[] outputSize(int imageWidth, int imageHeight) {
        int[] fixed = fixedOutputSize();
        if (fixed != null) {
            return fixed;
        }
        return doResize ? resizeSize(imageWidth, imageHeight) : new int[]{imageHeight, imageWidth};
    }

    /** The fixed (height, width) of pixel_values, or null when it depends on the image. */
    public int[] fixedOutputSize() {
        if (doCenterCrop) {
            return new int[]{cropHeight, cropWidth};
        }
        if (!doResize) {
            return null;
        }
        return switch (type.resize) {
            case HEIGHT_WIDTH -> new int[]{height, width};
            case SHORTEST_EDGE_OR_HEIGHT_WIDTH -> shortestEdge > 0 ? null : new int[]{height, width};
            case CONVNEXT -> new int[]{shortestEdge, shortestEdge};
        };
    }

    /**
     * transformers' {@code get_resize_output_image_size(size=int, default_to_square=False)}: the short side to
     * {@code size}, the long side to {@code int(size * long / short)} (a double division, truncated).
     *
     * @return (height, width)
     */
    static int[] shortestEdgeSize(int size, int imageWidth, int imageHeight) {
        int shortSide = Math.min(imageWidth, imageHeight);
        int longSide = Math.max(imageWidth, imageHeight);
        int newLong = (int) ((double) size * longSide / shortSide);
        return imageWidth <= imageHeight ? new int[]{newLong, size} : new int[]{size, newLong};
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
                + (shortestEdge > 0 ? " shortest_edge=" + shortestEdge : "")
                + (cropPct > 0 ? " crop_pct=" + cropPct : "") + " " + resample
                + (doCenterCrop ? ", crop=" + cropHeight + "x" + cropWidth : "")
                + ", rescale=" + doRescale + " " + rescaleFactor + (rescaleOffset ? " offset -1" : "")
                + ", normalize=" + doNormalize + " mean=" + Arrays.toString(imageMean)
                + " std=" + Arrays.toString(imageStd) + (includeTop ? ", include_top" : "") + "]";
    }
}
