package dev.dfd.internal.io;

import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Random;
import java.util.zip.Deflater;
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

    /**
     * A tiled 8-bit grey Deflate TIFF of width x height black pixels stored as one tile of tileWidth x tileHeight
     * (little-endian, one IFD). The tile's data is complete up to 16 M samples; a larger tile holds only the
     * image's pixels, as a hostile file's would.
     */
    public static byte[] tiledTiff(int width, int height, int tileWidth, int tileHeight) {
        long tileArea = (long) tileWidth * tileHeight;
        int samples = tileArea <= 1 << 24 ? (int) tileArea : width * height;
        Deflater deflater = new Deflater(9);
        deflater.setInput(new byte[samples]);
        deflater.finish();
        byte[] compressed = new byte[samples / 500 + 1024]; // zeros deflate about 1000:1
        int n = deflater.deflate(compressed);
        deflater.end();
        int entries = 10;
        int data = 8 + 2 + entries * 12 + 4;
        ByteBuffer b = ByteBuffer.allocate(data + n).order(ByteOrder.LITTLE_ENDIAN);
        b.put((byte) 'I').put((byte) 'I').putShort((short) 42).putInt(8).putShort((short) entries);
        tiffEntry(b, 256, width); // ImageWidth
        tiffEntry(b, 257, height); // ImageLength
        tiffEntry(b, 258, 8); // BitsPerSample
        tiffEntry(b, 259, 8); // Compression: Deflate
        tiffEntry(b, 262, 1); // PhotometricInterpretation: BlackIsZero
        tiffEntry(b, 277, 1); // SamplesPerPixel
        tiffEntry(b, 322, tileWidth); // TileWidth
        tiffEntry(b, 323, tileHeight); // TileLength
        tiffEntry(b, 324, data); // TileOffsets
        tiffEntry(b, 325, n); // TileByteCounts
        b.putInt(0); // no next IFD
        b.put(compressed, 0, n);
        return b.array();
    }

    /** One IFD entry of type LONG and count 1. */
    private static void tiffEntry(ByteBuffer b, int tag, int value) {
        b.putShort((short) tag).putShort((short) 4).putInt(1).putInt(value);
    }

    /**
     * A GIF whose image descriptor claims width x height (two-colour table) and whose LZW data is complete but ends
     * after one pixel: clear, one index, end of information. 35 bytes whatever the claim.
     */
    public static byte[] gifClaiming(int width, int height) {
        byte w0 = (byte) width;
        byte w1 = (byte) (width >> 8);
        byte h0 = (byte) height;
        byte h1 = (byte) (height >> 8);
        return new byte[]{'G', 'I', 'F', '8', '9', 'a', w0, w1, h0, h1, (byte) 0x80, 0, 0, // screen, 2 colours
                0, 0, 0, (byte) 255, (byte) 255, (byte) 255, // colour table: black, white
                0x2C, 0, 0, 0, 0, w0, w1, h0, h1, 0, // image descriptor, not interlaced
                2, 2, 0x4C, 0x01, 0, // minimum code size 2; one block of 2 bytes: codes 4 (clear), 1, 5 (end)
                0x3B}; // trailer
    }
}
