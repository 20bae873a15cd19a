package dev.dfd.io;

/**
 * Explicit bounds on untrusted images.
 *
 * @param maxBytes  largest encoded file accepted
 * @param maxPixels largest width x height accepted, checked from the header before any pixel is decoded (like
 *                  Pillow's decompression-bomb guard)
 */
public record DecodeLimits(long maxBytes, long maxPixels) {
    /** 256 MiB of encoded bytes, 90 million pixels. */
    public static final DecodeLimits DEFAULT = new DecodeLimits(256L << 20, 90_000_000L);

    public DecodeLimits {
        if (maxBytes <= 0 || maxPixels <= 0) {
            throw new dev.dfd.DfdException("limits must be positive: maxBytes=" + maxBytes + ", maxPixels=" + maxPixels);
        }
    }
}
