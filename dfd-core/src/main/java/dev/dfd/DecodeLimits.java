package dev.dfd;

/**
 * Explicit bounds on untrusted images.
 *
 * <p>The heap one decode may hold is bounded too, by {@link #maxDecodeBytes()} = {@link #BYTES_PER_PIXEL} x
 * {@code maxPixels} (630 MB at the defaults): JPEG (grey and colour) and 8-bit grey or RGB PNG are decoded
 * straight into the result's RGB buffer (3 bytes per pixel) and an EXIF rotation copies it once (3 more); the other
 * layouts (alpha, palette, 16-bit, CMYK, GIF, BMP, TIFF, WebP) first hold their reader's own raster (up to 4 bytes
 * per pixel for 8-bit RGBA or ARGB ints), converted into the RGB buffer. An image whose layout would need more
 * (16-bit samples near the pixel limit) is refused before decoding. Outside the heap, libjpeg keeps a progressive
 * JPEG's coefficients (2 bytes per sample) until the decode ends.
 *
 * <pre>{@code
 * DetectorOptions strict = DetectorOptions.DEFAULTS.withLimits(new DecodeLimits(20L << 20, 25_000_000L));
 * try (Detector detector = Detector.load(Path.of("models/default"), strict)) {
 *     DetectionResult r = detector.detect(Path.of("upload.jpg"));   // a 30 MB file: Failure, "over the limit"
 * }
 * }</pre>
 *
 * @param maxBytes  largest encoded file accepted
 * @param maxPixels largest width x height accepted, checked from the header before any pixel is decoded (like
 *                  Pillow's decompression-bomb guard)
 */
public record DecodeLimits(long maxBytes, long maxPixels) {
    /** 256 MiB of encoded bytes, 90 million pixels. */
    public static final DecodeLimits DEFAULT = new DecodeLimits(256L << 20, 90_000_000L);
    /** Heap bytes per pixel a decode may hold at once: a 4-byte reader raster plus the 3-byte RGB result. */
    public static final int BYTES_PER_PIXEL = 7;

    /** The most heap one decode may hold at once: {@link #BYTES_PER_PIXEL} x {@code maxPixels}. */
    public long maxDecodeBytes() {
        return Math.multiplyExact(maxPixels, (long) BYTES_PER_PIXEL);
    }

    public DecodeLimits {
        if (maxBytes <= 0 || maxPixels <= 0) {
            throw new dev.dfd.DfdException("limits must be positive: maxBytes=" + maxBytes + ", maxPixels=" + maxPixels);
        }
    }
}
