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
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import java.util.zip.CRC32;
import java.util.zip.Deflater;
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

    /**
     * The JDK TIFF reader allocates a whole tile per tile, not clipped to the image: a tile far larger than its image
     * is refused from the header, in one line and without allocating it, and a large but plausible tile is counted
     * in the bound (the decoder's as well as the header's).
     */
    @Test
    void tiffTilesCountInTheBound() {
        byte[] bomb = ImageDecoderTestSupport.tiledTiff(16, 16, 16384, 32768); // a 512 MB tile in a few hundred bytes
        assertTrue(bomb.length < 1_000, "crafted in " + bomb.length + " bytes");
        long before = THREADS.getCurrentThreadAllocatedBytes();
        String header = assertThrows(ImageException.class, () -> ImageHeader.read(bomb)).getMessage();
        String decode = assertThrows(ImageException.class, () -> new ImageDecoder().decode(bomb)).getMessage();
        long allocated = THREADS.getCurrentThreadAllocatedBytes() - before;
        for (String message : List.of(header, decode)) {
            assertTrue(message.contains("a 16384x32768 tile for a 16x16 image") && !message.contains("\n"), message);
        }
        assertTrue(allocated < 4_000_000, "refusing it allocated " + allocated);

        byte[] tiled = ImageDecoderTestSupport.tiledTiff(16, 16, 2048, 2048); // 64 x 256x256: the largest allowed
        ImageHeader h = ImageHeader.read(tiled);
        assertTrue(h.decodeBytes() >= 2048L * 2048, "the 4 MB tile counts: " + h);
        RgbImage rgb = new ImageDecoder().decode(tiled);
        assertEquals(16, rgb.width());
        String refused = assertThrows(ImageException.class, () -> new ImageDecoder(
                new dev.dfd.DecodeLimits(1 << 20, 100_000)).decode(tiled)).getMessage(); // 700 KB a decode
        assertTrue(refused.contains("for a tile") && refused.contains("over the limit"), refused);
    }

    /**
     * libjpeg walks every block of the image for every scan, so a progressive JPEG with one small AC scan repeated
     * thousands of times decodes for minutes (a 4000x4000 one took 219 s): more than 100 scans is refused from the
     * header, at once and in one line, by the header and by the decoder. A normal progressive JPEG has about 10.
     */
    @Test
    void jpegWithTooManyScansIsRefused() throws IOException {
        byte[] progressive = progressiveJpeg(new BufferedImage(512, 512, BufferedImage.TYPE_BYTE_GRAY));
        int scans = ContainerInfo.read(ImageFormat.JPEG, progressive).jpegScans();
        assertTrue(scans > 2 && scans <= 20, scans + " scans");
        assertEquals(1, ContainerInfo.read(ImageFormat.JPEG,
                encode(pattern(64, 64, BufferedImage.TYPE_3BYTE_BGR), "jpeg")).jpegScans());
        byte[] progressiveFixture = Files.readAllBytes(Fixtures.dir().resolve("decode/progressive.jpg"));
        int fixtureScans = ContainerInfo.read(ImageFormat.JPEG, progressiveFixture).jpegScans();
        assertTrue(fixtureScans > 2 && fixtureScans <= 20, fixtureScans + " scans in progressive.jpg");

        byte[] atLimit = repeatLastScan(progressive, ContainerInfo.MAX_JPEG_SCANS - scans);
        assertEquals(ContainerInfo.MAX_JPEG_SCANS, ContainerInfo.read(ImageFormat.JPEG, atLimit).jpegScans());
        assertEquals(512, ImageHeader.read(atLimit).width());

        byte[] bomb = repeatLastScan(progressive, 2_000);
        long start = System.nanoTime();
        String header = assertThrows(ImageException.class, () -> ImageHeader.read(bomb)).getMessage();
        String decode = assertThrows(ImageException.class, () -> new ImageDecoder().decode(bomb)).getMessage();
        long millis = (System.nanoTime() - start) / 1_000_000;
        String expected = "too many scans: " + (scans + 2_000) + ", the limit is 100 (a progressive JPEG has about 10)";
        assertEquals(expected, header);
        assertEquals(expected, decode);
        assertTrue(millis < 3_000, "refused in " + millis + " ms");
    }

    /**
     * A GIF claiming 8000x8000 in 35 bytes is refused as truncated from its header (LZW codes stand for at most 4096
     * pixels each); one above that floor whose image data ends early is refused by the decoder rather than filled
     * with black.
     */
    @Test
    void gifTooSmallForItsSizeIsTruncated() {
        byte[] tiny = ImageDecoderTestSupport.gifClaiming(8000, 8000);
        assertEquals(35, tiny.length);
        String message = assertThrows(ImageException.class, () -> ImageHeader.read(tiny)).getMessage();
        assertEquals("truncated GIF data: 35 bytes cannot hold a 8000x8000 image (at least 15625)", message);

        byte[] early = ImageDecoderTestSupport.gifClaiming(300, 300); // floor 21 bytes: the header passes
        assertEquals(300, ImageHeader.read(early).width());
        message = assertThrows(ImageException.class, () -> new ImageDecoder().decode(early)).getMessage();
        assertEquals("truncated GIF data (the image data ends after 0 of its 300 rows)", message);
    }

    /**
     * The size floors never refuse a real image: the most compressible files of their size (all black, the best
     * compression) stay above them. A 1-bit 9000x9000 PNG at zlib level 9 is 9,924 bytes against a floor of 9,811;
     * the JDK's 4000x4000 grey progressive JPEG 62,860 against 31,250; its interlaced 4000x4000 GIF against 3,906.
     */
    @Test
    void sizeFloorsAdmitTheMostCompressibleRealImages() throws IOException {
        byte[] png = blackBilevelPng(9000, 9000);
        assertTrue(png.length < 10_000 && png.length >= ImageHeader.smallestFile(ImageFormat.PNG, 9000, 9000),
                png.length + " bytes");
        assertEquals(9000, ImageHeader.read(png).width());

        BufferedImage black = new BufferedImage(4000, 4000, BufferedImage.TYPE_BYTE_GRAY);
        byte[] jpeg = progressiveJpeg(black);
        assertTrue(jpeg.length < 2 * ImageHeader.smallestFile(ImageFormat.JPEG, 4000, 4000) + 1_000,
                "close to the floor: " + jpeg.length);
        assertEquals(4000, ImageHeader.read(jpeg).width());

        byte[] gif = encode(new BufferedImage(4000, 4000, BufferedImage.TYPE_BYTE_BINARY), "gif");
        assertTrue(gif.length >= ImageHeader.smallestFile(ImageFormat.GIF, 4000, 4000), gif.length + " bytes");
        assertEquals(4000, ImageHeader.read(gif).width());
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

    /** The JPEG with its last scan (an AC scan of a progressive file, up to EOI) repeated {@code times} more. */
    private static byte[] repeatLastScan(byte[] jpeg, int times) {
        int sos = -1;
        for (int p = jpeg.length - 2; p >= 2 && sos < 0; p--) {
            if ((jpeg[p] & 0xFF) == 0xFF && (jpeg[p + 1] & 0xFF) == 0xDA) {
                sos = p;
            }
        }
        int eoi = jpeg.length - 2;
        assertTrue(sos > 0 && (jpeg[eoi] & 0xFF) == 0xFF && (jpeg[eoi + 1] & 0xFF) == 0xD9);
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        out.write(jpeg, 0, eoi);
        for (int i = 0; i < times; i++) {
            out.write(jpeg, sos, eoi - sos);
        }
        out.write(jpeg, eoi, 2);
        return out.toByteArray();
    }

    /** A 1-bit grey PNG of black pixels, deflated at level 9 (the smallest a PNG of that size gets). */
    private static byte[] blackBilevelPng(int width, int height) throws IOException {
        int row = 1 + (width + 7) / 8; // filter byte, then the packed bits
        Deflater deflater = new Deflater(9);
        ByteArrayOutputStream idat = new ByteArrayOutputStream();
        byte[] zeros = new byte[row * 100];
        byte[] buf = new byte[1 << 16];
        for (int y = 0; y < height; y += 100) {
            deflater.setInput(zeros, 0, row * Math.min(100, height - y));
            while (!deflater.needsInput()) {
                idat.write(buf, 0, deflater.deflate(buf));
            }
        }
        deflater.finish();
        while (!deflater.finished()) {
            idat.write(buf, 0, deflater.deflate(buf));
        }
        deflater.end();
        ByteArrayOutputStream png = new ByteArrayOutputStream();
        png.write(new byte[]{(byte) 0x89, 'P', 'N', 'G', '\r', '\n', 0x1A, '\n'});
        ByteBuffer ihdr = ByteBuffer.allocate(13).putInt(width).putInt(height).put((byte) 1).put((byte) 0)
                .put((byte) 0).put((byte) 0).put((byte) 0);
        chunk(png, "IHDR", ihdr.array());
        chunk(png, "IDAT", idat.toByteArray());
        chunk(png, "IEND", new byte[0]);
        return png.toByteArray();
    }

    private static void chunk(ByteArrayOutputStream png, String type, byte[] data) throws IOException {
        CRC32 crc = new CRC32();
        byte[] name = type.getBytes(StandardCharsets.US_ASCII);
        crc.update(name);
        crc.update(data);
        png.write(ByteBuffer.allocate(4).putInt(data.length).array());
        png.write(name);
        png.write(data);
        png.write(ByteBuffer.allocate(4).putInt((int) crc.getValue()).array());
    }
}
