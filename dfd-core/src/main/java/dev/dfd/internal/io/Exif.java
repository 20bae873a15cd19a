package dev.dfd.internal.io;

/** Reads the orientation tag from a TIFF-structured EXIF block, checking every offset against the block. */
final class Exif {
    private static final int TAG_ORIENTATION = 0x0112;
    private static final int TYPE_SHORT = 3;
    private static final int MAX_IFD_ENTRIES = 1000;

    private Exif() {
    }

    /** Orientation 1..8 from the TIFF block at {@code b[off, off + len)}; 1 when absent or malformed. */
    static int orientation(byte[] b, int off, int len) {
        if (len < 8 || off < 0 || off + len > b.length) {
            return 1;
        }
        boolean little;
        if (b[off] == 'I' && b[off + 1] == 'I') {
            little = true;
        } else if (b[off] == 'M' && b[off + 1] == 'M') {
            little = false;
        } else {
            return 1;
        }
        if (u16(b, off + 2, little) != 42) {
            return 1;
        }
        long ifd = u32(b, off + 4, little);
        if (ifd < 8 || ifd + 2 > len) {
            return 1;
        }
        int entries = u16(b, off + (int) ifd, little);
        if (entries > MAX_IFD_ENTRIES) {
            return 1;
        }
        for (int i = 0; i < entries; i++) {
            int e = off + (int) ifd + 2 + 12 * i;
            if (e + 12 > off + len) {
                return 1;
            }
            if (u16(b, e, little) == TAG_ORIENTATION) {
                if (u16(b, e + 2, little) != TYPE_SHORT) {
                    return 1;
                }
                int v = u16(b, e + 8, little);
                return v >= 1 && v <= 8 ? v : 1;
            }
        }
        return 1;
    }

    private static int u16(byte[] b, int p, boolean little) {
        return little ? ((b[p + 1] & 0xFF) << 8) | (b[p] & 0xFF) : ((b[p] & 0xFF) << 8) | (b[p + 1] & 0xFF);
    }

    private static long u32(byte[] b, int p, boolean little) {
        return little ? ContainerInfo.u32le(b, p) : ContainerInfo.u32be(b, p);
    }
}
