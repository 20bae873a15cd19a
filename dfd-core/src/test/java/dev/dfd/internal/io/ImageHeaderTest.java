package dev.dfd.internal.io;

import dev.dfd.Fixtures;
import dev.dfd.ImageException;
import dev.dfd.RgbImage;
import jdk.jfr.Recording;
import jdk.jfr.consumer.RecordedEvent;
import jdk.jfr.consumer.RecordingFile;
import org.junit.jupiter.api.Test;

import java.awt.Transparency;
import java.awt.color.ColorSpace;
import java.awt.image.BufferedImage;
import java.awt.image.ComponentColorModel;
import java.awt.image.DataBuffer;
import java.awt.image.WritableRaster;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import javax.imageio.IIOImage;
import javax.imageio.ImageIO;
import javax.imageio.ImageWriteParam;
import javax.imageio.ImageWriter;
import javax.imageio.stream.MemoryCacheImageOutputStream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class ImageHeaderTest {
    private static final com.sun.management.ThreadMXBean THREADS =
            (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();

    /** Every decode fixture: the header's size is the decoded size (turned by EXIF orientation 5-8). */
    @Test
    void headerSizeIsTheDecodedSize() throws IOException {
        ImageDecoder decoder = new ImageDecoder();
        List<Path> files;
        try (Stream<Path> s = Files.list(Fixtures.dir().resolve("decode"))) {
            files = s.sorted().toList();
        }
        assertTrue(files.size() > 20);
        for (Path f : files) {
            byte[] bytes = Files.readAllBytes(f);
            ImageHeader h = ImageHeader.read(bytes);
            RgbImage rgb = decoder.decode(bytes);
            boolean turned = rgb.width() != h.width();
            assertEquals(turned ? rgb.height() : rgb.width(), h.width(), f.toString());
            assertEquals(turned ? rgb.width() : rgb.height(), h.height(), f.toString());
            assertEquals(ImageFormat.sniff(bytes), h.format());
        }
    }

    /**
     * The bound holds: the large buffers decoding allocates (arrays of 64 KB or more, recorded by JFR; rows and
     * tables are small and short-lived) add up to no more than decodeBytes, for each format and pixel layout at a
     * size where the pixels dominate. Total allocation would not do: the PNG and progressive JPEG readers make a
     * row of garbage per row (per scan), freed at once.
     */
    @Test
    void decodeBytesBoundsTheBuffersDecodingAllocates() throws IOException {
        ImageDecoder decoder = new ImageDecoder();
        BufferedImage photo = pattern(1600, 1000, BufferedImage.TYPE_3BYTE_BGR);
        List<byte[]> images = List.of(
                encode(photo, "jpeg"), progressiveJpeg(photo), encode(photo, "png"), encode(photo, "bmp"),
                encode(photo, "tiff"), encode(pattern(1600, 1000, BufferedImage.TYPE_INT_ARGB), "png"),
                encode(pattern(1600, 1000, BufferedImage.TYPE_BYTE_GRAY), "png"),
                encode(pattern(1600, 1000, BufferedImage.TYPE_BYTE_INDEXED), "gif"), encode(rgba16(800, 500), "png"));
        for (byte[] bytes : images) {
            decoder.decode(bytes); // classes and caches loaded outside the recording
        }
        List<Instant[]> spans = new ArrayList<>();
        Path events = Files.createTempFile("dfd-decode", ".jfr");
        try (Recording recording = new Recording()) {
            recording.enable("jdk.ObjectAllocationOutsideTLAB");
            recording.enable("jdk.ObjectAllocationInNewTLAB");
            recording.start();
            for (byte[] bytes : images) {
                Instant start = Instant.now();
                decoder.decode(bytes);
                spans.add(new Instant[]{start, Instant.now()});
            }
            recording.stop();
            recording.dump(events);
        }
        long[] large = new long[images.size()];
        long thread = Thread.currentThread().getId();
        for (RecordedEvent e : RecordingFile.readAllEvents(events)) {
            long size = e.getLong("allocationSize");
            if (size < 65_536 || e.getThread() == null || e.getThread().getJavaThreadId() != thread) {
                continue;
            }
            for (int i = 0; i < spans.size(); i++) {
                if (!e.getStartTime().isBefore(spans.get(i)[0]) && !e.getStartTime().isAfter(spans.get(i)[1])) {
                    large[i] += size;
                }
            }
        }
        Files.delete(events);
        assertTrue(ImageHeader.read(images.get(1)).decodeBytes() > ImageHeader.read(images.get(0)).decodeBytes(),
                "a progressive JPEG's coefficients count, a baseline one's do not");
        for (int i = 0; i < images.size(); i++) {
            ImageHeader h = ImageHeader.read(images.get(i));
            assertTrue(large[i] >= 3L * h.pixels(), h + ": the recording saw the RGB image (" + large[i] + ")");
            assertTrue(large[i] <= h.decodeBytes(), h + " allocated " + large[i] + " in large buffers");
            // JPEG and 8-bit PNG decode straight into the RGB buffer, which the header does not assume (it counts the
            // reader's raster too): within 6x of what the heap saw, a progressive JPEG's native coefficients included
            assertTrue(h.decodeBytes() < 6 * large[i] + ImageHeader.DECODE_OVERHEAD, h + " is a loose guess");
        }
    }

    /**
     * A JPEG claiming 9000x9000 that is as large as such a file could be: its header is read without touching a
     * pixel, and the bound says what decoding it would cost. The same claim in a few KB (or a PNG's in 70 bytes) is
     * refused as truncated from the header alone.
     */
    @Test
    void claimedSizeIsReadWithoutDecoding() throws IOException {
        byte[] plausible = ImageDecoderTestSupport.jpegClaiming(9000, 9000);
        assertTrue(plausible.length >= 9000 / 8 * (9000 / 8) / 8, "padded to " + plausible.length);
        ImageHeader.read(plausible);
        long before = THREADS.getCurrentThreadAllocatedBytes();
        ImageHeader h = ImageHeader.read(plausible);
        long allocated = THREADS.getCurrentThreadAllocatedBytes() - before;
        assertEquals(9000, h.width());
        assertEquals(9000, h.height());
        assertTrue(h.decodeBytes() > 6L * 81_000_000, "raster and RGB copy at least: " + h);
        assertTrue(allocated < 2_000_000, "reading the header allocated " + allocated);

        for (byte[] tiny : List.of(ImageDecoderTestSupport.tinyJpegClaiming(9000, 9000),
                ImageDecoderTestSupport.pngClaiming(9000, 9000))) {
            assertTrue(tiny.length < 8_000);
            before = THREADS.getCurrentThreadAllocatedBytes();
            String message = assertThrows(ImageException.class, () -> ImageHeader.read(tiny)).getMessage();
            allocated = THREADS.getCurrentThreadAllocatedBytes() - before;
            assertTrue(message.startsWith("truncated ") && message.contains("cannot hold a 9000x9000 image"), message);
            assertTrue(allocated < 2_000_000, "refusing it allocated " + allocated);
        }
        byte[] photo = encode(pattern(1600, 1000, BufferedImage.TYPE_3BYTE_BGR), "jpeg");
        assertTrue(photo.length > 10 * ImageHeader.smallestFile(ImageFormat.JPEG, 1600, 1000),
                "a real photo is far above the floor: " + photo.length);
    }

    @Test
    void noHeaderIsAnImageException() {
        assertEquals("empty file (0 bytes)", assertThrows(ImageException.class,
                () -> ImageHeader.read(new byte[0])).getMessage());
        assertTrue(assertThrows(ImageException.class, () -> ImageHeader.read("hello".getBytes()))
                .getMessage().startsWith("not an image"));
        byte[] cut = {(byte) 0xFF, (byte) 0xD8, (byte) 0xFF, (byte) 0xE0, 0, 16, 'J', 'F'};
        assertThrows(ImageException.class, () -> ImageHeader.read(cut));
    }

    /** Blocks of colour with some transparency, filled in the raster directly so that making and encoding is quick. */
    private static BufferedImage pattern(int w, int h, int type) {
        BufferedImage img = new BufferedImage(w, h, type);
        DataBuffer data = img.getRaster().getDataBuffer();
        for (int i = 0; i < data.getSize(); i++) {
            data.setElem(i, (i >> 6) * 37 + (i % 3 == 0 ? 0x80000000 : 0));
        }
        return img;
    }

    /** 16 bits per sample RGBA: the widest raster the PNG reader makes. */
    private static BufferedImage rgba16(int w, int h) {
        ComponentColorModel cm = new ComponentColorModel(ColorSpace.getInstance(ColorSpace.CS_sRGB), true, false,
                Transparency.TRANSLUCENT, DataBuffer.TYPE_USHORT);
        WritableRaster raster = cm.createCompatibleWritableRaster(w, h);
        DataBuffer data = raster.getDataBuffer();
        for (int i = 0; i < data.getSize(); i++) {
            data.setElem(i, (i >> 6) * 4099);
        }
        return new BufferedImage(cm, raster, false, null);
    }

    private static byte[] encode(BufferedImage img, String format) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        assertTrue(ImageIO.write(img, format, out), "no " + format + " writer");
        return out.toByteArray();
    }

    private static byte[] progressiveJpeg(BufferedImage img) throws IOException {
        ImageWriter writer = ImageIO.getImageWritersByFormatName("jpeg").next();
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try (MemoryCacheImageOutputStream stream = new MemoryCacheImageOutputStream(out)) {
            writer.setOutput(stream);
            ImageWriteParam p = writer.getDefaultWriteParam();
            p.setProgressiveMode(ImageWriteParam.MODE_DEFAULT);
            writer.write(null, new IIOImage(img, null, null), p);
        } finally {
            writer.dispose();
        }
        return out.toByteArray();
    }
}
