package dev.dfd.internal.io;

import com.code_intelligence.jazzer.junit.FuzzTest;
import dev.dfd.DecodeLimits;
import dev.dfd.FuzzChecks;
import dev.dfd.RgbImage;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Every format dfd decodes (JPEG, PNG, GIF, BMP, WebP, TIFF; the seed corpus holds small files of each, with EXIF
 * orientations, CMYK, palettes, alpha, animation) through the public entry point: container parsing, EXIF, the pixel
 * limit, the ImageIO readers and libwebp, the conversion to RGB and the orientation transpose.
 */
class ImageDecoderFuzzTest {
    /** Small limits keep one run fast and bound its memory; the limit checks run exactly as with the defaults. */
    static final DecodeLimits LIMITS = new DecodeLimits(1 << 20, 1 << 22);
    private static final ImageDecoder DECODER = new ImageDecoder(LIMITS);

    @FuzzTest(maxDuration = "3s")
    void decode(byte[] file) {
        RgbImage image = FuzzChecks.resultOrRefusal(() -> DECODER.decode(file));
        if (image != null) {
            assertTrue((long) image.width() * image.height() <= LIMITS.maxPixels(), "decoded past the pixel limit");
            assertEquals((long) image.width() * image.height() * 3, image.pixels().length);
        }
    }
}
