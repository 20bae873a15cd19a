package dev.dfd.train;

import dev.dfd.RgbImage;
import org.junit.jupiter.api.Test;

import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class AugmenterTest {
    /** A 96x96 checkerboard of 2-pixel squares with a colour ramp: all its detail is at the highest frequencies. */
    private static RgbImage fineDetail() {
        int n = 96;
        byte[] px = new byte[n * n * 3]; // (H, W, RGB) uint8
        for (int y = 0; y < n; y++) {
            for (int x = 0; x < n; x++) {
                int v = ((x / 2 + y / 2) & 1) == 0 ? 40 : 215;
                int i = (y * n + x) * 3;
                px[i] = (byte) v;
                px[i + 1] = (byte) (v / 2 + x);
                px[i + 2] = (byte) (255 - v);
            }
        }
        return new RgbImage(n, n, px);
    }

    /** Mean absolute difference between horizontal neighbours: how much fine detail survives. */
    private static double detail(RgbImage img) {
        byte[] p = img.pixels();
        double sum = 0;
        int count = 0;
        for (int y = 0; y < img.height(); y++) {
            for (int x = 1; x < img.width(); x++) {
                int i = (y * img.width() + x) * 3;
                sum += Math.abs((p[i] & 0xFF) - (p[i - 3] & 0xFF));
                count++;
            }
        }
        return sum / count;
    }

    @Test
    void sameRandomGivesTheSameImage() {
        Augmenter heavy = new Augmenter(64, Augmenter.Strength.HEAVY);
        for (long seed = 0; seed < 5; seed++) {
            RgbImage a = heavy.apply(fineDetail(), new Random(seed));
            RgbImage b = heavy.apply(fineDetail(), new Random(seed));
            assertEquals(64, a.width());
            assertEquals(64, a.height());
            assertArrayEquals(a.pixels(), b.pixels(), "seed " + seed);
        }
    }

    @Test
    void heavyDegradesMoreOftenAndHarderThanStandard() {
        Augmenter standard = new Augmenter(96, Augmenter.Strength.STANDARD);
        Augmenter heavy = new Augmenter(96, Augmenter.Strength.HEAVY);
        int draws = 120;
        int standardLost = 0;
        int heavyLost = 0;
        double original = detail(new Augmenter(96).randomResizedCrop(fineDetail(), new Random(1)));
        for (int i = 0; i < draws; i++) {
            // the same crop and flip for both (the first draws of the Random), then each strength's degradations
            if (detail(standard.apply(fineDetail(), new Random(i))) < 0.5 * original) {
                standardLost++;
            }
            if (detail(heavy.apply(fineDetail(), new Random(i))) < 0.5 * original) {
                heavyLost++;
            }
        }
        // standard: blur p 0.15, downscale p 0.2 -> about a third lose half their detail; heavy: about a half or more
        assertTrue(standardLost > draws / 8 && standardLost < draws / 2, "standard lost detail in " + standardLost);
        assertTrue(heavyLost > standardLost * 1.2, "heavy " + heavyLost + " vs standard " + standardLost);
    }

    @Test
    void strengthNamesAreParsedAndUnknownOnesRefused() {
        assertEquals(Augmenter.Strength.STANDARD, Augmenter.Strength.parse(null));
        assertEquals(Augmenter.Strength.HEAVY, Augmenter.Strength.parse("Heavy"));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> Augmenter.Strength.parse("extreme"));
        assertTrue(e.getMessage().contains("standard or heavy"), e.getMessage());
    }
}
