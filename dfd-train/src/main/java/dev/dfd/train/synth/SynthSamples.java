package dev.dfd.train.synth;

import dev.dfd.Face;
import dev.dfd.RgbImage;
import dev.dfd.internal.face.FaceDetector;
import dev.dfd.internal.face.FaceDetectorOptions;
import dev.dfd.internal.io.ImageDecoder;

import javax.imageio.ImageIO;
import java.awt.Color;
import java.awt.Font;
import java.awt.Graphics2D;
import java.awt.RenderingHints;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Random;

/**
 * The picture of what {@code --synthesize} makes, for the documentation: one real face, then for each kind (and the
 * mask blending uses) a few fakes made from it with fixed seeds, each beside its difference from the real image
 * (absolute, times 4), so that what changed and where is visible. A dev tool:
 *
 * <pre>
 * java -cp 'dfd-cli/target/dfd-cli-0.1.0-SNAPSHOT.jar:dfd-cli/target/lib/*:dfd-cli/target/lib-train/*' \
 *     dev.dfd.train.synth.SynthSamples photo.jpg docs/synthesis-samples.jpg
 * </pre>
 */
public final class SynthSamples {
    private static final int TILE = 192;
    private static final int LABEL = 18;

    private SynthSamples() {
    }

    public static void main(String[] args) throws IOException {
        if (args.length != 2) {
            System.err.println("usage: SynthSamples IMAGE OUT.jpg|OUT.png");
            System.exit(2);
        }
        RgbImage real = new ImageDecoder().decode(Files.readAllBytes(Path.of(args[0])));
        float[][] keypoints;
        try (FaceDetector detector = new FaceDetector(FaceDetectorOptions.DEFAULT.withMaxFaces(1))) {
            List<Face> faces = detector.detect(real);
            if (faces.isEmpty()) {
                System.err.println(args[0] + ": no face found");
                System.exit(1);
                return;
            }
            keypoints = new float[6][];
            for (int i = 0; i < 6; i++) {
                Face.Point p = faces.get(0).keypoints().get(i);
                keypoints[i] = new float[]{p.x(), p.y()};
            }
        }
        long[] seeds = {1, 2, 3};
        Synthesis.Kind[] kinds = Synthesis.Kind.values();
        int cols = 1 + 2 * seeds.length; // real or mask, then (fake, difference) per seed
        int rows = kinds.length + 1;
        BufferedImage sheet = new BufferedImage(cols * TILE, rows * (TILE + LABEL), BufferedImage.TYPE_INT_RGB);
        Graphics2D g = sheet.createGraphics();
        g.setColor(Color.WHITE);
        g.fillRect(0, 0, sheet.getWidth(), sheet.getHeight());
        g.setRenderingHint(RenderingHints.KEY_INTERPOLATION, RenderingHints.VALUE_INTERPOLATION_BILINEAR);
        g.setRenderingHint(RenderingHints.KEY_TEXT_ANTIALIASING, RenderingHints.VALUE_TEXT_ANTIALIAS_ON);
        g.setFont(new Font(Font.SANS_SERIF, Font.PLAIN, 12));
        // first row: the real face and the blend masks of the same seeds
        tile(g, real.toBufferedImage(), 0, 0, "real");
        for (int s = 0; s < seeds.length; s++) {
            float[] mask = FaceMask.random(real.width(), real.height(), keypoints, new Random(seeds[s]));
            tile(g, grey(mask, real.width(), real.height()), 1 + 2 * s, 0, "blend mask, seed " + seeds[s]);
        }
        for (int k = 0; k < kinds.length; k++) {
            String name = kinds[k].name().toLowerCase(java.util.Locale.ROOT);
            tile(g, real.toBufferedImage(), 0, k + 1, "real -> " + name);
            for (int s = 0; s < seeds.length; s++) {
                RgbImage fake = Synthesis.fake(real, keypoints, List.of(kinds[k]), new Random(seeds[s]));
                tile(g, fake.toBufferedImage(), 1 + 2 * s, k + 1, name + ", seed " + seeds[s]);
                tile(g, difference(real, fake), 2 + 2 * s, k + 1, "|fake - real| x 4");
            }
        }
        g.dispose();
        String format = args[1].toLowerCase(java.util.Locale.ROOT).endsWith(".png") ? "png" : "jpg";
        ImageIO.write(sheet, format, Path.of(args[1]).toFile());
        System.out.println("wrote " + args[1]);
    }

    private static void tile(Graphics2D g, BufferedImage img, int col, int row, String label) {
        int x = col * TILE;
        int y = row * (TILE + LABEL);
        g.drawImage(img, x + 2, y + LABEL, TILE - 4, TILE - 4, null);
        g.setColor(Color.BLACK);
        g.drawString(label, x + 4, y + 13);
    }

    /** A mask in [0, 1] (row-major, width x height) as a grey image. */
    private static BufferedImage grey(float[] mask, int width, int height) {
        BufferedImage img = new BufferedImage(width, height, BufferedImage.TYPE_INT_RGB);
        for (int i = 0; i < mask.length; i++) {
            int v = Math.round(Math.max(0, Math.min(1, mask[i])) * 255);
            img.setRGB(i % width, i / width, (v << 16) | (v << 8) | v);
        }
        return img;
    }

    /** Per-pixel absolute difference, brightened 4 times, as RGB. */
    private static BufferedImage difference(RgbImage a, RgbImage b) {
        BufferedImage img = new BufferedImage(a.width(), a.height(), BufferedImage.TYPE_INT_RGB);
        byte[] pa = a.pixels();
        byte[] pb = b.pixels();
        for (int y = 0; y < a.height(); y++) {
            for (int x = 0; x < a.width(); x++) {
                int rgb = 0;
                for (int c = 0; c < 3; c++) {
                    int i = (y * a.width() + x) * 3 + c;
                    int d = Math.min(255, 4 * Math.abs((pa[i] & 255) - (pb[i] & 255)));
                    rgb = (rgb << 8) | d;
                }
                img.setRGB(x, y, rgb);
            }
        }
        return img;
    }
}
