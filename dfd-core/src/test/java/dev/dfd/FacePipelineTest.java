package dev.dfd;

import com.fasterxml.jackson.databind.JsonNode;
import dev.dfd.DetectionResult.Detection;
import dev.dfd.DetectionResult.FaceVerdict;
import dev.dfd.DetectionResult.NoFace;
import dev.dfd.internal.Json;
import dev.dfd.internal.io.ImageDecoder;
import dev.dfd.internal.report.DetectionJson;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The face stage inside the one data path: regions found, cut, judged, and the image verdict from its faces. */
class FacePipelineTest {
    @TempDir
    Path tmp;

    private static final Path FACES = Fixtures.dir().resolve("faces");

    /** The tiny test model, declaring face input like models/default. */
    private Path faceModel() throws IOException {
        Path dir = tmp.resolve("face-model");
        Files.createDirectories(dir.resolve("onnx"));
        for (String f : List.of("config.json", "preprocessor_config.json", "onnx/model.onnx")) {
            Files.copy(Fixtures.tinyModel().resolve(f), dir.resolve(f));
        }
        Files.copy(SharedData.projectRoot().resolve("models/default/dfd_faces.json"), dir.resolve("dfd_faces.json"));
        assertTrue(dev.dfd.internal.face.FaceCrop.read(dir).isPresent(), "models/default declares face crops");
        return dir;
    }

    private static RgbImage decode(Path p) throws IOException {
        return new ImageDecoder(dev.dfd.DecodeLimits.DEFAULT).decode(Files.readAllBytes(p));
    }

    /** {@code face} pasted at (x, y) on a black canvas of w x h. */
    private static RgbImage paste(RgbImage canvas, RgbImage face, int x, int y) {
        byte[] px = canvas.pixels();
        for (int r = 0; r < face.height(); r++) {
            System.arraycopy(face.pixels(), r * face.width() * 3, px, ((y + r) * canvas.width() + x) * 3,
                    face.width() * 3);
        }
        return canvas;
    }

    @Test
    void noFaceMeansNoVerdict() throws Exception {
        try (Detector d = Detector.load(faceModel(), DetectorOptions.DEFAULTS.withThreads(1))) {
            assertTrue(d.model().faceCrop() != null);
            Path written = Files.createDirectories(tmp.resolve("written"));
            Files.writeString(written.resolve(dev.dfd.internal.face.FaceCrop.FILE), dev.dfd.internal.face.FaceCrop.DFDC.toJson());
            assertEquals(dev.dfd.internal.face.FaceCrop.DFDC, dev.dfd.internal.face.FaceCrop.read(written).orElseThrow(), "round trip");
            RgbImage black = new RgbImage(640, 480, new byte[640 * 480 * 3]);
            DetectionResult r = d.detect(black, "black", null);
            assertInstanceOf(NoFace.class, r);
            JsonNode json = Json.MAPPER.readTree(Json.write(DetectionJson.of(r)));
            assertEquals("no_face", json.get("status").asText());
            assertTrue(json.get("label").isNull() && json.get("score").isNull());
            // forced off: the whole image gets a verdict, as transformers' pipeline would give it
            Detection whole = (Detection) d.detect(black, "black", Decision.DEFAULT.withFaces(Decision.Faces.OFF));
            assertTrue(whole.faces().isEmpty());
        }
    }

    @Test
    void everyFaceIsJudgedAndTheMostFakeOneDecides() throws Exception {
        RgbImage face = decode(FACES.resolve("astronaut_face.png")); // 224 x 224, the face filling most of it
        RgbImage group = new RgbImage(1600, 1000, new byte[1600 * 1000 * 3]);
        int[][] at = {{60, 80}, {500, 120}, {950, 60}, {300, 600}};
        for (int[] p : at) {
            paste(group, face, p[0], p[1]);
        }
        try (Detector d = Detector.load(faceModel(), DetectorOptions.DEFAULTS.withThreads(1))) {
            Detection r = (Detection) d.detect(group, "group", null);
            assertEquals(4, r.faces().size(), r.faces().toString());
            float max = -1;
            for (FaceVerdict v : r.faces()) {
                max = Math.max(max, v.prediction().positiveScore());
                Face.Box b = v.face().box();
                boolean inOne = false;
                for (int[] p : at) {
                    inOne |= b.centerX() > p[0] && b.centerX() < p[0] + 224 && b.centerY() > p[1]
                            && b.centerY() < p[1] + 224;
                }
                assertTrue(inOne, "box " + b + " lies in a pasted face");
            }
            assertEquals(max, r.score(), 0f, "the image's score is its most fake face's");
            // each face's prediction is exactly the model on that face's crop
            FaceVerdict first = r.faces().get(0);
            RgbImage crop = dev.dfd.internal.face.FaceCrop.read(tmp.resolve("face-model")).orElseThrow().cut(group, first.face());
            assertArrayEquals(d.predict(crop).logits(), first.prediction().logits(), 1e-5f);

            JsonNode json = Json.MAPPER.readTree(Json.write(DetectionJson.of(r)));
            assertEquals("ok", json.get("status").asText());
            assertEquals(4, json.get("faces").size());
            assertEquals(4, json.at("/faces/0/box").size());
            assertEquals(6, json.at("/faces/0/keypoints").size());

            // the micro-batcher gives the same answer for the same bytes
            Path file = tmp.resolve("group.png");
            javax.imageio.ImageIO.write(group.toBufferedImage(), "png", file.toFile());
            Detection viaFile = (Detection) d.detect(file);
            try (BatchingDetector b = new BatchingDetector(d, new BatchingDetector.Config(3, 1, 64, 2), null)) {
                Detection batched = (Detection) b.submit(Files.readAllBytes(file), "g", null).get(30, TimeUnit.SECONDS);
                assertEquals(viaFile.faces().size(), batched.faces().size());
                assertEquals(viaFile.score(), batched.score(), 1e-6f);
            }
        }
    }

    @Test
    void facesCanBeForcedOnAModelThatTakesWholeImages() throws Exception {
        try (Detector d = Detector.load(Fixtures.tinyModel(), DetectorOptions.DEFAULTS.withThreads(1))) {
            RgbImage face = decode(FACES.resolve("astronaut_face.png"));
            assertEquals(null, d.model().faceCrop());
            Detection auto = (Detection) d.detect(face, "face", null);
            assertTrue(auto.faces().isEmpty(), "auto on a whole-image model: the whole image");
            Detection on = (Detection) d.detect(face, "face", Decision.DEFAULT.withFaces(Decision.Faces.ON));
            assertEquals(1, on.faces().size(), "a tight crop is still found");
            // detectAll with the decision, in input order, no face and face side by side
            Path black = tmp.resolve("black.png");
            javax.imageio.ImageIO.write(new RgbImage(300, 200, new byte[300 * 200 * 3]).toBufferedImage(), "png",
                    black.toFile());
            List<DetectionResult> all = d.detectAll(List.of(FACES.resolve("astronaut_face.png"), black),
                    Decision.DEFAULT.withFaces(Decision.Faces.ON));
            assertInstanceOf(Detection.class, all.get(0));
            assertInstanceOf(NoFace.class, all.get(1));
        }
    }
}
