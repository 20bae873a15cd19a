package dev.dfd.internal.preprocess;

import com.fasterxml.jackson.databind.JsonNode;
import dev.dfd.Fixtures;
import dev.dfd.Golden;
import dev.dfd.RgbImage;
import dev.dfd.internal.io.ImageDecoder;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;

import java.io.IOException;
import java.nio.file.Files;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;

class ResamplerTest {
    /** Pillow 9.4's own output (resize.json) for every filter, shrinking, enlarging, same size, odd sizes. */
    @TestFactory
    List<DynamicTest> matchesPillow() throws IOException {
        Map<String, RgbImage> images = new HashMap<>();
        List<DynamicTest> tests = new ArrayList<>();
        for (JsonNode c : Fixtures.json("resize.json").get("cases")) {
            String file = c.get("image").asText();
            Resample filter = Resample.ofPillowId(c.get("resample").asInt());
            int w = c.get("width").asInt();
            int h = c.get("height").asInt();
            tests.add(DynamicTest.dynamicTest(file + " -> " + w + "x" + h + " " + filter, () -> {
                RgbImage in = images.computeIfAbsent(file, f -> decode(f));
                RgbImage out = Resampler.resize(in, w, h, filter);
                assertEquals(c.get("sha256").asText(), Golden.sha256(out.pixels()));
            }));
        }
        return tests;
    }

    private static RgbImage decode(String file) {
        try {
            return new ImageDecoder().decode(Files.readAllBytes(Fixtures.dir().resolve("images").resolve(file)));
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    /** The fast resampler against the slow, obviously correct one below, on random images and sizes. */
    @Test
    void matchesSlowReference() {
        Random random = new Random(42);
        int[] sizes = {1, 2, 3, 5, 8, 17, 31, 64, 100};
        for (Resample filter : new Resample[]{Resample.BILINEAR, Resample.BICUBIC, Resample.LANCZOS, Resample.BOX,
                Resample.HAMMING}) {
            for (int trial = 0; trial < 40; trial++) {
                int inW = sizes[random.nextInt(sizes.length)];
                int inH = sizes[random.nextInt(sizes.length)];
                int outW = sizes[random.nextInt(sizes.length)];
                int outH = random.nextBoolean() ? inH : sizes[random.nextInt(sizes.length)];
                byte[] px = new byte[inW * inH * 3];
                random.nextBytes(px);
                RgbImage in = new RgbImage(inW, inH, px);
                byte[] expected = SlowResampler.resize(in, outW, outH, filter);
                assertArrayEquals(expected, Resampler.resize(in, outW, outH, filter).pixels(),
                        filter + " " + inW + "x" + inH + " -> " + outW + "x" + outH);
            }
        }
    }

    @Test
    void sameSizeIsACopy() {
        RgbImage in = new RgbImage(2, 2, new byte[12]);
        assertSame(in, Resampler.resize(in, 2, 2, Resample.BICUBIC));
    }

    /**
     * Pillow's algorithm written the plain way: every output sample recomputes its weights over the whole input
     * line, in doubles, skipping zero weights; then 22-bit fixed point; horizontal pass into 8 bits, then vertical.
     */
    static final class SlowResampler {
        static byte[] resize(RgbImage in, int outW, int outH, Resample filter) {
            int[][][] img = new int[in.height()][in.width()][3];
            for (int y = 0; y < in.height(); y++) {
                for (int x = 0; x < in.width(); x++) {
                    for (int c = 0; c < 3; c++) {
                        img[y][x][c] = in.get(x, y, c);
                    }
                }
            }
            if (outW != in.width()) {
                int[][][] h = new int[in.height()][outW][3];
                for (int y = 0; y < in.height(); y++) {
                    for (int c = 0; c < 3; c++) {
                        int[] line = new int[in.width()];
                        for (int x = 0; x < in.width(); x++) {
                            line[x] = img[y][x][c];
                        }
                        int[] r = resample1d(line, outW, filter);
                        for (int x = 0; x < outW; x++) {
                            h[y][x][c] = r[x];
                        }
                    }
                }
                img = h;
            }
            int w = img[0].length;
            if (outH != in.height()) {
                int[][][] v = new int[outH][w][3];
                for (int x = 0; x < w; x++) {
                    for (int c = 0; c < 3; c++) {
                        int[] line = new int[img.length];
                        for (int y = 0; y < img.length; y++) {
                            line[y] = img[y][x][c];
                        }
                        int[] r = resample1d(line, outH, filter);
                        for (int y = 0; y < outH; y++) {
                            v[y][x][c] = r[y];
                        }
                    }
                }
                img = v;
            }
            byte[] out = new byte[img.length * w * 3];
            int o = 0;
            for (int[][] row : img) {
                for (int[] p : row) {
                    for (int c = 0; c < 3; c++) {
                        out[o++] = (byte) p[c];
                    }
                }
            }
            return out;
        }

        static int[] resample1d(int[] line, int outSize, Resample filter) {
            int n = line.length;
            double scale = (double) n / outSize;
            double fs = Math.max(1.0, scale);
            int[] out = new int[outSize];
            for (int i = 0; i < outSize; i++) {
                double center = (i + 0.5) * scale;
                double support = filter.support * fs;
                int lo = Math.max(0, (int) (center - support + 0.5));
                int hi = Math.min(n, (int) (center + support + 0.5));
                double sum = 0;
                double[] w = new double[n];
                for (int j = lo; j < hi; j++) {
                    w[j] = filter.kernel((j - center + 0.5) * (1.0 / fs)); // Pillow multiplies by 1/fs
                    sum += w[j];
                }
                long acc = 1L << 21;
                for (int j = lo; j < hi; j++) {
                    double k = sum != 0 ? w[j] / sum : w[j];
                    long fixed = k < 0 ? (long) (k * (1 << 22) - 0.5) : (long) (k * (1 << 22) + 0.5);
                    acc += line[j] * fixed;
                }
                out[i] = (int) Math.max(0, Math.min(255, Math.floorDiv(acc, 1L << 22)));
            }
            return out;
        }
    }
}
