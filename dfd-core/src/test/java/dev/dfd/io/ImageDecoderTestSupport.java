package dev.dfd.io;

import java.io.IOException;

/** Helpers other modules' tests share (the test-jar exports them). */
public final class ImageDecoderTestSupport {
    private ImageDecoderTestSupport() {
    }

    /** A tiny valid PNG whose header claims width x height. */
    public static byte[] pngClaiming(int width, int height) throws IOException {
        return ImageDecoderTest.pngClaiming(width, height);
    }
}
