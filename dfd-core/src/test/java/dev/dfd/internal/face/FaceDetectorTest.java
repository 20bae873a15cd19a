package dev.dfd.internal.face;

import com.fasterxml.jackson.databind.JsonNode;
import dev.dfd.Face;
import dev.dfd.Fixtures;
import dev.dfd.Golden;
import dev.dfd.RgbImage;
import dev.dfd.internal.Json;
import dev.dfd.internal.io.ImageDecoder;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.awt.Graphics2D;
import java.awt.RenderingHints;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The ONNX detector on committed fixtures (made by fixtures/faces/make_face_fixtures.py). */
class FaceDetectorTest {
    private static FaceDetector detector;

    @BeforeAll
    static void open() {
        detector = new FaceDetector();
    }

    @AfterAll
    static void close() {
        detector.close();
    }

    static Path dir() {
        return Fixtures.dir().resolve("faces");
    }

    static RgbImage image(String name) throws IOException {
        return new ImageDecoder().decode(Files.readAllBytes(dir().resolve(name)));
    }

    /** A float32 .npy written by numpy (little-endian, C order), as its values. */
    static float[] npy(Path file) throws IOException {
        byte[] b = Files.readAllBytes(file);
        int headerLen = (b[8] & 0xFF) | (b[9] & 0xFF) << 8;
        String header = new String(b, 10, headerLen, StandardCharsets.US_ASCII);
        assertTrue(header.contains("'descr': '<f4'") && header.contains("'fortran_order': False"), header);
        ByteBuffer buf = ByteBuffer.wrap(b, 10 + headerLen, b.length - 10 - headerLen).order(ByteOrder.LITTLE_ENDIAN);
        float[] out = new float[buf.remaining() / 4];
        buf.asFloatBuffer().get(out);
        return out;
    }

    @Test
    void shippedModelsAreTheFilesFromNpm() {
        assertEquals("427cbbe0fc41448d09e1dc9cfabe2423d997cf2faaeab91fadd09a510b63b8e2",
                Golden.sha256(FaceDetector.modelBytes(FaceModel.FULL_RANGE_256)));
        assertEquals("d388b1cf8a5f6f1af2b3f4c14f6d0f138bab970cd618cccd12dddb7484e82e51",
                Golden.sha256(FaceDetector.modelBytes(FaceModel.SHORT_RANGE_128)));
    }

    /** Raw outputs for pixel / 127.5 - 1 inputs against the numpy interpreter's (896, 17) per image and model. */
    @Test
    void rawOutputsMatchTheIndependentReference() throws IOException {
        String[][] cases = {{"astronaut_256", "FULL_RANGE_256"}, {"astronaut_128", "SHORT_RANGE_128"},
            {"coffee_256", "FULL_RANGE_256"}};
        for (String[] c : cases) {
            FaceModel model = FaceModel.valueOf(c[1]);
            RgbImage img = image(c[0] + ".png");
            assertEquals(model.inputSize, img.width());
            float[] input = new float[img.pixels().length];
            for (int i = 0; i < input.length; i++) {
                input[i] = (img.pixels()[i] & 0xFF) / 127.5f - 1;
            }
            float[] expected = npy(dir().resolve(c[0] + "." + model.resource.replace(".onnx", ".npy")));
            assertEquals(896 * 17, expected.length);
            try (FaceDetector d = new FaceDetector(FaceDetectorOptions.DEFAULT.withModel(model))) {
                float[][] got = d.runRaw(input);
                double worst = 0;
                for (int a = 0; a < 896; a++) {
                    for (int k = 0; k < 16; k++) {
                        float e = expected[a * 17 + k];
                        double err = Math.abs(got[0][a * 16 + k] - e) / (1e-2 + Math.abs(e));
                        worst = Math.max(worst, err);
                    }
                    worst = Math.max(worst, Math.abs(got[1][a] - expected[a * 17 + 16]) / (1e-2
                            + Math.abs(expected[a * 17 + 16])));
                }
                // float32 (ONNX Runtime) against float64 (numpy) accumulation: relative error, floored at 0.01
                // absolute; a wrong layout, normalisation or anchor order gives errors of order 1
                assertTrue(worst < 3e-3, c[0] + " " + model + ": worst relative difference " + worst);
            }
        }
    }

    @Test
    void findsTheAstronautWithKeypointsInMediaPipeOrder() throws IOException {
        RgbImage img = image("astronaut_256.png");
        List<Face> faces = detector.detect(img);
        assertEquals(1, faces.size(), faces.toString());
        Face f = faces.get(0);
        assertTrue(f.score() > 0.8, "score " + f.score());
        Face.Point right = f.keypoint(Face.Keypoint.RIGHT_EYE);
        Face.Point left = f.keypoint(Face.Keypoint.LEFT_EYE);
        Face.Point nose = f.keypoint(Face.Keypoint.NOSE_TIP);
        Face.Point mouth = f.keypoint(Face.Keypoint.MOUTH_CENTER);
        assertTrue(right.x() < nose.x() && nose.x() < left.x(), "the person's right eye is on the image's left");
        assertTrue(Math.max(right.y(), left.y()) < nose.y() && nose.y() < mouth.y(), "eyes, nose, mouth downwards");
        assertTrue(f.keypoint(Face.Keypoint.RIGHT_EAR_TRAGION).x() < right.x()
                && f.keypoint(Face.Keypoint.LEFT_EAR_TRAGION).x() > left.x(), "ears outside the eyes");
        Face.Box b = f.box();
        assertTrue(b.x() < right.x() && b.x() + b.width() > left.x() && b.y() < right.y()
                && b.y() + b.height() > mouth.y(), "box holds the eyes and mouth: " + b);
    }

    static JsonNode faceBox() throws IOException {
        return Json.MAPPER.readTree(dir().resolve("astronaut_face.json").toFile()).get("box");
    }

    /** Pastes the astronaut face crop scaled so its face box has side {@code size}; returns that box. */
    static Face.Box paste(BufferedImage canvas, BufferedImage face, int x, int y, double size) throws IOException {
        JsonNode box = faceBox();
        double k = size / box.get(2).asDouble();
        int side = (int) Math.round(224 * k);
        Graphics2D g = canvas.createGraphics();
        g.setRenderingHint(RenderingHints.KEY_INTERPOLATION, RenderingHints.VALUE_INTERPOLATION_BILINEAR);
        g.drawImage(face, x, y, side, side, null);
        g.dispose();
        double s = side / 224.0;
        return new Face.Box((float) (x + box.get(0).asDouble() * s), (float) (y + box.get(1).asDouble() * s),
                (float) (box.get(2).asDouble() * s), (float) (box.get(3).asDouble() * s));
    }

    static BufferedImage texture(String name, int w, int h) {
        BufferedImage bi = new BufferedImage(w, h, BufferedImage.TYPE_3BYTE_BGR);
        Graphics2D g = bi.createGraphics();
        g.setRenderingHint(RenderingHints.KEY_INTERPOLATION, RenderingHints.VALUE_INTERPOLATION_BILINEAR);
        g.drawImage(SyntheticFaces.texture(Fixtures.dir(), name).toBufferedImage(), 0, 0, w, h, null);
        g.dispose();
        return bi;
    }

    static void assertFound(Face.Box truth, List<Face> faces) {
        assertTrue(faces.stream().anyMatch(f -> f.box().iou(truth) >= 0.5), "expected " + truth + ", found "
                + faces);
    }

    @Test
    void fourFacesGiveFourBoxes() throws IOException {
        BufferedImage canvas = texture("gravel", 2400, 1600);
        BufferedImage face = image("astronaut_face.png").toBufferedImage();
        List<Face.Box> truth = List.of(paste(canvas, face, 150, 200, 300), paste(canvas, face, 1500, 150, 220),
                paste(canvas, face, 300, 1000, 160), paste(canvas, face, 1600, 900, 400));
        List<Face> faces = detector.detect(ImageDecoder.fromBufferedImage(canvas));
        assertEquals(4, faces.size(), faces.toString());
        truth.forEach(t -> assertFound(t, faces));
        for (int i = 1; i < faces.size(); i++) {
            assertTrue(faces.get(i - 1).score() >= faces.get(i).score(), "sorted by score");
        }
        assertEquals(2, detector.detect(ImageDecoder.fromBufferedImage(canvas)).stream().limit(2).count());
        try (FaceDetector two = new FaceDetector(FaceDetectorOptions.DEFAULT.withMaxFaces(2))) {
            assertEquals(2, two.detect(ImageDecoder.fromBufferedImage(canvas)).size());
        }
    }

    @Test
    void smallFaceInA12MegapixelPhoto() throws IOException {
        BufferedImage canvas = texture("grass", 4000, 3000);
        Face.Box truth = paste(canvas, image("astronaut_face.png").toBufferedImage(), 2710, 1830, 100);
        List<Face> faces = detector.detect(ImageDecoder.fromBufferedImage(canvas));
        assertEquals(1, faces.size(), faces.toString());
        assertFound(truth, faces);
        try (FaceDetector wholeOnly = new FaceDetector(FaceDetectorOptions.DEFAULT.withPasses(0, true))) {
            assertEquals(List.of(), wholeOnly.detect(ImageDecoder.fromBufferedImage(canvas)),
                    "the tiles are what find it");
        }
    }

    @Test
    void tightCropIsFound() throws IOException {
        RgbImage crop = image("astronaut_face.png"); // face box 150 px of 224
        JsonNode b = faceBox();
        Face.Box truth = new Face.Box((float) b.get(0).asDouble(), (float) b.get(1).asDouble(),
                (float) b.get(2).asDouble(), (float) b.get(3).asDouble());
        // tighter still: the middle 168 px, face box 150 px
        int off = 28;
        int side = 168;
        byte[] px = new byte[side * side * 3];
        for (int y = 0; y < side; y++) {
            System.arraycopy(crop.pixels(), ((y + off) * 224 + off) * 3, px, y * side * 3, side * 3);
        }
        RgbImage tight = new RgbImage(side, side, px);
        List<Face> faces = detector.detect(tight);
        assertEquals(1, faces.size(), faces.toString());
        assertFound(new Face.Box(truth.x() - off, truth.y() - off, truth.width(), truth.height()), faces);
        List<Face> loose = detector.detect(crop);
        assertEquals(1, loose.size());
        assertFound(truth, loose);
    }

    @Test
    void noFaceOnFaceFreeImages() {
        for (SyntheticFaces.Sample s : SyntheticFaces.faceFree(Fixtures.dir(), 7)) {
            if (List.of("coffee", "chelsea").contains(s.name())) {
                continue; // the benchmark counts these; a cat's face may be taken for one
            }
            assertEquals(List.of(), detector.detect(s.image()), s.name());
        }
        assertEquals(List.of(), detector.detect(new RgbImage(1, 1, new byte[3])), "1x1");
        assertEquals(List.of(), detector.detect(new RgbImage(3000, 2, new byte[3000 * 2 * 3])), "a strip");
    }

    @Test
    void windowsPlan() {
        assertEquals(2, detector.plan(224, 224).size(), "whole and tight only");
        List<FaceDetector.Window> w = detector.plan(4000, 3000);
        assertEquals(2 + 6 + 20, w.size(), "whole, tight, 2000 px tiles, 1000 px tiles");
        for (FaceDetector.Window t : w.subList(2, w.size())) {
            assertTrue(t.x0() >= 0 && t.y0() >= 0 && t.x0() + t.side() <= 4000.001 && t.y0() + t.side() <= 3000.001,
                    "tiles lie inside the image: " + t);
        }
        try (FaceDetector small = new FaceDetector(FaceDetectorOptions.DEFAULT.withMinFaceSize(200))) {
            assertEquals(2 + 6, small.plan(4000, 3000).size(), "tiles stop once 200 px faces are covered");
        }
    }

    @Test
    void detectIsThreadSafeAndCloseIsIdempotent() throws Exception {
        RgbImage img = image("astronaut_256.png");
        List<Face> expected = detector.detect(img);
        ExecutorService pool = Executors.newFixedThreadPool(4);
        try {
            List<Future<List<Face>>> futures = new ArrayList<>();
            for (int i = 0; i < 8; i++) {
                futures.add(pool.submit(() -> detector.detect(img)));
            }
            for (Future<List<Face>> f : futures) {
                assertEquals(expected, f.get());
            }
        } finally {
            pool.shutdown();
        }
        FaceDetector d = new FaceDetector(FaceDetectorOptions.DEFAULT.withModel(FaceModel.SHORT_RANGE_128));
        d.close();
        d.close();
        assertThrows(IllegalStateException.class, () -> d.detect(img));
    }

    @Test
    void samplerAveragesAndPadsBlack() {
        Random rnd = new Random(5);
        byte[] px = new byte[40 * 20 * 3];
        rnd.nextBytes(px);
        RgbImage img = new RgbImage(40, 20, px);
        float[] out = new float[10 * 10 * 3];
        // the 40x20 image letterboxed in a 40x40 square, 4x4 pixels per output pixel: exact 4x4 means
        WindowSampler.sample(img, 0, -10, 40, 10, out, 0);
        for (int i = 0; i < 10; i++) {
            for (int j = 0; j < 10; j++) {
                for (int c = 0; c < 3; c++) {
                    double sum = 0;
                    for (int y = i * 4 - 10; y < i * 4 - 6; y++) {
                        for (int x = j * 4; x < j * 4 + 4; x++) {
                            sum += y >= 0 && y < 20 ? img.get(x, y, c) : 0;
                        }
                    }
                    assertEquals(sum / 16 / 127.5 - 1, out[(i * 10 + j) * 3 + c], 1e-5, i + "," + j + "," + c);
                }
            }
        }
        // enlarging: bilinear, the pixel centres of a 1:1 window are the pixels themselves
        float[] same = new float[40 * 40 * 3];
        WindowSampler.sample(img, 0, 0, 40, 40, same, 0);
        assertEquals(img.get(7, 3, 1) / 127.5 - 1, same[(3 * 40 + 7) * 3 + 1], 1e-5);
        assertEquals(-1f, same[(30 * 40 + 7) * 3 + 1], "below the image: black");
    }
}
