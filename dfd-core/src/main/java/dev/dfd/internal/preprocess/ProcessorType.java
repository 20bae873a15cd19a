package dev.dfd.internal.preprocess;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * The slow (PIL-based) transformers image processors dfd reproduces, with each one's defaults for fields a
 * {@code preprocessor_config.json} leaves out and the way it reads {@code size} (transformers 4.50).
 *
 * <p>How each one resizes:
 * <ul>
 *   <li>{@link Resize#HEIGHT_WIDTH}: to {@code (height, width)}, aspect not kept (ViT, DeiT, BEiT, SigLIP,
 *       EfficientNet). An int {@code size} N means N x N.</li>
 *   <li>{@link Resize#SHORTEST_EDGE_OR_HEIGHT_WIDTH}: the short side to {@code shortest_edge}, aspect kept
 *       ({@code get_resize_output_image_size(default_to_square=False)}), or to {@code (height, width)} (CLIP, Bit).
 *       An int {@code size} N means shortest edge N.</li>
 *   <li>{@link Resize#CONVNEXT}: {@code shortest_edge} below 384: the short side to {@code int(shortest_edge /
 *       crop_pct)}, aspect kept, then a center crop to {@code shortest_edge} squared; 384 and above: straight to
 *       {@code shortest_edge} squared, no crop. An int {@code size} N means shortest edge N.</li>
 * </ul>
 */
public enum ProcessorType {
    //   name                          resize                               default size  resample        crop   mean/std
    VIT("ViTImageProcessor", Resize.HEIGHT_WIDTH, 224, 224, 0, Resample.BILINEAR, false, 0, Stats.STANDARD),
    DEIT("DeiTImageProcessor", Resize.HEIGHT_WIDTH, 256, 256, 0, Resample.BICUBIC, true, 224, Stats.STANDARD),
    BEIT("BeitImageProcessor", Resize.HEIGHT_WIDTH, 256, 256, 0, Resample.BICUBIC, true, 224, Stats.STANDARD),
    SIGLIP("SiglipImageProcessor", Resize.HEIGHT_WIDTH, 224, 224, 0, Resample.BICUBIC, false, 0, Stats.STANDARD),
    EFFICIENTNET("EfficientNetImageProcessor", Resize.HEIGHT_WIDTH, 346, 346, 0, Resample.NEAREST, false, 289,
            Stats.STANDARD),
    CONVNEXT("ConvNextImageProcessor", Resize.CONVNEXT, 0, 0, 384, Resample.BICUBIC, false, 0, Stats.STANDARD),
    BIT("BitImageProcessor", Resize.SHORTEST_EDGE_OR_HEIGHT_WIDTH, 0, 0, 224, Resample.BICUBIC, true, 224,
            Stats.CLIP),
    CLIP("CLIPImageProcessor", Resize.SHORTEST_EDGE_OR_HEIGHT_WIDTH, 0, 0, 224, Resample.BICUBIC, true, 224,
            Stats.CLIP);

    /** How {@code size} is read and applied. */
    public enum Resize { HEIGHT_WIDTH, SHORTEST_EDGE_OR_HEIGHT_WIDTH, CONVNEXT }

    /** Default normalisation statistics: transformers' IMAGENET_STANDARD (0.5) and OPENAI_CLIP constants. */
    enum Stats {
        STANDARD(new double[]{0.5, 0.5, 0.5}, new double[]{0.5, 0.5, 0.5}),
        CLIP(new double[]{0.48145466, 0.4578275, 0.40821073}, new double[]{0.26862954, 0.26130258, 0.27577711});

        final double[] mean;
        final double[] std;

        Stats(double[] mean, double[] std) {
            this.mean = mean;
            this.std = std;
        }
    }

    /** The class name as {@code image_processor_type} spells it. */
    public final String className;
    public final Resize resize;
    final int defaultHeight;
    final int defaultWidth;
    final int defaultShortestEdge;
    final Resample defaultResample;
    /** The processor has a center-crop step; its {@code do_center_crop} default. */
    final boolean hasCenterCrop;
    final boolean defaultDoCenterCrop;
    /** Default square {@code crop_size}, 0 when the processor has none. */
    final int defaultCrop;
    final Stats stats;

    ProcessorType(String className, Resize resize, int defaultHeight, int defaultWidth, int defaultShortestEdge,
                  Resample defaultResample, boolean defaultDoCenterCrop, int defaultCrop, Stats stats) {
        this.className = className;
        this.resize = resize;
        this.defaultHeight = defaultHeight;
        this.defaultWidth = defaultWidth;
        this.defaultShortestEdge = defaultShortestEdge;
        this.defaultResample = defaultResample;
        this.hasCenterCrop = defaultCrop > 0;
        this.defaultDoCenterCrop = defaultDoCenterCrop;
        this.defaultCrop = defaultCrop;
        this.stats = stats;
    }

    /**
     * The processor named by {@code image_processor_type} or the legacy {@code feature_extractor_type} (whose
     * {@code XFeatureExtractor} classes are the {@code XImageProcessor} ones under an old name).
     *
     * @throws IllegalArgumentException naming the processor when dfd does not implement it
     */
    public static ProcessorType ofClassName(String name) {
        String slow = name.endsWith("FeatureExtractor")
                ? name.substring(0, name.length() - "FeatureExtractor".length()) + "ImageProcessor" : name;
        for (ProcessorType t : values()) {
            if (t.className.equals(slow)) {
                return t;
            }
        }
        if (name.endsWith("Fast")) {
            String base = name.substring(0, name.length() - 4);
            for (ProcessorType t : values()) {
                if (t.className.equals(base)) {
                    throw new IllegalArgumentException("image processor " + name + " (torchvision) is not"
                            + " implemented: dfd reproduces the slow PIL-based " + base + "; set"
                            + " \"image_processor_type\": \"" + base + "\" to use it");
                }
            }
        }
        throw new IllegalArgumentException("image processor " + name + " is not implemented by dfd (it implements "
                + String.join(", ", names()) + ")");
    }

    static List<String> names() {
        List<String> names = new ArrayList<>();
        for (ProcessorType t : values()) {
            names.add(t.className);
        }
        return names;
    }

    /** The lower-case family name, for display. */
    public String family() {
        return name().toLowerCase(Locale.ROOT);
    }
}
