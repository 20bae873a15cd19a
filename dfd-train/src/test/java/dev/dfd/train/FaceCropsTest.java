package dev.dfd.train;

import dev.dfd.DetectionResult;
import dev.dfd.Detector;
import dev.dfd.DetectorOptions;
import dev.dfd.DfdException;
import dev.dfd.Face;
import dev.dfd.Fixtures;
import dev.dfd.RgbImage;
import dev.dfd.internal.face.FaceCrop;
import dev.dfd.internal.face.FaceDetector;
import dev.dfd.internal.io.ImageDecoder;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import javax.imageio.ImageIO;
import java.awt.Color;
import java.awt.Graphics2D;
import java.awt.RenderingHints;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** {@code dfd train --faces}: the training data are the crops detection's face stage cuts from the photos. */
class FaceCropsTest {
    @TempDir
    Path tmp;

    private static final PrintStream QUIET = new PrintStream(PrintStream.nullOutputStream());
    /** Where the face fixture is pasted, and at what size, in the 400 x 300 photos. */
    static final int FACE_X = 150;
    static final int FACE_Y = 60;
    static final int FACE_SIDE = 160;

    /** A 400 x 300 photo: a texture with the astronaut's face crop pasted at (x, y), {@code side} px wide. */
    static BufferedImage photo(int x, int y, int side, boolean mirrored) throws IOException {
        BufferedImage face = ImageIO.read(Fixtures.dir().resolve("faces/astronaut_face.png").toFile());
        BufferedImage bg = ImageIO.read(Fixtures.dir().resolve("faces/textures/brick.png").toFile());
        BufferedImage canvas = new BufferedImage(400, 300, BufferedImage.TYPE_3BYTE_BGR);
        Graphics2D g = canvas.createGraphics();
        g.setRenderingHint(RenderingHints.KEY_INTERPOLATION, RenderingHints.VALUE_INTERPOLATION_BILINEAR);
        g.drawImage(bg, 0, 0, 400, 300, null);
        if (mirrored) {
            g.drawImage(face, x + side, y, -side, side, null);
        } else {
            g.drawImage(face, x, y, side, side, null);
        }
        g.dispose();
        return canvas;
    }

    /** A flat grey picture: no face in it. */
    static BufferedImage grey() {
        BufferedImage img = new BufferedImage(320, 240, BufferedImage.TYPE_3BYTE_BGR);
        Graphics2D g = img.createGraphics();
        g.setColor(new Color(128, 128, 128));
        g.fillRect(0, 0, 320, 240);
        g.dispose();
        return img;
    }

    /** train/ and val/ of Real and Fake photos with one face each, and one face-free grey picture per split. */
    static Path photos(Path root) throws IOException {
        for (String split : List.of("train", "val")) {
            for (String label : List.of("Real", "Fake")) {
                Path dir = Files.createDirectories(root.resolve(split).resolve(label));
                boolean fake = label.equals("Fake");
                ImageIO.write(photo(FACE_X, FACE_Y, FACE_SIDE, fake), "png", dir.resolve("face.png").toFile());
                ImageIO.write(photo(40, 100, 140, !fake), "png", dir.resolve("face2.png").toFile());
            }
            ImageIO.write(grey(), "png", root.resolve(split).resolve("Real/grey.png").toFile());
        }
        return root;
    }

    private static RgbImage read(Path p) throws IOException {
        return new ImageDecoder().decode(Files.readAllBytes(p));
    }

    private static TrainOptions faces(Path data, Path out, int imageSize) {
        return new TrainOptions(data, out, null, null, imageSize, 1, 4, 1e-3, 0.05, 0.5, 0.1, 1.0, 0, 7, 1, 2, 0,
                null, 0.5, false, false, null, true);
    }

    @Test
    void trainingCropsAreWhatDetectionCutsAndFacelessImagesAreCounted() throws IOException {
        Path data = photos(tmp.resolve("data"));
        FaceCrop crop = Trainer.declaredCrop(faces(data, tmp.resolve("run"), 32));
        assertEquals(FaceCrop.DFDC, crop, "at 32 px the declared crop is DFDC's 224 x 224");
        TrainData d;
        FaceCrops fc = new FaceCrops(crop, tmp.resolve("run/faces"));
        try (fc) {
            d = TrainData.open(data, null, fc, 2, QUIET);
        }
        assertEquals(4, d.train.images().size(), "the two photos of each class, not the grey picture");
        assertEquals(1, d.facelessTrain);
        assertEquals(1, d.facelessVal);
        assertEquals(5, d.valPhotos.images().size(), "the model card judges the photos themselves");
        assertEquals(List.of("Real", "Fake"), d.labels);

        // the face stage of detection, through a model that declares this crop
        Path model = tmp.resolve("model");
        try (var files = Files.walk(Fixtures.tinyModel())) {
            for (Path f : files.toList()) {
                Path to = model.resolve(Fixtures.tinyModel().relativize(f).toString());
                if (Files.isDirectory(f)) {
                    Files.createDirectories(to);
                } else {
                    Files.copy(f, to);
                }
            }
        }
        Files.writeString(model.resolve(FaceCrop.FILE), crop.toJson());
        try (Detector detector = Detector.load(model, DetectorOptions.DEFAULTS.withThreads(1))) {
            for (dev.dfd.eval.Dataset.LabeledImage image : dev.dfd.eval.Dataset.open(data, "train").images()) {
                Path photo = image.path();
                if (photo.getFileName().toString().equals("grey.png")) {
                    continue;
                }
                Path cropFile = fc.cropFile(photo);
                assertTrue(d.train.images().contains(new dev.dfd.eval.Dataset.LabeledImage(cropFile, image.label(),
                        image.group(), image.split())), "the crop with the photo's label: " + photo);
                DetectionResult.Detection r = assertInstanceOf(DetectionResult.Detection.class, detector.detect(photo));
                Face face = r.faces().get(0).face(); // detection's best face
                RgbImage expected = crop.cut(read(photo), face);
                RgbImage trained = read(cropFile);
                assertEquals(crop.width(), trained.width());
                assertEquals(crop.height(), trained.height());
                assertArrayEquals(expected.pixels(), trained.pixels(), "the crop detection cuts, pixel for pixel: "
                        + photo);
            }
            assertInstanceOf(DetectionResult.NoFace.class, detector.detect(data.resolve("train/Real/grey.png")));
        }
        // the pasted face was found where it is
        float s = FACE_SIDE / 224f; // astronaut_face.json: the face box (x, y, w, h) in the 224 px fixture
        Face.Box box = new Face.Box(FACE_X + 37.26f * s, FACE_Y + 37.22f * s, 149.86f * s, 149.86f * s);
        try (FaceDetector fd = new FaceDetector(crop.detectorOptions(16, 48))) {
            Face found = fd.detect(read(data.resolve("train/Real/face.png"))).get(0);
            assertTrue(found.box().iou(box) > 0.6, "IoU " + found.box().iou(box) + ": " + found.box() + " vs " + box);
            // keypoints carried into the crop (for synthesis) agree with the face found in the crop itself
            try (FaceCrops reopened = new FaceCrops(crop, tmp.resolve("run/faces"))) {
                float[][] mapped = reopened.inCrop(found);
                Face again = fd.detect(crop.cut(read(data.resolve("train/Real/face.png")), found)).get(0);
                for (int k = 0; k < mapped.length; k++) {
                    assertEquals(again.keypoints().get(k).x(), mapped[k][0], 0.05 * crop.width(), "keypoint " + k);
                    assertEquals(again.keypoints().get(k).y(), mapped[k][1], 0.05 * crop.height(), "keypoint " + k);
                }
            }
        }
    }

    @Test
    void aSecondRunReadsTheIndexInsteadOfFindingFacesAgain() throws IOException {
        Path data = photos(tmp.resolve("data"));
        FaceCrop crop = FaceCrop.DFDC;
        FaceCrops.Split first;
        FaceCrops.Split second;
        dev.dfd.eval.Dataset train = dev.dfd.eval.Dataset.open(data, "train");
        try (FaceCrops fc = new FaceCrops(crop, tmp.resolve("faces"))) {
            first = fc.prepare(train, 1, QUIET);
        }
        try (FaceCrops fc = new FaceCrops(crop, tmp.resolve("faces"))) {
            second = fc.prepare(train, 1, QUIET);
            assertEquals(6, fc.keypoints.get(second.crops().images().get(0).path()).length, "keypoints from the index");
        }
        assertEquals(5, first.detected());
        assertEquals(0, second.detected(), "every image, with a face or not, came from the index");
        assertEquals(first.crops(), second.crops());
        assertEquals(1, second.faceless());
        // a file changed since: found again
        ImageIO.write(photo(20, 20, 150, false), "png", data.resolve("train/Real/face2.png").toFile());
        Files.setLastModifiedTime(data.resolve("train/Real/face2.png"),
                java.nio.file.attribute.FileTime.fromMillis(System.currentTimeMillis() + 5000));
        try (FaceCrops fc = new FaceCrops(crop, tmp.resolve("faces"))) {
            assertEquals(1, fc.prepare(train, 1, QUIET).detected());
        }
        // another geometry: nothing reused
        FaceCrop bigger = new FaceCrop(crop.detector(), true, 1.3, 0.5, false, 64, 64, crop.fill());
        try (FaceCrops fc = new FaceCrops(bigger, tmp.resolve("faces"))) {
            FaceCrops.Split s = fc.prepare(train, 1, QUIET);
            assertEquals(5, s.detected());
            assertEquals(64, read(s.crops().images().get(0).path()).width());
        }
    }

    @Test
    void aSplitWithoutFacesIsRefusedInOneLine() throws IOException {
        Path data = photos(tmp.resolve("data"));
        for (String label : List.of("Real", "Fake")) {
            Path dir = data.resolve("val").resolve(label);
            try (var files = Files.list(dir)) {
                for (Path f : files.toList()) {
                    ImageIO.write(grey(), "png", f.toFile());
                }
            }
        }
        try (FaceCrops fc = new FaceCrops(FaceCrop.DFDC, tmp.resolve("faces"))) {
            DfdException e = assertThrows(DfdException.class, () -> TrainData.open(data, null, fc, 1, QUIET));
            assertTrue(e.getMessage().contains("no face found in any of the 5 images of the val split"), e.getMessage());
            assertEquals(1, e.getMessage().lines().count());
        }
    }

    @Test
    void theDeclaredCropIsNeverSmallerThanTheModelInput() {
        FaceCrop at384 = Trainer.declaredCrop(faces(tmp, tmp, 384));
        assertEquals(384, at384.width());
        assertEquals(384, at384.height());
        assertEquals(FaceCrop.DFDC.scale(), at384.scale());
        TrainOptions crops = new TrainOptions(tmp, tmp, null, null, 384, 1, 4, 1e-3, 0.05, 0.5, 0.1, 1.0, 0, 7, 1, 2,
                0, null, 0.5, false, false, null, false);
        assertEquals(FaceCrop.DFDC, Trainer.declaredCrop(crops), "DFDC crops on disk: their own geometry");
        IllegalArgumentException both = assertThrows(IllegalArgumentException.class, () -> new TrainOptions(tmp, tmp,
                null, null, 32, 1, 4, 1e-3, 0.05, 0.5, 0.1, 1.0, 0, 7, 1, 2, 0, null, 0.5, false, true, null, true));
        assertTrue(both.getMessage().contains("--faces and --whole-images"), both.getMessage());
    }
}
