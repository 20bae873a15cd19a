package dev.dfd.internal.face;

import dev.dfd.DfdException;
import dev.dfd.Face;
import dev.dfd.RgbImage;
import dev.dfd.internal.Json;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Collections;
import java.util.List;
import java.util.Optional;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class FaceCropTest {
    static Face face(float x, float y, float side, Face.Point rightEye, Face.Point leftEye) {
        Face.Point c = new Face.Point(x + side / 2, y + side / 2);
        return new Face(new Face.Box(x, y, side, side), List.of(rightEye, leftEye, c, c, c, c), 0.9f);
    }

    static Face face(float x, float y, float side) {
        return face(x, y, side, new Face.Point(x + side / 3, y + side / 3), new Face.Point(x + 2 * side / 3,
                y + side / 3));
    }

    static RgbImage random(int w, int h, long seed) {
        byte[] px = new byte[w * h * 3];
        new Random(seed).nextBytes(px);
        return new RgbImage(w, h, px);
    }

    static FaceCrop crop(double scale, double centerY, boolean rotate, int w, int h, FaceCrop.Fill fill) {
        return new FaceCrop(FaceModel.FULL_RANGE_256, true, scale, centerY, rotate, w, h, fill);
    }

    @Test
    void theDefaultModelDeclaresItsCrop() {
        Path dir = Files.isDirectory(Path.of("../models/default")) ? Path.of("../models/default")
                : Path.of("models/default");
        FaceCrop c = FaceCrop.read(dir).orElseThrow();
        // tighter than the DFDC crops themselves (FaceCrop.DFDC): chosen by ROC AUC on DFDC validation
        assertEquals(new FaceCrop(FaceModel.FULL_RANGE_256, true, 0.95, 0.54, false, 224, 224, FaceCrop.Fill.EDGE),
                c);
    }

    @Test
    void readingValidates(@TempDir Path dir) throws IOException {
        assertEquals(Optional.empty(), FaceCrop.read(dir), "no dfd_faces.json: whole-image model");
        Files.writeString(dir.resolve(FaceCrop.FILE), "{\"scale\": 1.2, \"center_y\": 0.5, \"width\": 112, "
                + "\"height\": 96, \"square\": false}");
        FaceCrop c = FaceCrop.read(dir).orElseThrow();
        assertEquals(new FaceCrop(FaceModel.FULL_RANGE_256, false, 1.2, 0.5, false, 112, 96, FaceCrop.Fill.BLACK), c,
                "defaults: full-range detector, no rotation, black fill");
        for (String bad : List.of("[]", "{\"scale\": 1.2, \"center_y\": 0.5, \"width\": 112, \"height\": 96, "
                        + "\"margin\": 3}", "{\"scale\": -1, \"center_y\": 0.5, \"width\": 112, \"height\": 96}",
                "{\"scale\": 1, \"center_y\": 1.5, \"width\": 112, \"height\": 96}",
                "{\"scale\": 1, \"center_y\": 0.5, \"width\": 0, \"height\": 96}",
                "{\"scale\": \"1\", \"center_y\": 0.5, \"width\": 112, \"height\": 96}",
                "{\"scale\": 1, \"center_y\": 0.5, \"width\": 112, \"height\": 96, \"detector\": \"yolo\"}",
                "{\"scale\": 1, \"center_y\": 0.5, \"width\": 112, \"height\": 96, \"fill\": \"mirror\"}")) {
            Files.writeString(dir.resolve(FaceCrop.FILE), bad);
            DfdException e = assertThrows(DfdException.class, () -> FaceCrop.read(dir), bad);
            assertTrue(e.getMessage().contains(FaceCrop.FILE), e.getMessage());
        }
        Files.writeString(dir.resolve(FaceCrop.FILE), String.join("", Collections.nCopies(70_000, " ")) + "{}");
        assertThrows(DfdException.class, () -> FaceCrop.read(dir), "size bound");
        assertTrue(Json.MAPPER != null);
    }

    @Test
    void axisAlignedCropAtItsOwnSizeIsTheSubimage() {
        RgbImage img = random(100, 80, 1);
        RgbImage out = crop(1.0, 0.5, false, 40, 40, FaceCrop.Fill.BLACK).cut(img, face(30, 20, 40));
        for (int y = 0; y < 40; y++) {
            for (int x = 0; x < 40; x++) {
                for (int c = 0; c < 3; c++) {
                    assertEquals(img.get(30 + x, 20 + y, c), out.get(x, y, c), x + "," + y);
                }
            }
        }
        // scale 1.5, box centre at 0.25 of the crop's height: a 60x60 square from (20, 25)
        RgbImage shifted = crop(1.5, 0.25, false, 60, 60, FaceCrop.Fill.BLACK).cut(img, face(30, 20, 40));
        assertEquals(img.get(20, 25, 0), shifted.get(0, 0, 0));
        assertEquals(img.get(79, 79, 2), shifted.get(59, 54, 2));
        assertEquals(0, shifted.get(59, 59, 2), "below the image: black");
    }

    @Test
    void reductionAveragesAndEdgeFillRepeats() {
        RgbImage img = random(100, 80, 2);
        RgbImage out = crop(1.0, 0.5, false, 20, 20, FaceCrop.Fill.EDGE).cut(img, face(30, 20, 40));
        for (int y = 0; y < 20; y++) {
            for (int x = 0; x < 20; x++) {
                double sum = 0;
                for (int dy = 0; dy < 2; dy++) {
                    for (int dx = 0; dx < 2; dx++) {
                        sum += img.get(30 + 2 * x + dx, 20 + 2 * y + dy, 1);
                    }
                }
                assertEquals(Math.round(sum / 4), out.get(x, y, 1), x + "," + y);
            }
        }
        RgbImage corner = crop(1.0, 0.5, false, 20, 20, FaceCrop.Fill.EDGE).cut(img, face(-10, -10, 20));
        assertEquals(img.get(0, 0, 0), corner.get(3, 3, 0), "above-left of the image: the corner pixel");
        assertEquals(img.get(5, 0, 0), corner.get(15, 2, 0), "above the image: the top row");
    }

    @Test
    void rotationLevelsTheEyes() {
        // a bright line through (60, 60) at 30 degrees, the eyes on it
        byte[] px = new byte[120 * 120 * 3];
        double a = Math.toRadians(30);
        for (int y = 0; y < 120; y++) {
            for (int x = 0; x < 120; x++) {
                double dist = Math.abs(-(x + 0.5 - 60) * Math.sin(a) + (y + 0.5 - 60) * Math.cos(a));
                byte v = (byte) (dist < 2 ? 255 : 0);
                px[(y * 120 + x) * 3] = px[(y * 120 + x) * 3 + 1] = px[(y * 120 + x) * 3 + 2] = v;
            }
        }
        RgbImage img = new RgbImage(120, 120, px);
        Face f = face(40, 40, 40, new Face.Point((float) (60 - 15 * Math.cos(a)), (float) (60 - 15 * Math.sin(a))),
                new Face.Point((float) (60 + 15 * Math.cos(a)), (float) (60 + 15 * Math.sin(a))));
        RgbImage level = crop(1.0, 0.5, true, 40, 40, FaceCrop.Fill.BLACK).cut(img, f);
        RgbImage tilted = crop(1.0, 0.5, false, 40, 40, FaceCrop.Fill.BLACK).cut(img, f);
        assertTrue(rowMean(level, 20) > 200 && rowMean(level, 19) > 200, "the line is the middle row");
        assertTrue(rowMean(level, 12) < 10 && rowMean(level, 28) < 10, "and nothing else");
        assertTrue(rowMean(tilted, 20) < 80, "without rotation the line crosses the rows");
    }

    static double rowMean(RgbImage img, int y) {
        double s = 0;
        for (int x = 5; x < img.width() - 5; x++) {
            s += img.get(x, y, 0);
        }
        return s / (img.width() - 10);
    }
}
