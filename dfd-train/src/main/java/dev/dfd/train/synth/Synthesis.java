package dev.dfd.train.synth;

import dev.dfd.RgbImage;

import java.util.List;
import java.util.Locale;
import java.util.Random;

/**
 * Fakes made from real faces, so that a detector can be trained with real images only (or with them beside real
 * fakes) and learn the traces manipulations leave rather than one data set's identities or settings:
 * <ul>
 *   <li>{@link Kind#BLEND} self-blending (Shiohara &amp; Yamasaki, CVPR 2022): the face blended into itself through a
 *       jittered, blurred face mask after a colour, sharpness and small geometric change, so only the blending
 *       boundary and the statistics mismatch tell it apart;</li>
 *   <li>{@link Kind#UPSAMPLE} generator-upsampling traces: the face region (or the whole image) down-sampled and
 *       up-sampled by 2 or 4 with nearest, bilinear or a random transposed-convolution kernel (its checkerboard is what
 *       GAN decoders leave);</li>
 *   <li>{@link Kind#RETOUCH} local retouching: a bulge or pinch warp around an eye or the mouth, skin smoothing inside
 *       the face, or a patch cloned within the face.</li>
 * </ul>
 * Every choice comes from the Random passed in: the same (image, keypoints, seed) gives the same fake.
 *
 * <pre>{@code
 * RgbImage fake = Synthesis.fake(real, keypoints, List.of(Synthesis.Kind.BLEND), new Random(seed));
 * }</pre>
 */
public final class Synthesis {
    private Synthesis() {
    }

    public enum Kind {
        BLEND, UPSAMPLE, RETOUCH;

        /** "blend", "upsample", "retouch" (comma-separated lists through {@link #parseList}). */
        public static Kind parse(String s) {
            try {
                return valueOf(s.trim().toUpperCase(Locale.ROOT));
            } catch (IllegalArgumentException e) {
                throw new dev.dfd.DfdException("unknown synthesis kind '" + s + "', expected blend, upsample or"
                        + " retouch");
            }
        }

        public static List<Kind> parseList(String list) {
            List<Kind> kinds = java.util.Arrays.stream(list.split(",")).filter(x -> !x.isBlank()).map(Kind::parse)
                    .distinct().toList();
            if (kinds.isEmpty()) {
                throw new dev.dfd.DfdException("no synthesis kind in '" + list + "', expected blend, upsample or"
                        + " retouch");
            }
            return kinds;
        }
    }

    /**
     * A fake made from {@code real} by one of {@code kinds}, drawn uniformly.
     *
     * @param keypoints (6, 2) BlazeFace keypoints of the face in {@code real}, in pixels
     */
    public static RgbImage fake(RgbImage real, float[][] keypoints, List<Kind> kinds, Random r) {
        if (kinds.isEmpty()) {
            throw new IllegalArgumentException("no synthesis kind");
        }
        return switch (kinds.get(r.nextInt(kinds.size()))) {
            case BLEND -> SelfBlend.apply(real, keypoints, r);
            case UPSAMPLE -> UpsampleTrace.apply(real, keypoints, r);
            case RETOUCH -> LocalRetouch.apply(real, keypoints, r);
        };
    }

    /** {@code target} where the mask is 0, {@code source} where it is 1 times {@code ratio}, mixed between. */
    static RgbImage blend(RgbImage target, float[][] source, float[] mask, double ratio) {
        float[][] t = Filters.planes(target);
        int n = mask.length;
        for (int c = 0; c < 3; c++) {
            for (int i = 0; i < n; i++) {
                double a = mask[i] * ratio;
                if (a > 0) {
                    t[c][i] = (float) (t[c][i] * (1 - a) + source[c][i] * a);
                }
            }
        }
        return Filters.image(t, target.width(), target.height());
    }
}
