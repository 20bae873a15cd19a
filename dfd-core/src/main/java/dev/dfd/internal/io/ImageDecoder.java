package dev.dfd.internal.io;

import com.twelvemonkeys.imageio.stream.ByteArrayImageInputStream;
import dev.dfd.DecodeLimits;
import dev.dfd.ImageException;
import dev.dfd.RgbImage;

import java.awt.Transparency;
import java.awt.color.ColorSpace;
import java.awt.image.BufferedImage;
import java.awt.image.ColorModel;
import java.awt.image.ComponentColorModel;
import java.awt.image.ComponentSampleModel;
import java.awt.image.DataBuffer;
import java.awt.image.DataBufferByte;
import java.awt.image.IndexColorModel;
import java.awt.image.PixelInterleavedSampleModel;
import java.awt.image.Raster;
import java.awt.image.SampleModel;
import java.awt.image.WritableRaster;
import java.io.IOException;
import java.util.ArrayList;
import java.util.BitSet;
import java.util.Iterator;
import java.util.List;
import javax.imageio.IIOException;
import javax.imageio.ImageIO;
import javax.imageio.ImageReadParam;
import javax.imageio.ImageReader;
import javax.imageio.ImageTypeSpecifier;
import javax.imageio.event.IIOReadUpdateListener;
import javax.imageio.event.IIOReadWarningListener;
import javax.imageio.stream.ImageInputStream;

/**
 * Image bytes to 8-bit RGB, the way transformers' {@code load_image} does it with Pillow:
 * {@code Image.open} -> {@code ImageOps.exif_transpose} -> {@code convert("RGB")}.
 *
 * <ul>
 *   <li>No colour management: embedded ICC profiles are ignored, samples are taken as stored.</li>
 *   <li>Alpha is dropped without compositing (the colour under alpha = 0 is kept).</li>
 *   <li>Palette images are looked up; grey is copied to R = G = B; 1/2/4-bit samples are scaled to 0..255.</li>
 *   <li>CMYK JPEGs: samples inverted when an Adobe segment is present (Pillow's "CMYK;I"), then Pillow's
 *       {@code cmyk2rgb}: {@code R = clip(255 - K' - C * (255 - K') / 255)} with its rounding.</li>
 *   <li>16-bit samples keep their high byte, as Pillow's "RGB;16B" unpacker does. (Pillow turns 16-bit grey
 *       white; dfd scales it the same way as 16-bit colour.)</li>
 *   <li>WebP through libwebp, as Pillow (animated: the first frame); see {@link WebpDecoder}.</li>
 * </ul>
 * Thread-safe: a new ImageIO reader is made per call.
 */
public final class ImageDecoder {
    private static final String JDK_JPEG_READER = "com.sun.imageio.plugins.jpeg.JPEGImageReader";
    private static final String JDK_PNG_READER = "com.sun.imageio.plugins.png.PNGImageReader";

    private final DecodeLimits limits;

    public ImageDecoder(DecodeLimits limits) {
        this.limits = limits;
    }

    public ImageDecoder() {
        this(DecodeLimits.DEFAULT);
    }

    public DecodeLimits limits() {
        return limits;
    }

    /** Decodes an encoded image; throws {@link ImageException} with a one-line reason on bad input. */
    public RgbImage decode(byte[] bytes) {
        if (bytes.length == 0) {
            throw new ImageException("empty file (0 bytes)");
        }
        if (bytes.length > limits.maxBytes()) {
            throw new ImageException("file is " + bytes.length + " bytes, over the limit of " + limits.maxBytes());
        }
        ImageFormat format = ImageFormat.sniff(bytes);
        if (format == null) {
            throw new ImageException("not an image dfd can read (expected JPEG, PNG, GIF, BMP, WebP or TIFF data)");
        }
        ContainerInfo info = ContainerInfo.read(format, bytes);
        info.requireFewScans();
        RgbImage rgb = format == ImageFormat.WEBP ? WebpDecoder.decode(bytes, limits)
                : decodePixels(format, info, bytes);
        return Orientation.apply(rgb, info.orientation());
    }

    private RgbImage decodePixels(ImageFormat format, ContainerInfo info, byte[] bytes) {
        List<ImageReader> readers = readersFor(format);
        if (readers.isEmpty()) {
            throw new ImageException("no " + format + " decoder is available in this Java runtime");
        }
        ImageException first = null;
        for (ImageReader reader : readers) {
            try {
                return decodeWith(reader, format, info, bytes);
            } catch (ImageException e) {
                if (e instanceof FinalRefusal) {
                    throw e;
                }
                if (first == null) {
                    first = e;
                }
            } finally {
                reader.dispose();
            }
        }
        throw first;
    }

    /** The readers to try, in order: for JPEG the JDK's libjpeg-based one first (its output matches libjpeg's). */
    private static List<ImageReader> readersFor(ImageFormat format) {
        List<ImageReader> preferred = new ArrayList<>();
        List<ImageReader> others = new ArrayList<>();
        Iterator<ImageReader> it = ImageIO.getImageReadersByFormatName(format.imageIoName);
        while (it.hasNext()) {
            ImageReader r = it.next();
            if (format == ImageFormat.JPEG && r.getClass().getName().equals(JDK_JPEG_READER)) {
                preferred.add(r);
            } else {
                others.add(r);
            }
        }
        preferred.addAll(others);
        return preferred;
    }

    private RgbImage decodeWith(ImageReader reader, ImageFormat format, ContainerInfo info, byte[] bytes) {
        List<String> warnings = new ArrayList<>();
        try (ImageInputStream in = new ByteArrayImageInputStream(bytes)) {
            reader.setInput(in, true, true);
            reader.addIIOReadWarningListener(collectInto(warnings));
            int width = reader.getWidth(0);
            int height = reader.getHeight(0);
            if (width <= 0 || height <= 0) {
                throw new ImageException("invalid " + format + " header: size " + width + "x" + height);
            }
            long pixels = (long) width * height;
            if (pixels > limits.maxPixels()) {
                throw new FinalRefusal("image is " + width + "x" + height + " = " + pixels
                        + " pixels, over the limit of " + limits.maxPixels() + " (possible decompression bomb)");
            }
            boolean rotated = info.orientation() >= 2 && info.orientation() <= 8;
            RgbImage rgb;
            if (format == ImageFormat.JPEG && info.jpegComponents() == 4) {
                requireDecodeMemory(format, width, height, 4, rotated, 0); // (H, W, 4) CMYK raster
                rgb = cmykJpegToRgb(reader.readRaster(0, null), info);
            } else {
                ImageTypeSpecifier type = firstImageType(reader);
                if (type != null && decodesInPlace(reader, type)) {
                    requireDecodeMemory(format, width, height, 0, rotated, 0);
                    rgb = decodeInPlace(reader, type, width, height);
                } else {
                    int rasterBytes = type == null ? 4 : rasterBytesPerPixel(type);
                    requireDecodeMemory(format, width, height, rasterBytes, rotated,
                            ImageHeader.tileBytes(format, reader, width, height, rasterBytes));
                    RowsDecoded rows = format == ImageFormat.GIF ? RowsDecoded.watch(reader, height) : null;
                    BufferedImage image = reader.read(0);
                    if (rows != null && rows.count() < height) {
                        // the JDK reader stops at an early end of the LZW data and leaves the rest black, silently
                        throw new FinalRefusal("truncated GIF data (the image data ends after " + rows.count()
                                + " of its " + height + " rows)");
                    }
                    rgb = toRgb(image.getRaster(), image.getColorModel());
                }
            }
            for (String w : warnings) {
                String lower = w.toLowerCase();
                if (lower.contains("premature end") || lower.contains("truncat")) {
                    // the reader decoded it whole, filling in the missing part: another reader would do the same
                    throw new FinalRefusal("truncated " + format + " data (" + oneLine(w) + ")");
                }
            }
            return rgb;
        } catch (ImageException e) {
            throw e;
        } catch (IIOException e) {
            throw new ImageException("corrupt or truncated " + format + " data (" + oneLine(rootMessage(e)) + ")", e);
        } catch (IOException | RuntimeException e) {
            throw new ImageException("cannot decode " + format + " data (" + oneLine(rootMessage(e)) + ")", e);
        }
    }

    /**
     * Refuses a decode whose peak heap would pass {@link DecodeLimits#maxDecodeBytes()}: the reader's own raster
     * ({@code rasterBytesPerPixel}, 0 when decoding in place) and the 3-byte RGB result, or the result and its EXIF
     * rotated copy, whichever is more, and a tiled TIFF's tile buffer ({@code tileBytes}).
     */
    private void requireDecodeMemory(ImageFormat format, int width, int height, int rasterBytesPerPixel,
                                     boolean rotated, long tileBytes) {
        long perPixel = Math.max(rasterBytesPerPixel + 3L, rotated ? 6 : 3);
        long needed = (long) width * height * perPixel + tileBytes;
        if (needed > limits.maxDecodeBytes()) {
            throw new FinalRefusal("decoding this " + width + "x" + height + " " + format + " needs " + needed
                    + " bytes (" + perPixel + " per pixel" + (tileBytes > 0 ? " and " + tileBytes + " for a tile" : "")
                    + "), over the limit of " + limits.maxDecodeBytes());
        }
    }

    /** The reader's first (default) image type, or null when it cannot say. */
    private static ImageTypeSpecifier firstImageType(ImageReader reader) throws IOException {
        Iterator<ImageTypeSpecifier> types = reader.getImageTypes(0);
        return types != null && types.hasNext() ? types.next() : null;
    }

    /** Heap bytes per pixel of the raster {@code reader.read} allocates for {@code type}. */
    static int rasterBytesPerPixel(ImageTypeSpecifier type) {
        SampleModel sm = type.getSampleModel(1, 1);
        int bits = sm.getNumDataElements() * DataBuffer.getDataTypeSize(sm.getDataType());
        return Math.max(1, (bits + 7) / 8);
    }

    /**
     * The JDK's JPEG and PNG readers write 8-bit grey or colour samples through a raster we give them; their other
     * layouts (palette, alpha, 16-bit, CMYK) and the other readers go through a raster of their own. (Alpha is not
     * left out by source-band selection: the JDK 17 PNG reader indexes past the selected bands then.)
     */
    private static boolean decodesInPlace(ImageReader reader, ImageTypeSpecifier type) {
        String name = reader.getClass().getName();
        if (!name.equals(JDK_JPEG_READER) && !name.equals(JDK_PNG_READER)) {
            return false;
        }
        ColorModel cm = type.getColorModel();
        SampleModel sm = type.getSampleModel(1, 1);
        int colour = cm.getColorSpace().getNumComponents();
        if (cm instanceof IndexColorModel || !(sm instanceof PixelInterleavedSampleModel)
                || sm.getDataType() != DataBuffer.TYPE_BYTE || cm.getColorSpace().getType() == ColorSpace.TYPE_CMYK
                || (colour != 1 && colour != 3) || sm.getNumBands() != colour) {
            return false;
        }
        for (int band = 0; band < sm.getNumBands(); band++) {
            if (sm.getSampleSize(band) != 8) {
                return false;
            }
        }
        return true;
    }

    /**
     * Decodes straight into the result's buffer, with no full-size copy: colour samples land as R, G, B through an
     * interleaved raster over it (the reader's own colour space, so it converts nothing), and grey lands in the
     * buffer's first third and is spread to R = G = B in place.
     */
    private static RgbImage decodeInPlace(ImageReader reader, ImageTypeSpecifier type, int width, int height)
            throws IOException {
        int colour = type.getColorModel().getColorSpace().getNumComponents();
        int pixelCount = Math.multiplyExact(width, height);
        byte[] pixels = new byte[Math.multiplyExact(pixelCount, 3)]; // (H, W, 3) RGB; grey first fills (H, W)
        int[] bandOffsets = colour == 3 ? new int[] {0, 1, 2} : new int[] {0};
        WritableRaster raster = Raster.createInterleavedRaster(new DataBufferByte(pixels, pixelCount * colour),
                width, height, width * colour, colour, bandOffsets, null);
        ColorModel cm = new ComponentColorModel(type.getColorModel().getColorSpace(), false, false,
                Transparency.OPAQUE, DataBuffer.TYPE_BYTE);
        ImageReadParam param = reader.getDefaultReadParam();
        param.setDestination(new BufferedImage(cm, raster, false, null));
        reader.read(0, param);
        if (colour == 1) {
            for (int i = pixelCount - 1; i >= 0; i--) { // backwards: 3i >= i, so no grey sample is overwritten early
                byte g = pixels[i];
                pixels[3 * i] = g;
                pixels[3 * i + 1] = g;
                pixels[3 * i + 2] = g;
            }
        }
        return new RgbImage(width, height, pixels);
    }

    private static IIOReadWarningListener collectInto(List<String> warnings) {
        return (source, warning) -> warnings.add(warning);
    }

    /** A BufferedImage's samples as stored (no colour management), alpha dropped, as 8-bit RGB. */
    public static RgbImage fromBufferedImage(BufferedImage image) {
        return toRgb(image.getRaster(), image.getColorModel());
    }

    /** Converts any raster with its colour model to interleaved 8-bit RGB, taking samples as stored. */
    static RgbImage toRgb(Raster raster, ColorModel cm) {
        int w = raster.getWidth();
        int h = raster.getHeight();
        byte[] out = new byte[Math.multiplyExact(Math.multiplyExact(w, h), 3)];
        if (cm instanceof IndexColorModel icm) {
            int size = icm.getMapSize();
            byte[] reds = new byte[size];
            byte[] greens = new byte[size];
            byte[] blues = new byte[size];
            icm.getReds(reds);
            icm.getGreens(greens);
            icm.getBlues(blues);
            int[] row = new int[w];
            for (int y = 0; y < h; y++) {
                raster.getSamples(0, y, w, 1, 0, row);
                int o = y * w * 3;
                for (int x = 0; x < w; x++) {
                    int i = Math.min(row[x], size - 1);
                    out[o++] = reds[i];
                    out[o++] = greens[i];
                    out[o++] = blues[i];
                }
            }
            return new RgbImage(w, h, out);
        }
        int colorBands = cm.getColorSpace().getNumComponents();
        if (cm.getColorSpace().getType() == ColorSpace.TYPE_CMYK) {
            return cmykToRgb(raster, false);
        }
        if (colorBands != 1 && colorBands != 3) {
            throw new ImageException("unsupported colour space with " + colorBands + " components");
        }
        if (fastCopy(raster, colorBands, out)) {
            return new RgbImage(w, h, out);
        }
        SampleModel sm = raster.getSampleModel();
        int[] row = new int[w];
        for (int band = 0; band < colorBands; band++) {
            int bits = sm.getSampleSize(band);
            for (int y = 0; y < h; y++) {
                raster.getSamples(0, y, w, 1, band, row);
                int o = y * w * 3 + band;
                for (int x = 0; x < w; x++) {
                    byte v = (byte) to8Bit(row[x], bits);
                    if (colorBands == 1) {
                        out[o - band] = v;
                        out[o - band + 1] = v;
                        out[o - band + 2] = v;
                    } else {
                        out[o] = v;
                    }
                    o += 3;
                }
            }
        }
        return new RgbImage(w, h, out);
    }

    /** Scales a sample of {@code bits} bits to 8 bits as Pillow's unpackers do. */
    static int to8Bit(int v, int bits) {
        if (bits == 8) {
            return v;
        }
        if (bits > 8) {
            return v >>> (bits - 8); // high byte, like Pillow's ";16B" unpackers
        }
        return v * 255 / ((1 << bits) - 1); // 1 -> x255, 2 -> x85, 4 -> x17, 5 -> *255/31
    }

    /** Copies byte-interleaved grey/RGB(A) rasters (the common JPEG and PNG case) without per-sample calls. */
    private static boolean fastCopy(Raster raster, int colorBands, byte[] out) {
        if (!(raster.getDataBuffer() instanceof DataBufferByte dbb)
                || !(raster.getSampleModel() instanceof PixelInterleavedSampleModel sm)
                || raster.getDataBuffer().getNumBanks() != 1
                || raster.getSampleModelTranslateX() != 0 || raster.getSampleModelTranslateY() != 0) {
            return false;
        }
        byte[] data = dbb.getData();
        int[] offsets = ((ComponentSampleModel) sm).getBandOffsets();
        int pixelStride = sm.getPixelStride();
        int scanline = sm.getScanlineStride();
        int w = raster.getWidth();
        int h = raster.getHeight();
        int r = offsets[0];
        int g = colorBands == 3 ? offsets[1] : offsets[0];
        int b = colorBands == 3 ? offsets[2] : offsets[0];
        int o = 0;
        for (int y = 0; y < h; y++) {
            int p = y * scanline;
            for (int x = 0; x < w; x++) {
                out[o++] = data[p + r];
                out[o++] = data[p + g];
                out[o++] = data[p + b];
                p += pixelStride;
            }
        }
        return true;
    }

    /**
     * A 4-component JPEG raster (raw samples as libjpeg outputs them for CMYK) to RGB as Pillow does it. YCCK
     * (Adobe transform 2) is first turned into CMYK with libjpeg's fixed-point YCC tables.
     */
    private static RgbImage cmykJpegToRgb(Raster raster, ContainerInfo info) {
        if (info.adobeTransform() == 2) {
            raster = YccTables.ycckToCmyk(raster);
        }
        return cmykToRgb(raster, info.adobe());
    }

    /** Pillow's {@code cmyk2rgb}, after inverting the samples when they were stored Adobe-style. */
    private static RgbImage cmykToRgb(Raster raster, boolean inverted) {
        int w = raster.getWidth();
        int h = raster.getHeight();
        if (raster.getNumBands() != 4) {
            throw new ImageException("CMYK image has " + raster.getNumBands() + " bands, expected 4");
        }
        byte[] out = new byte[w * h * 3];
        int[] px = new int[w * 4];
        int o = 0;
        for (int y = 0; y < h; y++) {
            raster.getPixels(0, y, w, 1, px);
            for (int x = 0; x < w; x++) {
                int c = px[4 * x];
                int m = px[4 * x + 1];
                int ye = px[4 * x + 2];
                int k = px[4 * x + 3];
                if (inverted) {
                    c = 255 - c;
                    m = 255 - m;
                    ye = 255 - ye;
                    k = 255 - k;
                }
                int nk = 255 - k;
                out[o++] = (byte) clip8(nk - mulDiv255(c, nk));
                out[o++] = (byte) clip8(nk - mulDiv255(m, nk));
                out[o++] = (byte) clip8(nk - mulDiv255(ye, nk));
            }
        }
        return new RgbImage(w, h, out);
    }

    /** Pillow's MULDIV255: a * b / 255 rounded, in integers. */
    private static int mulDiv255(int a, int b) {
        int t = a * b + 128;
        return ((t >> 8) + t) >> 8;
    }

    private static int clip8(int v) {
        return v < 0 ? 0 : Math.min(v, 255);
    }

    private static String rootMessage(Throwable t) {
        Throwable c = t;
        String message = t.getMessage();
        while (c.getCause() != null && c.getCause() != c) {
            c = c.getCause();
            if (c.getMessage() != null) {
                message = c.getMessage();
            }
        }
        if (message == null || message.isBlank()) {
            message = c.getClass().getSimpleName();
        }
        if (c instanceof java.io.EOFException) {
            message = "unexpected end of file";
        }
        return message;
    }

    static String oneLine(String s) {
        String t = s.replaceAll("\\s+", " ").trim();
        return t.length() > 200 ? t.substring(0, 200) + "..." : t;
    }

    /** The distinct rows a reader reports writing (through its update events), for readers that never say "truncated". */
    private static final class RowsDecoded implements IIOReadUpdateListener {
        private final BitSet rows;

        private RowsDecoded(int height) {
            rows = new BitSet(height);
        }

        static RowsDecoded watch(ImageReader reader, int height) {
            RowsDecoded r = new RowsDecoded(height);
            reader.addIIOReadUpdateListener(r);
            return r;
        }

        int count() {
            return rows.cardinality();
        }

        @Override
        public void imageUpdate(ImageReader source, BufferedImage image, int minX, int minY, int width, int height,
                                int periodX, int periodY, int[] bands) {
            for (int i = 0; i < height; i++) {
                rows.set(minY + i * Math.max(1, periodY));
            }
        }

        @Override
        public void passStarted(ImageReader source, BufferedImage image, int pass, int minPass, int maxPass,
                                int minX, int minY, int periodX, int periodY, int[] bands) {
        }

        @Override
        public void passComplete(ImageReader source, BufferedImage image) {
        }

        @Override
        public void thumbnailPassStarted(ImageReader source, BufferedImage thumbnail, int pass, int minPass,
                                         int maxPass, int minX, int minY, int periodX, int periodY, int[] bands) {
        }

        @Override
        public void thumbnailUpdate(ImageReader source, BufferedImage thumbnail, int minX, int minY, int width,
                                    int height, int periodX, int periodY, int[] bands) {
        }

        @Override
        public void thumbnailPassComplete(ImageReader source, BufferedImage thumbnail) {
        }
    }

    /** A refusal not worth retrying with another reader: a limit, or data that ends too early. */
    private static final class FinalRefusal extends ImageException {
        FinalRefusal(String message) {
            super(message);
        }
    }
}
