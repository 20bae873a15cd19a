package dev.dfd.internal.face;

import dev.dfd.Face;
import dev.dfd.RgbImage;
import dev.dfd.internal.io.ImageDecoder;

import java.awt.Color;
import java.awt.Font;
import java.awt.Graphics2D;
import java.awt.RenderingHints;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;

/**
 * The synthetic face benchmark: face crops pasted at known boxes onto backgrounds, and face-free images. A face
 * crop of side c is taken to hold a face box of side c / {@link #CROP_PER_FACE} centred at (0.5, {@link
 * #FACE_CENTER_Y}) of the crop (the DFDC crops' geometry as measured with the full-range model, as in
 * {@code FaceCrop.DFDC}), so a pasted face of "size" s has that box scaled, and recall is measured at
 * IoU >= 0.5 against it. Everything is fixed by the seed.
 */
final class SyntheticFaces {
    static final double CROP_PER_FACE = 1.11;
    static final double FACE_CENTER_Y = 0.54;
    static final int[] SIZES = {32, 48, 64, 96, 128, 192, 256, 384, 512};
    static final String[] TEXTURES = {"brick", "grass", "gravel", "coffee", "chelsea"};
    /**
     * Backgrounds for pasted faces: the textures without the photos whose false faces (the cat's face in chelsea, a
     * spot of the coffee photo) would otherwise be counted once per image; they stay among the face-free images.
     */
    static final String[] BACKGROUNDS = {"brick", "grass", "gravel"};

    /** One benchmark image and its true face boxes (empty for face-free images). */
    record Sample(String name, RgbImage image, List<Face.Box> truth, int size) {
    }

    private SyntheticFaces() {
    }

    static RgbImage texture(Path fixtures, String name) {
        try {
            return new ImageDecoder().decode(Files.readAllBytes(fixtures.resolve("faces/textures/" + name + ".png")));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    static BufferedImage rgb(RgbImage img) {
        return img.toBufferedImage();
    }

    /** A background of {@code w} x {@code h}: one of the textures stretched, a gradient, or smooth noise. */
    static BufferedImage background(Path fixtures, Random rnd, int w, int h) {
        BufferedImage bg = new BufferedImage(w, h, BufferedImage.TYPE_3BYTE_BGR);
        Graphics2D g = bg.createGraphics();
        g.setRenderingHint(RenderingHints.KEY_INTERPOLATION, RenderingHints.VALUE_INTERPOLATION_BILINEAR);
        int kind = rnd.nextInt(BACKGROUNDS.length + 1);
        if (kind < BACKGROUNDS.length) {
            g.drawImage(rgb(texture(fixtures, BACKGROUNDS[kind])), 0, 0, w, h, null);
        } else {
            g.setPaint(new java.awt.GradientPaint(0, 0, new Color(rnd.nextInt(0xFFFFFF)), w, h,
                    new Color(rnd.nextInt(0xFFFFFF))));
            g.fillRect(0, 0, w, h);
        }
        g.dispose();
        return bg;
    }

    /** Pastes {@code face} (a face crop) with its face box of side {@code size} at a random place; returns the box. */
    static Face.Box paste(BufferedImage canvas, BufferedImage face, int size, Random rnd) {
        int crop = (int) Math.round(size * CROP_PER_FACE);
        int x = crop >= canvas.getWidth() ? 0 : rnd.nextInt(canvas.getWidth() - crop + 1);
        int y = crop >= canvas.getHeight() ? 0 : rnd.nextInt(canvas.getHeight() - crop + 1);
        Graphics2D g = canvas.createGraphics();
        g.setRenderingHint(RenderingHints.KEY_INTERPOLATION, RenderingHints.VALUE_INTERPOLATION_BILINEAR);
        g.drawImage(face, x, y, crop, crop, null);
        g.dispose();
        double cx = x + crop * 0.5;
        double cy = y + crop * FACE_CENTER_Y;
        return new Face.Box((float) (cx - size / 2.0), (float) (cy - size / 2.0), size, size);
    }

    /** One face of each size per face crop given, on a 1024x768 background, faces cycling through {@code faces}. */
    static List<Sample> faceImages(Path fixtures, List<BufferedImage> faces, int perSize, long seed) {
        Random rnd = new Random(seed);
        List<Sample> out = new ArrayList<>();
        int next = 0;
        for (int size : SIZES) {
            for (int i = 0; i < perSize; i++) {
                BufferedImage canvas = background(fixtures, rnd, 1024, 768);
                Face.Box box = paste(canvas, faces.get(next++ % faces.size()), size, rnd);
                out.add(new Sample("face" + size + "_" + i, dev.dfd.internal.io.ImageDecoder.fromBufferedImage(canvas),
                        List.of(box), size));
            }
        }
        return out;
    }

    /** Face-free images: black, white, noise, gradients, rendered text, a screenshot-like page, and the textures. */
    static List<Sample> faceFree(Path fixtures, long seed) {
        Random rnd = new Random(seed);
        List<Sample> out = new ArrayList<>();
        out.add(plain("black", Color.BLACK));
        out.add(plain("white", Color.WHITE));
        for (int i = 0; i < 3; i++) {
            byte[] px = new byte[1024 * 768 * 3];
            rnd.nextBytes(px);
            out.add(new Sample("noise" + i, new RgbImage(1024, 768, px), List.of(), 0));
        }
        for (int i = 0; i < 3; i++) {
            BufferedImage bi = new BufferedImage(1024, 768, BufferedImage.TYPE_3BYTE_BGR);
            Graphics2D g = bi.createGraphics();
            g.setPaint(new java.awt.GradientPaint(0, 0, new Color(rnd.nextInt(0xFFFFFF)), 1024, 768 * i / 2f,
                    new Color(rnd.nextInt(0xFFFFFF))));
            g.fillRect(0, 0, 1024, 768);
            g.dispose();
            out.add(new Sample("gradient" + i, ImageDecoder.fromBufferedImage(bi), List.of(), 0));
        }
        out.add(new Sample("text", ImageDecoder.fromBufferedImage(text(rnd, false)), List.of(), 0));
        out.add(new Sample("screenshot", ImageDecoder.fromBufferedImage(text(rnd, true)), List.of(), 0));
        for (String t : TEXTURES) {
            BufferedImage bi = new BufferedImage(1024, 768, BufferedImage.TYPE_3BYTE_BGR);
            Graphics2D g = bi.createGraphics();
            g.setRenderingHint(RenderingHints.KEY_INTERPOLATION, RenderingHints.VALUE_INTERPOLATION_BILINEAR);
            g.drawImage(rgb(texture(fixtures, t)), 0, 0, 1024, 768, null);
            g.dispose();
            out.add(new Sample(t, ImageDecoder.fromBufferedImage(bi), List.of(), 0));
        }
        return out;
    }

    static Sample plain(String name, Color c) {
        BufferedImage bi = new BufferedImage(1920, 1080, BufferedImage.TYPE_3BYTE_BGR);
        Graphics2D g = bi.createGraphics();
        g.setColor(c);
        g.fillRect(0, 0, 1920, 1080);
        g.dispose();
        return new Sample(name, ImageDecoder.fromBufferedImage(bi), List.of(), 0);
    }

    /** Lines of text (Java2D, anti-aliased); {@code screenshot} adds a title bar, side panel and buttons. */
    static BufferedImage text(Random rnd, boolean screenshot) {
        BufferedImage bi = new BufferedImage(1280, 800, BufferedImage.TYPE_3BYTE_BGR);
        Graphics2D g = bi.createGraphics();
        g.setRenderingHint(RenderingHints.KEY_TEXT_ANTIALIASING, RenderingHints.VALUE_TEXT_ANTIALIAS_ON);
        g.setColor(Color.WHITE);
        g.fillRect(0, 0, 1280, 800);
        int left = 40;
        if (screenshot) {
            g.setColor(new Color(0x2B2B2B));
            g.fillRect(0, 0, 1280, 36);
            g.setColor(new Color(0xF0F0F0));
            g.fillRect(0, 36, 260, 764);
            g.setColor(new Color(0x3366CC));
            for (int i = 0; i < 4; i++) {
                g.fillRoundRect(900 + i * 90, 60, 80, 28, 8, 8);
            }
            left = 290;
        }
        String words = "the quick brown fox jumps over the lazy dog deepfake detection for the jvm onnx runtime "
                + "options returns every face sorted by score boxes and keypoints";
        String[] w = words.split(" ");
        int y = 80;
        while (y < 780) {
            int size = 12 + rnd.nextInt(3) * 6;
            g.setFont(new Font(Font.SANS_SERIF, rnd.nextInt(4) == 0 ? Font.BOLD : Font.PLAIN, size));
            g.setColor(new Color(rnd.nextInt(80), rnd.nextInt(80), rnd.nextInt(80)));
            StringBuilder line = new StringBuilder();
            for (int i = 0; i < 12; i++) {
                line.append(w[rnd.nextInt(w.length)]).append(' ');
            }
            g.drawString(line.toString(), left, y);
            y += size + 10;
        }
        g.dispose();
        return bi;
    }

    /** Recall and false positives of {@code found} against a sample's truth at IoU >= 0.5 (greedy, best first). */
    static int[] match(List<Face.Box> truth, List<Face> found) {
        boolean[] used = new boolean[truth.size()];
        int tp = 0;
        int fp = 0;
        for (Face f : found) {
            int best = -1;
            float bestIou = 0.5f;
            for (int i = 0; i < truth.size(); i++) {
                float iou = truth.get(i).iou(f.box());
                if (!used[i] && iou >= bestIou) {
                    best = i;
                    bestIou = iou;
                }
            }
            if (best >= 0) {
                used[best] = true;
                tp++;
            } else {
                fp++;
            }
        }
        return new int[] {tp, fp};
    }
}
