package dev.dfd;

/**
 * A decoded 8-bit RGB image, the hand-off between decoding and preprocessing.
 *
 * <pre>{@code
 * RgbImage image = detector.decode(Files.readAllBytes(Path.of("photo.png")));
 * int red = image.get(0, 0, 0);   // the top-left pixel's R, 0-255
 * Prediction p = detector.predict(image);
 * }</pre>
 *
 * @param width  columns
 * @param height rows
 * @param pixels (height, width, 3) row-major, interleaved R,G,B, unsigned bytes
 */
public record RgbImage(int width, int height, byte[] pixels) {
    public RgbImage {
        if (width <= 0 || height <= 0) {
            throw new IllegalArgumentException("image size must be positive, got " + width + "x" + height);
        }
        if (pixels.length != (long) width * height * 3) {
            throw new IllegalArgumentException("expected " + ((long) width * height * 3) + " bytes for "
                    + width + "x" + height + " RGB, got " + pixels.length);
        }
    }

    /** A copy as a TYPE_3BYTE_BGR BufferedImage, for ImageIO encoders. */
    public java.awt.image.BufferedImage toBufferedImage() {
        var bi = new java.awt.image.BufferedImage(width, height, java.awt.image.BufferedImage.TYPE_3BYTE_BGR);
        byte[] dst = ((java.awt.image.DataBufferByte) bi.getRaster().getDataBuffer()).getData(); // (H, W, B G R)
        for (int i = 0; i < pixels.length; i += 3) {
            dst[i] = pixels[i + 2];
            dst[i + 1] = pixels[i + 1];
            dst[i + 2] = pixels[i];
        }
        return bi;
    }

    /** Unsigned value of channel {@code c} at column {@code x}, row {@code y}. */
    public int get(int x, int y, int c) {
        return pixels[(y * width + x) * 3 + c] & 0xFF;
    }
}
