package dev.dfd;

import dev.dfd.io.RgbImage;

/** A change to a decoded image before preprocessing; given the source name so it can be deterministic per image. */
@FunctionalInterface
public interface ImageTransform {
    RgbImage apply(RgbImage image, String source);
}
