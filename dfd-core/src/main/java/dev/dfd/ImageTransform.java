package dev.dfd;

/**
 * A change to a decoded image before preprocessing; given the source name so it can be deterministic per image.
 *
 * <pre>{@code
 * // every image at half size before the model sees it (a robustness check)
 * ImageTransform half = (image, source) -> Perturbation.parse("downscale:0.5").apply(image, source.hashCode());
 * detector.detectAll(sources.iterator(), Decision.DEFAULT, half, results::add);
 * }</pre>
 */
@FunctionalInterface
public interface ImageTransform {
    RgbImage apply(RgbImage image, String source);
}
