package dev.dfd.internal.io;

import com.twelvemonkeys.imageio.stream.ByteArrayImageInputStream;
import dev.dfd.ImageException;
import java.awt.image.DataBuffer;
import java.awt.image.SampleModel;
import javax.imageio.ImageIO;
import javax.imageio.ImageReader;
import javax.imageio.ImageTypeSpecifier;
import javax.imageio.metadata.IIOMetadata;
import javax.imageio.stream.ImageInputStream;
import org.w3c.dom.Element;
import org.w3c.dom.NodeList;

import java.io.IOException;
import java.util.Arrays;
import java.util.Iterator;
import java.util.List;

/**
 * What decoding an encoded image will take, read from its header alone: no pixel is decoded, so a server can
 * decide whether to admit an image before the memory is spent.
 *
 * <pre>{@code
 * ImageHeader h = ImageHeader.read(bytes);          // format, width x height, bytes the decoder will allocate
 * if (h.decodeBytes() > free) refuse();
 * RgbImage rgb = new ImageDecoder(limits).decode(bytes);
 * }</pre>
 *
 * @param format      the format the leading bytes name
 * @param width       columns as the header states them (before any EXIF rotation)
 * @param height      rows as the header states them
 * @param decodeBytes an upper bound on the memory {@link ImageDecoder#decode} holds at once for this image: its
 *                    large buffers on the heap and, for progressive JPEG and WebP, the native decoder's whole-image
 *                    buffers (rows and tables, short-lived, are left out)
 */
public record ImageHeader(ImageFormat format, int width, int height, long decodeBytes) {
    /** Fixed costs of a decode beyond the pixels: readers, row buffers, tables. */
    static final long DECODE_OVERHEAD = 1L << 20;
    /** Bytes per pixel assumed when a reader does not say how it stores pixels: 4 channels of 16 bits. */
    static final int UNKNOWN_RASTER_BYTES_PER_PIXEL = 8;
    /**
     * WebP through libwebp: its native RGBA buffer (4), the Java ARGB copy (4), the RGB image (3) and, for an
     * animation's first frame, the canvas it is placed on (3).
     */
    static final int WEBP_BYTES_PER_PIXEL = 14;
    private static final String JPEG_METADATA = "javax_imageio_jpeg_image_1.0";
    /**
     * A TIFF tile may cover at most this many times the image's area rounded up to whole 256x256 tiles: encoders
     * write tiles of 16 to 1024 pixels a side, never one far larger than the image it tiles.
     */
    static final int MAX_TILE_AREA_RATIO = 64;

    public long pixels() {
        return (long) width * height;
    }

    /** The header of an encoded image; an {@link ImageException} with a one-line reason when there is none. */
    public static ImageHeader read(byte[] bytes) {
        if (bytes.length == 0) {
            throw new ImageException("empty file (0 bytes)");
        }
        ImageFormat format = ImageFormat.sniff(bytes);
        if (format == null) {
            throw new ImageException("not an image dfd can read (expected JPEG, PNG, GIF, BMP, WebP or TIFF data)");
        }
        ContainerInfo info = ContainerInfo.read(format, bytes);
        info.requireFewScans();
        // Orientation.apply copies the image when it turns or flips it
        int orientationCopy = info.orientation() == 1 ? 0 : 3;
        if (format == ImageFormat.WEBP) {
            WebpDecoder.Layout layout = WebpDecoder.Layout.parse(bytes);
            return new ImageHeader(format, layout.canvasWidth(), layout.canvasHeight(), DECODE_OVERHEAD
                    + layout.still().length + (long) layout.canvasWidth() * layout.canvasHeight()
                    * (WEBP_BYTES_PER_PIXEL + orientationCopy));
        }
        ImageException first = null;
        for (Iterator<ImageReader> it = ImageIO.getImageReadersByFormatName(format.imageIoName); it.hasNext(); ) {
            ImageReader reader = it.next();
            try (ImageInputStream in = new ByteArrayImageInputStream(bytes)) {
                reader.setInput(in, true, true);
                int width = reader.getWidth(0);
                int height = reader.getHeight(0);
                if (width <= 0 || height <= 0) {
                    throw new ImageException("invalid " + format + " header: size " + width + "x" + height);
                }
                long least = smallestFile(format, width, height);
                if (bytes.length < least) {
                    throw new ImageException("truncated " + format + " data: " + bytes.length + " bytes cannot hold a "
                            + width + "x" + height + " image (at least " + least + ")");
                }
                // the decoder's raster, then its RGB copy; a progressive JPEG's decoder also keeps every component's
                // coefficients (2 bytes a sample) for the whole image, in native memory
                int rasterBytes = rasterBytesPerPixel(reader);
                long perPixel = rasterBytes + 3 + orientationCopy;
                if (format == ImageFormat.JPEG && !baselineJpeg(reader)) {
                    perPixel += 2L * Math.max(3, info.jpegComponents());
                }
                if (format == ImageFormat.JPEG && info.jpegComponents() == 4) {
                    perPixel += 4; // YCCK is turned into a second CMYK raster before RGB
                }
                return new ImageHeader(format, width, height, DECODE_OVERHEAD + (long) width * height * perPixel
                        + tileBytes(format, reader, width, height, rasterBytes));
            } catch (ImageException e) {
                first = first == null ? e : first;
            } catch (IOException | RuntimeException e) {
                if (first == null) {
                    String why = e.getMessage() == null ? "unreadable" : ImageDecoder.oneLine(e.getMessage());
                    first = new ImageException("corrupt or truncated " + format + " header (" + why + ")", e);
                }
            } finally {
                reader.dispose();
            }
        }
        throw first != null ? first : new ImageException("no " + format + " decoder is available in this Java runtime");
    }

    /**
     * The fewest bytes a complete file of this size can have, where the format's coding puts a floor under it: a
     * Huffman-coded JPEG spends at least one bit on every 8x8 block (its DC code), PNG's deflate stream cannot
     * compress more than 1032:1 the at least one bit a pixel it holds, and a GIF's LZW code (12 bits at most once
     * its table is full, fewer before) stands for at most 4096 pixels, so at least a byte per 4096 pixels (1.5 in
     * the long run). A file smaller than that is truncated, and is refused before its claimed size is allocated;
     * other formats (BMP, TIFF, WebP) get no floor (0).
     */
    public static long smallestFile(ImageFormat format, int width, int height) {
        return switch (format) {
            case JPEG -> ((width + 7L) / 8) * ((height + 7L) / 8) / 8;
            case PNG -> (long) width * height / 8 / 1032;
            case GIF -> (long) width * height / 4096;
            default -> 0;
        };
    }

    /**
     * The buffer a tiled TIFF's reader allocates for each tile it decodes: a whole tile's samples, not clipped to the
     * image, so a 16x16 image with one 16384x32768 tile allocates 512 MB; 0 for other formats and for strips (the
     * JDK reader clips a strip to the image). A tile over {@link #MAX_TILE_AREA_RATIO} times the image's area
     * (rounded up to 256x256 tiles) is refused: no encoder writes one.
     *
     * @param bytesPerPixel bytes a pixel takes in the reader's raster, at least what a tile's samples take
     */
    static long tileBytes(ImageFormat format, ImageReader reader, int width, int height, int bytesPerPixel)
            throws IOException {
        if (format != ImageFormat.TIFF || !reader.isImageTiled(0)) {
            return 0;
        }
        long tileWidth = reader.getTileWidth(0);
        long tileHeight = reader.getTileHeight(0);
        long most = MAX_TILE_AREA_RATIO * roundUp(width, 256) * roundUp(height, 256);
        if (tileWidth <= 0 || tileHeight <= 0 || tileWidth * tileHeight > most) {
            throw new ImageException("invalid TIFF header: a " + Integer.toUnsignedString((int) tileWidth) + "x"
                    + Integer.toUnsignedString((int) tileHeight) + " tile for a " + width + "x" + height
                    + " image (at most " + most + " pixels a tile)");
        }
        return tileWidth * tileHeight * bytesPerPixel;
    }

    private static long roundUp(long n, long multiple) {
        return (n + multiple - 1) / multiple * multiple;
    }

    /**
     * Bytes a pixel takes in the raster the decoder gets: the reader's default destination ({@code read}) or its raw
     * raster ({@code readRaster}, for CMYK JPEG), whichever is larger.
     */
    private static int rasterBytesPerPixel(ImageReader reader) {
        int most = 0;
        try {
            ImageTypeSpecifier raw = reader.getRawImageType(0);
            if (raw != null) {
                most = bytesPerPixel(raw.getSampleModel(1, 1));
            }
            Iterator<ImageTypeSpecifier> types = reader.getImageTypes(0);
            if (types.hasNext()) {
                most = Math.max(most, bytesPerPixel(types.next().getSampleModel(1, 1)));
            }
        } catch (IOException | RuntimeException e) {
            return UNKNOWN_RASTER_BYTES_PER_PIXEL; // the reader cannot say before decoding: assume the largest
        }
        return most == 0 ? UNKNOWN_RASTER_BYTES_PER_PIXEL : most;
    }

    /**
     * True for a baseline or extended sequential JPEG, from the frame header in the reader's standard metadata
     * ("sof" process 0 or 1); progressive, lossless or unreadable: false, so the coefficients are counted.
     */
    private static boolean baselineJpeg(ImageReader reader) {
        try {
            IIOMetadata metadata = reader.getImageMetadata(0);
            if (metadata == null || !Arrays.asList(metadata.getMetadataFormatNames()).contains(JPEG_METADATA)) {
                return false;
            }
            NodeList frames = ((Element) metadata.getAsTree(JPEG_METADATA)).getElementsByTagName("sof");
            return frames.getLength() == 1
                    && List.of("0", "1").contains(((Element) frames.item(0)).getAttribute("process"));
        } catch (IOException | RuntimeException e) {
            return false;
        }
    }

    private static int bytesPerPixel(SampleModel sm) {
        // one element per pixel for packed models (bits in one int, or several pixels in one byte), one per band
        // for component models
        return sm.getNumDataElements() * Math.max(1, DataBuffer.getDataTypeSize(sm.getDataType()) / 8);
    }
}
