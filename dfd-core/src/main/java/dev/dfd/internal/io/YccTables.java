package dev.dfd.internal.io;

import java.awt.image.Raster;
import java.awt.image.WritableRaster;

/** libjpeg's fixed-point YCbCr conversion ({@code jdcolor.c}), used for Adobe YCCK JPEGs read as raw rasters. */
final class YccTables {
    private static final int SCALEBITS = 16;
    private static final int ONE_HALF = 1 << (SCALEBITS - 1);
    private static final int[] CR_R = new int[256];
    private static final int[] CB_B = new int[256];
    private static final int[] CR_G = new int[256];
    private static final int[] CB_G = new int[256];

    static {
        for (int i = 0; i < 256; i++) {
            int x = i - 128;
            CR_R[i] = (fix(1.40200) * x + ONE_HALF) >> SCALEBITS;
            CB_B[i] = (fix(1.77200) * x + ONE_HALF) >> SCALEBITS;
            CR_G[i] = -fix(0.71414) * x;
            CB_G[i] = -fix(0.34414) * x + ONE_HALF;
        }
    }

    private YccTables() {
    }

    private static int fix(double x) {
        return (int) (x * (1 << SCALEBITS) + 0.5);
    }

    private static int clamp(int v) {
        return v < 0 ? 0 : Math.min(v, 255);
    }

    /** YCCK samples to CMYK as libjpeg's {@code ycck_cmyk_convert}: C = 255 - R, M = 255 - G, Y = 255 - B, K kept. */
    static Raster ycckToCmyk(Raster in) {
        int w = in.getWidth();
        int h = in.getHeight();
        WritableRaster out = in.createCompatibleWritableRaster();
        int[] px = new int[w * 4];
        for (int y = 0; y < h; y++) {
            in.getPixels(in.getMinX(), in.getMinY() + y, w, 1, px);
            for (int x = 0; x < w; x++) {
                int yy = px[4 * x];
                int cb = px[4 * x + 1];
                int cr = px[4 * x + 2];
                px[4 * x] = 255 - clamp(yy + CR_R[cr]);
                px[4 * x + 1] = 255 - clamp(yy + ((CB_G[cb] + CR_G[cr]) >> SCALEBITS));
                px[4 * x + 2] = 255 - clamp(yy + CB_B[cb]);
            }
            out.setPixels(0, y, w, 1, px);
        }
        return out;
    }
}
