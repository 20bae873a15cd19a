package dev.dfd.internal.model;

/**
 * The model's input, plain Java: pixel_values for a batch of images.
 *
 * @param data     float32 (batch, channels, height, width), row-major
 * @param batch    number of images
 * @param channels 3 for RGB
 * @param height   rows
 * @param width    columns
 */
public record PixelBatch(float[] data, int batch, int channels, int height, int width) {
    public PixelBatch {
        if (batch <= 0 || channels <= 0 || height <= 0 || width <= 0) {
            throw new dev.dfd.DfdException("dimensions must be positive: " + batch + "x" + channels + "x"
                    + height + "x" + width);
        }
        if ((long) batch * channels * height * width != data.length) {
            throw new dev.dfd.DfdException("data has " + data.length + " floats, expected " + batch + "x"
                    + channels + "x" + height + "x" + width);
        }
    }

    public long[] shape() {
        return new long[]{batch, channels, height, width};
    }
}
