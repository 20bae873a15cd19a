package dev.dfd.internal.io;

import dev.dfd.ImageException;

import java.nio.charset.StandardCharsets;

/**
 * What dfd needs from an image file's container before decoding pixels: the EXIF orientation and, for JPEG, the
 * Adobe colour transform (which decides how Pillow reads 4-channel JPEGs). Every offset read from the file is
 * checked against its length; a damaged header yields defaults here and fails later in the decoder with a clear
 * message.
 *
 * @param orientation    EXIF orientation 1..8 (1 when absent or unreadable)
 * @param adobe          a JPEG APP14 "Adobe" segment is present
 * @param adobeTransform its transform byte (0 none/CMYK, 1 YCbCr, 2 YCCK), -1 when absent
 * @param jpegComponents number of components in the JPEG frame header, 0 when not a JPEG or not found
 * @param jpegScans      number of scans (SOS markers) in a JPEG, 0 when not a JPEG
 */
public record ContainerInfo(int orientation, boolean adobe, int adobeTransform, int jpegComponents, int jpegScans) {
    static final ContainerInfo NONE = new ContainerInfo(1, false, -1, 0, 0);
    /**
     * The most scans a JPEG may have. libjpeg walks every block of the image for every scan, and a scan can be a few
     * bytes, so a small file of thousands of scans takes minutes to decode; real progressive JPEGs have about 10
     * (libjpeg's default script has 10, mozjpeg's a few more).
     */
    public static final int MAX_JPEG_SCANS = 100;

    static ContainerInfo read(ImageFormat format, byte[] b) {
        try {
            return switch (format) {
                case JPEG -> readJpeg(b);
                case PNG -> readPng(b);
                case WEBP -> readWebp(b);
                case TIFF -> new ContainerInfo(Exif.orientation(b, 0, b.length), false, -1, 0, 0);
                default -> NONE;
            };
        } catch (IndexOutOfBoundsException e) { // a damaged container: the decoder reports the real problem
            return format == ImageFormat.JPEG ? new ContainerInfo(1, false, -1, 0, countScans(b, 2)) : NONE;
        }
    }

    /** Refuses a JPEG of more than {@link #MAX_JPEG_SCANS} scans before libjpeg spends minutes decoding it. */
    void requireFewScans() {
        if (jpegScans > MAX_JPEG_SCANS) {
            throw new ImageException("too many scans: " + jpegScans + ", the limit is " + MAX_JPEG_SCANS
                    + " (a progressive JPEG has about 10)");
        }
    }

    private static ContainerInfo readJpeg(byte[] b) {
        int orientation = 1;
        boolean exifSeen = false;
        boolean adobe = false;
        int transform = -1;
        int components = 0;
        int p = 2;
        while (p + 4 <= b.length) {
            if ((b[p] & 0xFF) != 0xFF) {
                break;
            }
            int marker = b[p + 1] & 0xFF;
            if (marker == 0xFF) { // fill byte
                p++;
                continue;
            }
            if (marker == 0xD8 || (marker >= 0xD0 && marker <= 0xD7) || marker == 0x01) {
                p += 2;
                continue;
            }
            if (marker == 0xDA || marker == 0xD9) { // start of scan / end of image: headers are over
                break;
            }
            int length = u16be(b, p + 2);
            int data = p + 4;
            int dataLength = length - 2;
            if (length < 2 || data + dataLength > b.length) {
                break;
            }
            if (marker == 0xE1 && !exifSeen && dataLength >= 6 && startsWith(b, data, "Exif\0\0")) {
                exifSeen = true; // Pillow reads the first Exif APP1 segment
                orientation = Exif.orientation(b, data + 6, dataLength - 6);
            } else if (marker == 0xEE && dataLength >= 12 && startsWith(b, data, "Adobe")) {
                adobe = true;
                transform = b[data + 11] & 0xFF;
            } else if (isStartOfFrame(marker) && dataLength >= 6) {
                components = b[data + 5] & 0xFF;
            }
            p = data + dataLength;
        }
        // the scans are counted from where the headers stopped, however they stopped: libjpeg skips stray bytes
        return new ContainerInfo(orientation, adobe, transform, components, countScans(b, p));
    }

    /**
     * The scans (SOS markers) from {@code p} to the end of the image, walking marker segments and skipping each
     * scan's entropy-coded data up to the next marker (0xFF followed by neither a stuffed 0x00 nor a restart marker
     * RST0-7). Bytes between segments that are not a marker are skipped, as libjpeg skips them.
     */
    static int countScans(byte[] b, int p) {
        int scans = 0;
        while (p + 1 < b.length) {
            if ((b[p] & 0xFF) != 0xFF) {
                p++;
                continue;
            }
            int marker = b[p + 1] & 0xFF;
            if (marker == 0xD9) { // end of image
                break;
            }
            if (marker == 0xFF || marker == 0x00 || marker == 0x01 || marker == 0xD8
                    || (marker >= 0xD0 && marker <= 0xD7)) { // fill byte, or a marker without a length
                p += marker == 0xFF ? 1 : 2;
                continue;
            }
            if (p + 4 > b.length) {
                break;
            }
            int length = u16be(b, p + 2);
            if (length < 2) {
                break;
            }
            p += 2 + length;
            if (marker == 0xDA) {
                scans++;
                while (p + 1 < b.length && !((b[p] & 0xFF) == 0xFF && endsEntropyData(b[p + 1] & 0xFF))) {
                    p++;
                }
            }
        }
        return scans;
    }

    private static boolean endsEntropyData(int next) {
        return next != 0x00 && !(next >= 0xD0 && next <= 0xD7);
    }

    private static boolean isStartOfFrame(int marker) {
        return marker >= 0xC0 && marker <= 0xCF && marker != 0xC4 && marker != 0xC8 && marker != 0xCC;
    }

    private static ContainerInfo readPng(byte[] b) {
        int p = 8;
        while (p + 12 <= b.length) {
            long length = u32be(b, p);
            if (length > b.length - p - 12) {
                break;
            }
            if (startsWith(b, p + 4, "eXIf")) {
                int data = p + 8;
                int n = (int) length;
                // some writers keep the JPEG-style "Exif\0\0" prefix; Pillow accepts both
                if (n >= 6 && startsWith(b, data, "Exif\0\0")) {
                    data += 6;
                    n -= 6;
                }
                return new ContainerInfo(Exif.orientation(b, data, n), false, -1, 0, 0);
            }
            if (startsWith(b, p + 4, "IEND")) {
                break;
            }
            p += 12 + (int) length;
        }
        return NONE;
    }

    private static ContainerInfo readWebp(byte[] b) {
        int p = 12;
        while (p + 8 <= b.length) {
            long length = u32le(b, p + 4);
            if (length > b.length - p - 8) {
                break;
            }
            if (startsWith(b, p, "EXIF")) {
                int data = p + 8;
                int n = (int) length;
                if (n >= 6 && startsWith(b, data, "Exif\0\0")) {
                    data += 6;
                    n -= 6;
                }
                return new ContainerInfo(Exif.orientation(b, data, n), false, -1, 0, 0);
            }
            p += 8 + (int) ((length + 1) & ~1L); // chunks are padded to even sizes
        }
        return NONE;
    }

    static boolean startsWith(byte[] b, int off, String ascii) {
        byte[] s = ascii.getBytes(StandardCharsets.ISO_8859_1);
        if (off < 0 || off + s.length > b.length) {
            return false;
        }
        for (int i = 0; i < s.length; i++) {
            if (b[off + i] != s[i]) {
                return false;
            }
        }
        return true;
    }

    static int u16be(byte[] b, int p) {
        return ((b[p] & 0xFF) << 8) | (b[p + 1] & 0xFF);
    }

    static long u32be(byte[] b, int p) {
        return ((long) (b[p] & 0xFF) << 24) | ((b[p + 1] & 0xFF) << 16) | ((b[p + 2] & 0xFF) << 8) | (b[p + 3] & 0xFF);
    }

    static long u32le(byte[] b, int p) {
        return ((long) (b[p + 3] & 0xFF) << 24) | ((b[p + 2] & 0xFF) << 16) | ((b[p + 1] & 0xFF) << 8) | (b[p] & 0xFF);
    }
}
