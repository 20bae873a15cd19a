package dev.dfd.internal.io;

import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.util.Random;
import javax.imageio.ImageIO;

/** Helpers other modules' tests share (the test-jar exports them). */
public final class ImageDecoderTestSupport {
    private ImageDecoderTestSupport() {
    }

    /** A tiny valid PNG whose header claims width x height. */
    public static byte[] pngClaiming(int width, int height) throws IOException {
        return ImageDecoderTest.pngClaiming(width, height);
    }

    /**
     * A baseline JPEG whose frame header claims width x height, padded with comment segments to the smallest size a
     * complete file of that size could have (one bit per 8x8 block): it passes every check on the header and fails
     * only when decoded, its scan data (64x64 noise) ending long before the claimed pixels do.
     */
    public static byte[] jpegClaiming(int width, int height) throws IOException {
        byte[] tiny = tinyJpegClaiming(width, height);
        long least = ImageHeader.smallestFile(ImageFormat.JPEG, width, height);
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        out.write(tiny, 0, 2); // SOI
        for (long padded = tiny.length; padded < least; padded += 65_537) {
            out.write(new byte[]{(byte) 0xFF, (byte) 0xFE, (byte) 0xFF, (byte) 0xFF}); // COM of 65,533 bytes
            out.write(new byte[65_533]);
        }
        out.write(tiny, 2, tiny.length - 2);
        return out.toByteArray();
    }

    /** The same claim in a few KB, too small to be a complete file of that size. */
    public static byte[] tinyJpegClaiming(int width, int height) throws IOException {
        BufferedImage noise = new BufferedImage(64, 64, BufferedImage.TYPE_3BYTE_BGR);
        Random r = new Random(width * 31L + height);
        for (int y = 0; y < 64; y++) {
            for (int x = 0; x < 64; x++) {
                noise.setRGB(x, y, r.nextInt());
            }
        }
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ImageIO.write(noise, "jpeg", out);
        byte[] jpeg = out.toByteArray();
        for (int p = 2; p + 9 < jpeg.length; ) { // marker segments up to the frame header (SOF0)
            int marker = jpeg[p + 1] & 0xFF;
            if (marker == 0xC0) {
                jpeg[p + 5] = (byte) (height >> 8);
                jpeg[p + 6] = (byte) height;
                jpeg[p + 7] = (byte) (width >> 8);
                jpeg[p + 8] = (byte) width;
                return jpeg;
            }
            p += 2 + (((jpeg[p + 2] & 0xFF) << 8) | (jpeg[p + 3] & 0xFF));
        }
        throw new IOException("the JPEG writer made no baseline frame header");
    }
}
