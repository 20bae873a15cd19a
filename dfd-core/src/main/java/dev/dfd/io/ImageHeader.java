package dev.dfd.io;

import com.twelvemonkeys.imageio.stream.ByteArrayImageInputStream;

import javax.imageio.ImageIO;
import javax.imageio.ImageReader;
import javax.imageio.ImageTypeSpecifier;
import javax.imageio.stream.ImageInputStream;
import java.awt.image.DataBuffer;
import java.awt.image.SampleModel;
import java.io.IOException;
import java.util.Iterator;

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
 * @param decodeBytes an upper bound on the memory {@link ImageDecoder#decode} allocates for this image (heap and,
 *                    for JPEG and WebP, the native decoder's whole-image buffers)
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
                // the decoder's raster, then its RGB copy; a JPEG may be progressive, whose decoder keeps every
                // component's coefficients (2 bytes a sample) for the whole image in native memory
                long perPixel = rasterBytesPerPixel(reader) + 3 + orientationCopy;
                if (format == ImageFormat.JPEG) {
                    perPixel += 2L * Math.max(3, info.jpegComponents());
                }
                return new ImageHeader(format, width, height, DECODE_OVERHEAD + (long) width * height * perPixel);
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

    /** The most bytes a pixel takes in any raster the reader offers for the first image. */
    private static int rasterBytesPerPixel(ImageReader reader) {
        int most = 0;
        try {
            ImageTypeSpecifier raw = reader.getRawImageType(0);
            if (raw != null) {
                most = bytesPerPixel(raw.getSampleModel(1, 1));
            }
            for (Iterator<ImageTypeSpecifier> types = reader.getImageTypes(0); types.hasNext(); ) {
                most = Math.max(most, bytesPerPixel(types.next().getSampleModel(1, 1)));
            }
        } catch (IOException | RuntimeException e) {
            return UNKNOWN_RASTER_BYTES_PER_PIXEL; // the reader cannot say before decoding: assume the largest
        }
        return most == 0 ? UNKNOWN_RASTER_BYTES_PER_PIXEL : most;
    }

    private static int bytesPerPixel(SampleModel sm) {
        // one element per pixel for packed models (bits in one int, or several pixels in one byte), one per band
        // for component models
        return sm.getNumDataElements() * Math.max(1, DataBuffer.getDataTypeSize(sm.getDataType()) / 8);
    }
}
