package dev.dfd.internal.io;

import com.code_intelligence.jazzer.junit.FuzzTest;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The EXIF reader on any TIFF-structured block, bare and inside each container that carries one (JPEG APP1, PNG
 * eXIf, WebP EXIF): the orientation is always 1..8, and the container readers find the same value as the bare block
 * (a damaged block must not make the JPEG, PNG or WebP walk fall back to its defaults).
 */
class ExifFuzzTest {
    /** The largest block a JPEG APP1 segment can hold after its length and "Exif\0\0". */
    private static final int MAX_APP1_EXIF = 0xFFFF - 2 - 6;

    @FuzzTest(maxDuration = "3s")
    void orientation(byte[] tiff) {
        int bare = Exif.orientation(tiff, 0, tiff.length);
        assertTrue(bare >= 1 && bare <= 8, "orientation " + bare);
        assertEquals(bare, ContainerInfo.read(ImageFormat.PNG, png(tiff)).orientation(), "PNG eXIf");
        assertEquals(bare, ContainerInfo.read(ImageFormat.WEBP, webp(tiff)).orientation(), "WebP EXIF");
        assertEquals(bare, ContainerInfo.read(ImageFormat.TIFF, tiff).orientation(), "TIFF");
        if (tiff.length <= MAX_APP1_EXIF) {
            assertEquals(bare, ContainerInfo.read(ImageFormat.JPEG, jpeg(tiff)).orientation(), "JPEG APP1");
        }
    }

    /** SOI, APP1 "Exif\0\0" + block, then the start of a scan (where the header walk stops). */
    private static byte[] jpeg(byte[] tiff) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        out.writeBytes(new byte[] {(byte) 0xFF, (byte) 0xD8, (byte) 0xFF, (byte) 0xE1});
        int length = 2 + 6 + tiff.length;
        out.write(length >>> 8);
        out.write(length);
        out.writeBytes("Exif\0\0".getBytes(StandardCharsets.ISO_8859_1));
        out.writeBytes(tiff);
        out.writeBytes(new byte[] {(byte) 0xFF, (byte) 0xDA});
        return out.toByteArray();
    }

    /** The PNG signature, an eXIf chunk holding the block (CRC not checked by the walk) and IEND. */
    private static byte[] png(byte[] tiff) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        out.writeBytes(new byte[] {(byte) 0x89, 'P', 'N', 'G', '\r', '\n', 0x1A, '\n'});
        chunkBigEndian(out, "eXIf", tiff);
        chunkBigEndian(out, "IEND", new byte[0]);
        return out.toByteArray();
    }

    private static void chunkBigEndian(ByteArrayOutputStream out, String type, byte[] data) {
        out.write(data.length >>> 24);
        out.write(data.length >>> 16);
        out.write(data.length >>> 8);
        out.write(data.length);
        out.writeBytes(type.getBytes(StandardCharsets.ISO_8859_1));
        out.writeBytes(data);
        out.writeBytes(new byte[4]); // CRC
    }

    /** RIFF/WEBP with an EXIF chunk (padded to an even size) holding the block. */
    private static byte[] webp(byte[] tiff) {
        ByteArrayOutputStream body = new ByteArrayOutputStream();
        body.writeBytes("WEBPEXIF".getBytes(StandardCharsets.ISO_8859_1));
        writeLittleEndian(body, tiff.length);
        body.writeBytes(tiff);
        if (tiff.length % 2 == 1) {
            body.write(0);
        }
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        out.writeBytes("RIFF".getBytes(StandardCharsets.ISO_8859_1));
        writeLittleEndian(out, body.size());
        out.writeBytes(body.toByteArray());
        return out.toByteArray();
    }

    private static void writeLittleEndian(ByteArrayOutputStream out, int v) {
        out.write(v);
        out.write(v >>> 8);
        out.write(v >>> 16);
        out.write(v >>> 24);
    }
}
