package dev.dfd.cli;

import dev.dfd.Fixtures;
import dev.dfd.internal.face.FaceCrop;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import javax.imageio.ImageIO;
import java.awt.Color;
import java.awt.Graphics2D;
import java.awt.RenderingHints;
import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static dev.dfd.cli.MainTest.run;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** {@code dfd train --faces} from the command line: two steps on photos, and its exclusion of --whole-images. */
class TrainCommandTest {
    @TempDir
    Path tmp;

    /** train/ and val/: Real and Fake photos with the astronaut's face pasted on brick, and a face-free grey one. */
    private Path photos() throws IOException {
        BufferedImage face = ImageIO.read(Fixtures.dir().resolve("faces/astronaut_face.png").toFile());
        BufferedImage brick = ImageIO.read(Fixtures.dir().resolve("faces/textures/brick.png").toFile());
        Path root = tmp.resolve("photos");
        for (String split : List.of("train", "val")) {
            for (String label : List.of("Real", "Fake")) {
                Path dir = Files.createDirectories(root.resolve(split).resolve(label));
                for (int i = 0; i < 2; i++) {
                    BufferedImage canvas = new BufferedImage(400, 300, BufferedImage.TYPE_3BYTE_BGR);
                    Graphics2D g = canvas.createGraphics();
                    g.setRenderingHint(RenderingHints.KEY_INTERPOLATION, RenderingHints.VALUE_INTERPOLATION_BILINEAR);
                    g.drawImage(brick, 0, 0, 400, 300, null);
                    g.drawImage(face, 40 + 150 * i, 60, 160, 160, null);
                    g.dispose();
                    ImageIO.write(canvas, "jpg", dir.resolve("photo" + i + ".jpg").toFile());
                }
            }
            BufferedImage grey = new BufferedImage(320, 240, BufferedImage.TYPE_3BYTE_BGR);
            Graphics2D g = grey.createGraphics();
            g.setColor(Color.GRAY);
            g.fillRect(0, 0, 320, 240);
            g.dispose();
            ImageIO.write(grey, "png", root.resolve(split).resolve("Fake/grey.png").toFile());
        }
        return root;
    }

    @Test
    void twoStepsOnPhotosWriteTheDeclaredCrop() throws IOException {
        Path data = photos();
        Path out = tmp.resolve("run");
        ByteArrayOutputStream log = new ByteArrayOutputStream();
        PrintStream err = System.err;
        MainTest.Run r;
        System.setErr(new PrintStream(log, true, StandardCharsets.UTF_8)); // the trainer logs to stderr
        try {
            r = run("train", "--faces", "--data", data.toString(), "--out", out.toString(), "--image-size", "32",
                    "--epochs", "1", "--max-steps-per-epoch", "2", "--batch-size", "4", "--workers", "1");
        } finally {
            System.setErr(err);
        }
        String text = log.toString(StandardCharsets.UTF_8);
        assertEquals(0, r.code(), r.err() + text);
        assertEquals(FaceCrop.DFDC, FaceCrop.read(out.resolve("best")).orElseThrow(),
                "the model declares the crops it was trained on");
        String skipped = "1 training and 1 validation images without a face, skipped";
        assertEquals(2, text.split(skipped, -1).length - 1, "said at the start and at the end: " + text);
        String card = Files.readString(out.resolve("best/README.md"));
        assertTrue(card.contains("cropped by dfd's face stage"), card);
        assertTrue(card.contains("Trained from scratch in Java"), card);
        assertTrue(card.contains("--faces"), "the command that reproduces it");
        assertTrue(Files.readString(out.resolve("metrics.csv")).lines().findFirst().orElseThrow()
                .endsWith(",faceless_images"));
        try (var crops = Files.list(out.resolve("faces"))) {
            assertEquals(8, crops.filter(p -> p.toString().endsWith(".png")).count(), "one crop per photo with a face");
        }
    }

    @Test
    void facesAndWholeImagesIsAOneLineUsageError() {
        MainTest.Run r = run("train", "--faces", "--whole-images", "--data", tmp.toString(), "--out",
                tmp.resolve("run").toString());
        assertEquals(Main.USAGE, r.code());
        assertEquals(1, r.err().lines().count(), r.err());
        assertTrue(r.err().startsWith("dfd: --faces and --whole-images exclude each other"), r.err());
        assertTrue(!Files.exists(tmp.resolve("run")), "refused before anything is written");
    }
}
