package dev.dfd.internal.preprocess;

import dev.dfd.RgbImage;

/**
 * A slow transformers image processor's {@code preprocess} for one decoded image (the steps are in
 * {@link PreprocessorConfig}): resize (Pillow, to the bit) and center crop on 8-bit pixels, then rescale, normalise
 * (and EfficientNet's offset and second division) in float32, HWC to CHW. Unlike transformers, every image is taken as
 * height x width x channels, so 1- and 3-pixel-high images are not mistaken for channels-first arrays.
 */
public final class ImageProcessor {
    private final PreprocessorConfig config;
    /** Per channel c and byte value v: the finished float32 value, since every step depends on (c, v) alone. */
    private final float[][] lookup = new float[3][256];

    public ImageProcessor(PreprocessorConfig config) {
        this.config = config;
        for (int c = 0; c < 3; c++) {
            float mean = (float) config.imageMean()[c];
            float std = (float) config.imageStd()[c];
            for (int v = 0; v < 256; v++) {
                float x = config.doRescale() ? (float) (v * config.rescaleFactor()) : (float) v;
                if (config.doRescale() && config.rescaleOffset()) {
                    x = x - 1f; // EfficientNet: a float32 array minus the int 1
                }
                if (config.doNormalize()) {
                    x = (x - mean) / std;
                }
                if (config.includeTop()) {
                    x = (x - 0f) / std; // EfficientNet's normalize(mean=0, std=image_std)
                }
                lookup[c][v] = x;
            }
        }
    }

    public PreprocessorConfig config() {
        return config;
    }

    /** Resize and crop, the 8-bit geometric part. */
    public RgbImage resize(RgbImage image) {
        RgbImage out = image;
        if (config.doResize()) {
            int[] hw = config.resizeSize(image.width(), image.height());
            out = Resampler.resize(out, hw[1], hw[0], config.resample());
            if (config.type() == ProcessorType.CONVNEXT
                    && config.shortestEdge() < PreprocessorConfig.CONVNEXT_NO_CROP_FROM) {
                out = centerCrop(out, config.shortestEdge(), config.shortestEdge());
            }
        }
        if (config.doCenterCrop()) {
            out = centerCrop(out, config.cropHeight(), config.cropWidth());
        }
        return out;
    }

    /** pixel_values for one image: float32 (3, H, W). */
    public float[] process(RgbImage image) {
        RgbImage r = resize(image);
        float[] out = new float[3 * r.width() * r.height()];
        toChw(r, out, 0);
        return out;
    }

    /** Writes the rescaled, normalised (3, H, W) planes of an already resized image into {@code dst} at offset. */
    public void toChw(RgbImage resized, float[] dst, int offset) {
        byte[] px = resized.pixels(); // (H, W, 3)
        int plane = resized.width() * resized.height();
        float[] l0 = lookup[0];
        float[] l1 = lookup[1];
        float[] l2 = lookup[2];
        for (int i = 0, p = 0; i < plane; i++, p += 3) {
            dst[offset + i] = l0[px[p] & 0xFF];
            dst[offset + plane + i] = l1[px[p + 1] & 0xFF];
            dst[offset + 2 * plane + i] = l2[px[p + 2] & 0xFF];
        }
    }

    /** transformers' {@code center_crop}: top = floor((H - h) / 2), zero padding where the image is smaller. */
    static RgbImage centerCrop(RgbImage in, int cropHeight, int cropWidth) {
        if (in.width() == cropWidth && in.height() == cropHeight) {
            return in;
        }
        int top = Math.floorDiv(in.height() - cropHeight, 2);
        int left = Math.floorDiv(in.width() - cropWidth, 2);
        byte[] out = new byte[cropHeight * cropWidth * 3];
        byte[] src = in.pixels();
        for (int y = 0; y < cropHeight; y++) {
            int sy = y + top;
            if (sy < 0 || sy >= in.height()) {
                continue;
            }
            for (int x = 0; x < cropWidth; x++) {
                int sx = x + left;
                if (sx < 0 || sx >= in.width()) {
                    continue;
                }
                System.arraycopy(src, (sy * in.width() + sx) * 3, out, (y * cropWidth + x) * 3, 3);
            }
        }
        return new RgbImage(cropWidth, cropHeight, out);
    }
}
