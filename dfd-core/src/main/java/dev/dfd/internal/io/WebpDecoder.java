package dev.dfd.internal.io;

import com.luciad.imageio.webp.WebPImageReaderSpi;
import com.twelvemonkeys.imageio.stream.ByteArrayImageInputStream;
import dev.dfd.DecodeLimits;
import dev.dfd.ImageException;
import dev.dfd.RgbImage;

import java.awt.image.BufferedImage;
import java.awt.image.DataBufferInt;
import java.awt.image.DirectColorModel;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.util.HexFormat;
import java.util.Iterator;
import javax.imageio.ImageIO;
import javax.imageio.ImageReader;
import javax.imageio.stream.ImageInputStream;

/**
 * WebP as Pillow 9.4 reads it, which is libwebp's output: Pillow opens every WebP through libwebp's
 * {@code WebPAnimDecoder} (RGBA, fancy upsampling, no dithering), then {@code convert("RGB")} drops alpha without
 * compositing, so the colour libwebp decoded under alpha = 0 is kept.
 *
 * <ul>
 *   <li>Pixels come from libwebp itself, through {@code com.github.usefulness:webp-imageio}'s bundled natives
 *       (Linux x86_64/aarch64/arm/x86/ppc64, macOS x86_64/aarch64, Windows x86_64/x86). Where they cannot load, dfd
 *       falls back to TwelveMonkeys' pure-Java decoder and logs one warning: lossless WebP is still exact, lossy
 *       WebP then differs from Pillow by a few levels (its YUV to RGB conversion is not libwebp's).</li>
 *   <li>Animated WebP gives the first frame as Pillow does: the canvas, transparent black (RGB 0) except the first
 *       frame at its offset, decoded without blending (it is always a key frame).</li>
 *   <li>The container is parsed here with every size checked against the file, and the pixel limit is applied to
 *       the canvas size from the header before anything is decoded.</li>
 * </ul>
 */
final class WebpDecoder {
    private static final System.Logger LOG = System.getLogger(WebpDecoder.class.getName());
    /** A 1x1 lossy WebP, decoded once to check that libwebp's natives load on this platform. */
    private static final byte[] PROBE = HexFormat.of().parseHex("524946463800000057454250565038202c000000700100"
            + "9d012a0100010001402625a0027401400000fefc768fffb077fffa563fff4ac7ec91d554f5f7e80000");

    private WebpDecoder() {
    }

    /** Why libwebp cannot be used here, or null when it can; probed once, on first use. */
    private static final class Native {
        static final String PROBLEM = probe();

        private static String probe() {
            try {
                decodeWithLibwebp(PROBE);
                return null;
            } catch (LinkageError | ImageException | IllegalStateException e) {
                String problem = e.toString();
                LOG.log(System.Logger.Level.WARNING, "libwebp natives unavailable on " + System.getProperty("os.name")
                        + "/" + System.getProperty("os.arch") + " (" + problem + "): decoding WebP with TwelveMonkeys;"
                        + " lossy WebP pixels will differ from Pillow's by a few levels");
                return problem;
            }
        }
    }

    /** True when WebP is decoded by libwebp (exactly as Pillow); false on the TwelveMonkeys fallback. */
    static boolean exact() {
        return Native.PROBLEM == null;
    }

    static RgbImage decode(byte[] bytes, DecodeLimits limits) {
        Layout layout = Layout.parse(bytes);
        long pixels = (long) layout.canvasWidth * layout.canvasHeight;
        if (pixels > limits.maxPixels()) {
            throw new ImageException("image is " + layout.canvasWidth + "x" + layout.canvasHeight + " = " + pixels
                    + " pixels, over the limit of " + limits.maxPixels() + " (possible decompression bomb)");
        }
        RgbImage frame = exact() ? decodeWithLibwebp(layout.still) : decodeWithTwelveMonkeys(layout.still);
        if (frame.width() != layout.frameWidth || frame.height() != layout.frameHeight) {
            throw new ImageException("corrupt WEBP data (header says " + layout.frameWidth + "x" + layout.frameHeight
                    + ", bitstream holds " + frame.width() + "x" + frame.height() + ")");
        }
        return layout.onCanvas(frame);
    }

    /** libwebp's RGB for a still WebP file. */
    static RgbImage decodeWithLibwebp(byte[] still) {
        ImageReader reader = new WebPImageReaderSpi().createReaderInstance(null);
        try (ImageInputStream in = new ByteArrayImageInputStream(still)) {
            reader.setInput(in, true, true);
            BufferedImage image = reader.read(0, null);
            return argbToRgb(image);
        } catch (IOException | RuntimeException e) {
            throw new ImageException("corrupt or truncated WEBP data (" + ImageDecoder.oneLine(message(e)) + ")", e);
        } catch (OutOfMemoryError e) {
            if (!isLibwebpStatus(e)) {
                throw e;
            }
            throw new ImageException("corrupt WEBP data (libwebp refused it with status VP8_STATUS_OUT_OF_MEMORY)", e);
        } finally {
            reader.dispose();
        }
    }

    /** TwelveMonkeys' pure-Java RGB for a still WebP file (the fallback; lossy pixels differ from libwebp's). */
    static RgbImage decodeWithTwelveMonkeys(byte[] still) {
        Iterator<ImageReader> it = ImageIO.getImageReadersByFormatName("webp");
        while (it.hasNext()) {
            ImageReader reader = it.next();
            if (!reader.getClass().getName().startsWith("com.twelvemonkeys.")) {
                continue;
            }
            try (ImageInputStream in = new ByteArrayImageInputStream(still)) {
                reader.setInput(in, true, true);
                BufferedImage image = reader.read(0);
                return ImageDecoder.fromBufferedImage(image);
            } catch (IOException | RuntimeException e) {
                throw new ImageException("corrupt or truncated WEBP data (" + ImageDecoder.oneLine(message(e)) + ")",
                        e);
            } finally {
                reader.dispose();
            }
        }
        throw new ImageException("no WebP decoder is available in this Java runtime");
    }

    /**
     * webp-imageio throws a bare OutOfMemoryError for libwebp's {@code VP8_STATUS_OUT_OF_MEMORY}, which libwebp also
     * returns for some corrupt bitstreams of tiny images (the canvas was bounded before decoding); a real heap
     * exhaustion carries the JVM's message and is let through.
     */
    private static boolean isLibwebpStatus(OutOfMemoryError e) {
        StackTraceElement[] trace = e.getStackTrace();
        return e.getMessage() == null && trace.length > 0
                && trace[0].getClassName().startsWith("com.luciad.imageio.webp.");
    }

    private static String message(Throwable e) {
        return e.getMessage() == null || e.getMessage().isBlank() ? e.getClass().getSimpleName() : e.getMessage();
    }

    /** The 0xAARRGGBB (or 0xRRGGBB) ints webp-imageio returns, alpha dropped, the colour under it kept. */
    private static RgbImage argbToRgb(BufferedImage image) {
        int w = image.getWidth();
        int h = image.getHeight();
        if (!(image.getColorModel() instanceof DirectColorModel cm) || cm.getRedMask() != 0xFF0000
                || cm.getGreenMask() != 0xFF00 || cm.getBlueMask() != 0xFF || cm.isAlphaPremultiplied()
                || !(image.getRaster().getDataBuffer() instanceof DataBufferInt db)
                || db.getNumBanks() != 1 || db.getOffset() != 0 || db.getSize() != w * h) {
            return ImageDecoder.fromBufferedImage(image); // not the layout webp-imageio makes: the general path
        }
        int[] argb = db.getData();
        byte[] out = new byte[Math.multiplyExact(w * h, 3)];
        for (int i = 0, o = 0; i < argb.length; i++) {
            int p = argb[i];
            out[o++] = (byte) (p >>> 16);
            out[o++] = (byte) (p >>> 8);
            out[o++] = (byte) p;
        }
        return new RgbImage(w, h, out);
    }

    /**
     * Where the pixels are: the canvas size, the first frame's rectangle and a standalone still WebP file holding that
     * frame (the input itself unless it is animated).
     */
    record Layout(int canvasWidth, int canvasHeight, int frameX, int frameY, int frameWidth, int frameHeight,
                  byte[] still) {
        static Layout parse(byte[] b) {
            long riff = 8 + ContainerInfo.u32le(b, 4);
            if (riff > b.length) { // libwebp's demuxer, which Pillow uses, refuses partial files
                throw corrupt("truncated: the RIFF header says " + riff + " bytes, the file has " + b.length);
            }
            int end = (int) riff;
            for (int p = 12; p + 8 <= end; p = Chunk.at(b, p, end).next) {
                // every top-level chunk must lie inside the file
            }
            Chunk first = Chunk.at(b, 12, end);
            switch (first.fourcc) {
                case "VP8 ", "VP8L" -> {
                    int[] wh = bitstreamSize(b, first);
                    return new Layout(wh[0], wh[1], 0, 0, wh[0], wh[1], b);
                }
                case "VP8X" -> {
                    if (first.size < 10) {
                        throw corrupt("VP8X chunk of " + first.size + " bytes");
                    }
                    int flags = b[first.data] & 0xFF;
                    int cw = 1 + u24(b, first.data + 4);
                    int ch = 1 + u24(b, first.data + 7);
                    if ((flags & 0x02) == 0) {
                        return new Layout(cw, ch, 0, 0, cw, ch, b);
                    }
                    return firstFrame(b, first.next, end, cw, ch);
                }
                default -> throw corrupt("first chunk is \"" + first.printableName()
                        + "\", expected VP8, VP8L or VP8X");
            }
        }

        /** The first ANMF frame of an animation, rewrapped as a still file. */
        private static Layout firstFrame(byte[] b, int p, int end, int cw, int ch) {
            while (p + 8 <= end) {
                Chunk c = Chunk.at(b, p, end);
                if (c.fourcc.equals("ANMF")) {
                    if (c.size < 16) {
                        throw corrupt("ANMF chunk of " + c.size + " bytes");
                    }
                    int x = 2 * u24(b, c.data);
                    int y = 2 * u24(b, c.data + 3);
                    int fw = 1 + u24(b, c.data + 6);
                    int fh = 1 + u24(b, c.data + 9);
                    if (x + fw > cw || y + fh > ch) {
                        throw corrupt("animation frame " + fw + "x" + fh + " at (" + x + ", " + y
                                + ") outside the " + cw + "x" + ch + " canvas");
                    }
                    Chunk alpha = null;
                    int q = c.data + 16;
                    int frameEnd = c.data + c.size;
                    while (q + 8 <= frameEnd) {
                        Chunk s = Chunk.at(b, q, frameEnd);
                        switch (s.fourcc) {
                            case "ALPH" -> alpha = s;
                            case "VP8 ", "VP8L" -> {
                                int[] wh = bitstreamSize(b, s);
                                if (wh[0] != fw || wh[1] != fh) {
                                    throw corrupt("animation frame says " + fw + "x" + fh + ", its bitstream "
                                            + wh[0] + "x" + wh[1]);
                                }
                                return new Layout(cw, ch, x, y, fw, fh,
                                        still(b, s.fourcc.equals("VP8 ") ? alpha : null, s, fw, fh));
                            }
                            default -> {
                                // unknown chunks inside a frame are skipped, as libwebp's demuxer does
                            }
                        }
                        q = s.next;
                    }
                    throw corrupt("animation frame without image data");
                }
                p = c.next;
            }
            throw corrupt("animated file without frames");
        }

        /** RIFF + [VP8X with the alpha flag + ALPH] + VP8/VP8L: a still WebP file of one frame. */
        private static byte[] still(byte[] b, Chunk alpha, Chunk image, int w, int h) {
            ByteArrayOutputStream body = new ByteArrayOutputStream();
            body.writeBytes("WEBP".getBytes(java.nio.charset.StandardCharsets.US_ASCII));
            if (alpha != null) {
                byte[] vp8x = new byte[18];
                System.arraycopy("VP8X".getBytes(java.nio.charset.StandardCharsets.US_ASCII), 0, vp8x, 0, 4);
                vp8x[4] = 10;
                vp8x[8] = 0x10; // alpha
                putU24(vp8x, 12, w - 1);
                putU24(vp8x, 15, h - 1);
                body.writeBytes(vp8x);
                body.write(b, alpha.start, alpha.next - alpha.start);
            }
            body.write(b, image.start, image.next - image.start);
            byte[] payload = body.toByteArray();
            byte[] file = new byte[8 + payload.length];
            System.arraycopy("RIFF".getBytes(java.nio.charset.StandardCharsets.US_ASCII), 0, file, 0, 4);
            int size = payload.length;
            file[4] = (byte) size;
            file[5] = (byte) (size >>> 8);
            file[6] = (byte) (size >>> 16);
            file[7] = (byte) (size >>> 24);
            System.arraycopy(payload, 0, file, 8, payload.length);
            return file;
        }

        /** (width, height) from a VP8 key frame header or a VP8L header. */
        private static int[] bitstreamSize(byte[] b, Chunk c) {
            int d = c.data;
            if (c.fourcc.equals("VP8 ")) {
                if (c.size < 10 || (b[d + 3] & 0xFF) != 0x9D || (b[d + 4] & 0xFF) != 0x01
                        || (b[d + 5] & 0xFF) != 0x2A) {
                    throw corrupt("VP8 chunk without a key frame header");
                }
                return new int[]{u16(b, d + 6) & 0x3FFF, u16(b, d + 8) & 0x3FFF};
            }
            if (c.size < 5 || (b[d] & 0xFF) != 0x2F) {
                throw corrupt("VP8L chunk without its signature");
            }
            long bits = ContainerInfo.u32le(b, d + 1);
            return new int[]{(int) (bits & 0x3FFF) + 1, (int) ((bits >>> 14) & 0x3FFF) + 1};
        }

        /** The image on a canvas of transparent black, alpha dropped (the frame itself when it fills the canvas). */
        RgbImage onCanvas(RgbImage frame) {
            if (frameX == 0 && frameY == 0 && frameWidth == canvasWidth && frameHeight == canvasHeight) {
                return frame;
            }
            byte[] out = new byte[canvasWidth * canvasHeight * 3];
            for (int y = 0; y < frameHeight; y++) {
                System.arraycopy(frame.pixels(), y * frameWidth * 3, out, ((frameY + y) * canvasWidth + frameX) * 3,
                        frameWidth * 3);
            }
            return new RgbImage(canvasWidth, canvasHeight, out);
        }
    }

    /** A RIFF chunk: header at {@code start}, payload {@code [data, data + size)}, next chunk at {@code next}. */
    private record Chunk(String fourcc, int start, int data, int size, int next) {
        static Chunk at(byte[] b, int p, int end) {
            if (p + 8 > end) {
                throw corrupt("truncated chunk header at byte " + p);
            }
            String fourcc = new String(b, p, 4, java.nio.charset.StandardCharsets.ISO_8859_1);
            long size = ContainerInfo.u32le(b, p + 4);
            if (size > end - p - 8) {
                throw corrupt("chunk \"" + printable(fourcc) + "\" of " + size
                        + " bytes runs past the end of the file");
            }
            int next = (int) Math.min(end, p + 8 + ((size + 1) & ~1L)); // payloads are padded to even sizes
            return new Chunk(fourcc, p, p + 8, (int) size, next);
        }

        /** The chunk name for a message: a damaged file's name may hold any bytes, line breaks included. */
        String printableName() {
            return printable(fourcc);
        }

        private static String printable(String fourcc) {
            StringBuilder out = new StringBuilder();
            for (char c : fourcc.strip().toCharArray()) {
                if (c >= 0x20 && c < 0x7F) {
                    out.append(c);
                } else {
                    out.append(String.format("\\x%02X", (int) c));
                }
            }
            return out.toString();
        }
    }

    private static ImageException corrupt(String what) {
        return new ImageException("corrupt or truncated WEBP data (" + what + ")");
    }

    private static int u16(byte[] b, int p) {
        return (b[p] & 0xFF) | ((b[p + 1] & 0xFF) << 8);
    }

    private static int u24(byte[] b, int p) {
        return (b[p] & 0xFF) | ((b[p + 1] & 0xFF) << 8) | ((b[p + 2] & 0xFF) << 16);
    }

    private static void putU24(byte[] b, int p, int v) {
        b[p] = (byte) v;
        b[p + 1] = (byte) (v >>> 8);
        b[p + 2] = (byte) (v >>> 16);
    }
}
