package dev.dfd;

import com.fasterxml.jackson.databind.JsonNode;
import dev.dfd.DetectionResult.Detection;
import dev.dfd.DetectionResult.Failure;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import javax.imageio.ImageIO;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The whole data path on the self-contained tiny model, against PyTorch + Pillow outputs (expected.json). */
class DetectorTest {
    private static Detector detector;
    private static JsonNode expected;

    @TempDir
    Path tmp;

    @BeforeAll
    static void load() throws IOException {
        detector = Detector.load(Fixtures.tinyModel(), DetectorOptions.DEFAULTS.withThreads(1));
        expected = Fixtures.json("tiny-cnn/expected.json");
    }

    @AfterAll
    static void close() {
        detector.close();
    }

    private static Path image(String name) {
        return Fixtures.dir().resolve("images").resolve(name);
    }

    @Test
    void matchesPyTorchOnEveryImage() throws IOException {
        for (JsonNode e : expected.get("results")) {
            Path file = image(e.get("image").asText());
            float[] pixels = detector.preprocess(detector.decode(Files.readAllBytes(file)));
            assertEquals(e.get("pixel_values_sha256").asText(), Golden.sha256(pixels), "pixel_values " + file);
            Detection d = (Detection) detector.detect(file);
            for (int i = 0; i < 2; i++) {
                assertEquals(e.at("/logits/" + i).asDouble(), d.prediction().logits()[i], 1e-4, "logit " + i);
                assertEquals(e.at("/softmax/" + i).asDouble(), d.prediction().scores()[i], 1e-5, "score " + i);
            }
            assertEquals("Fake", d.prediction().positiveLabel());
            assertEquals(d.prediction().scores()[1], d.score());
        }
    }

    @Test
    void batchSizeDoesNotChangeResults() throws IOException {
        List<Path> files = new ArrayList<>();
        for (int i = 0; i < 3; i++) {
            for (JsonNode e : expected.get("results")) {
                files.add(image(e.get("image").asText()));
            }
        }
        try (Detector batched = Detector.load(Fixtures.tinyModel(),
                DetectorOptions.DEFAULTS.withBatchSize(8).withDecodeThreads(3).withThreads(1))) {
            List<DetectionResult> a = detector.detectAll(files);
            List<DetectionResult> b = batched.detectAll(files);
            for (int i = 0; i < files.size(); i++) {
                assertEquals(files.get(i).toString(), b.get(i).source());
                assertArrayEquals(((Detection) a.get(i)).prediction().logits(),
                        ((Detection) b.get(i)).prediction().logits(), 1e-5f);
            }
        }
    }

    @Test
    void parallelInferenceWorkersKeepResultsAndOrder() throws IOException {
        Path text = Files.writeString(tmp.resolve("notes.jpg"), "not a picture");
        List<Path> files = new ArrayList<>();
        for (int i = 0; i < 7; i++) { // 35 images and a failure in the middle: uneven last batches
            for (JsonNode e : expected.get("results")) {
                files.add(image(e.get("image").asText()));
            }
            if (i == 3) {
                files.add(text);
            }
        }
        List<DetectionResult> reference = detector.detectAll(files);
        for (int workers : new int[]{2, 3}) {
            for (int batch : new int[]{1, 4}) {
                try (Detector parallel = Detector.load(Fixtures.tinyModel(), DetectorOptions.DEFAULTS
                        .withWorkers(workers).withBatchSize(batch).withThreads(1))) {
                    List<DetectionResult> out = new ArrayList<>();
                    parallel.detectAll(files.stream().map(ImageSource::of).iterator(), out::add);
                    assertEquals(files.size(), out.size());
                    for (int i = 0; i < files.size(); i++) {
                        String what = workers + " workers, batch " + batch + ", image " + i;
                        assertEquals(files.get(i).toString(), out.get(i).source(), what);
                        if (reference.get(i) instanceof Detection d) {
                            assertArrayEquals(d.prediction().logits(), ((Detection) out.get(i)).prediction().logits(),
                                    1e-5f, what);
                        } else {
                            assertInstanceOf(Failure.class, out.get(i), what);
                        }
                    }
                }
            }
        }
        assertThrows(DfdException.class, () -> DetectorOptions.DEFAULTS.withWorkers(-1));
    }

    @Test
    void aThrowingSinkLeavesNoBatchRunningWhenTheDetectorCloses() {
        List<Path> files = new ArrayList<>();
        for (int i = 0; i < 40; i++) {
            files.add(image("noise_64x48.png"));
        }
        Detector parallel = Detector.load(Fixtures.tinyModel(), DetectorOptions.DEFAULTS.withWorkers(3)
                .withBatchSize(2).withThreads(1));
        int[] seen = {0};
        IllegalStateException e = assertThrows(IllegalStateException.class, () -> parallel.detectAll(
                files.stream().map(ImageSource::of).iterator(), r -> {
                    if (++seen[0] == 3) {
                        throw new IllegalStateException("sink full");
                    }
                }));
        assertEquals("sink full", e.getMessage());
        parallel.close(); // no batch may still be inside ONNX Runtime here (that would crash the JVM)
        assertEquals("the detector is closed", assertThrows(DfdException.class, () -> parallel.detectAll(files))
                .getMessage());
    }

    @Test
    void aBadImageFailsAloneAndInOrder() throws IOException {
        Path text = Files.writeString(tmp.resolve("notes.jpg"), "not a picture");
        Path empty = Files.write(tmp.resolve("empty.png"), new byte[0]);
        List<Path> files = List.of(image("grad_37x23.png"), text, tmp.resolve("missing.png"), empty,
                image("tiny_5x3.png"));
        List<DetectionResult> out = detector.detectAll(files);
        assertInstanceOf(Detection.class, out.get(0));
        assertTrue(((Failure) out.get(1)).error().startsWith("not an image"));
        assertEquals("file not found", ((Failure) out.get(2)).error());
        assertEquals("empty file (0 bytes)", ((Failure) out.get(3)).error());
        assertInstanceOf(Detection.class, out.get(4));
        for (int i = 0; i < files.size(); i++) {
            assertEquals(files.get(i).toString(), out.get(i).source());
        }
    }

    @Test
    void singleDetectNamesTheFileInItsError() {
        Path missing = tmp.resolve("nope.jpg");
        DfdException e = assertThrows(DfdException.class, () -> detector.detect(missing));
        assertEquals(missing + ": file not found", e.getMessage());
    }

    @Test
    void inMemoryVariantsAgree() throws IOException {
        Path file = image("noise_64x48.png");
        float[] fromPath = ((DetectionResult.Detection) detector.detect(file)).prediction().logits();
        float[] fromBytes = ((DetectionResult.Detection) detector.detect(Files.readAllBytes(file), "upload.png")).prediction().logits();
        float[] fromImage = ((Detection) detector.detect(ImageIO.read(file.toFile()), "image")).prediction().logits();
        assertArrayEquals(fromPath, fromBytes);
        assertArrayEquals(fromPath, fromImage);
    }

    @Test
    void concurrentCallersShareOneSession() throws Exception {
        Path file = image("grad_37x23.png");
        float[] reference = ((DetectionResult.Detection) detector.detect(file)).prediction().logits();
        ExecutorService pool = Executors.newFixedThreadPool(4);
        try {
            List<Future<float[]>> futures = new ArrayList<>();
            for (int i = 0; i < 32; i++) {
                futures.add(pool.submit(() -> ((DetectionResult.Detection) detector.detect(file)).prediction().logits()));
            }
            for (Future<float[]> f : futures) {
                assertArrayEquals(reference, f.get());
            }
        } finally {
            pool.shutdown();
        }
    }

    // ---- model directory problems: each one line naming the file ----

    private Path copyOfTinyModel() throws IOException {
        Path dir = tmp.resolve("model");
        Files.createDirectories(dir.resolve("onnx"));
        for (String f : List.of("config.json", "preprocessor_config.json", "onnx/model.onnx")) {
            Files.copy(Fixtures.tinyModel().resolve(f), dir.resolve(f));
        }
        return dir;
    }

    private String loadError(Path dir, String variant) {
        DfdException e = assertThrows(DfdException.class,
                () -> Detector.load(dir, DetectorOptions.DEFAULTS.withVariant(variant)).close());
        assertFalse(e.getMessage().contains("\n"), e.getMessage());
        return e.getMessage();
    }

    @Test
    void missingDirectory() {
        assertEquals(tmp.resolve("absent") + ": model directory not found", loadError(tmp.resolve("absent"), null));
    }

    @Test
    void missingOrBrokenConfigs() throws IOException {
        Path dir = copyOfTinyModel();
        Files.delete(dir.resolve("preprocessor_config.json"));
        assertTrue(loadError(dir, null).startsWith(dir.resolve("preprocessor_config.json") + ": file not found"));
        Files.copy(Fixtures.tinyModel().resolve("preprocessor_config.json"), dir.resolve("preprocessor_config.json"));
        Files.writeString(dir.resolve("config.json"), "{\"id2label\": {\"0\": \"Real\", ");
        assertTrue(loadError(dir, null).startsWith(dir.resolve("config.json") + ": invalid JSON"));
        Files.writeString(dir.resolve("config.json"), "{\"id2label\": {\"0\": \"Real\", \"2\": \"Fake\"}}");
        assertTrue(loadError(dir, null).contains("id2label ids must be 0..1"));
        Files.delete(dir.resolve("config.json"));
        assertTrue(loadError(dir, null).startsWith(dir.resolve("config.json") + ": file not found"));
    }

    @Test
    void onnxThatDoesNotFitTheConfigs() throws IOException {
        Path dir = copyOfTinyModel();
        Files.writeString(dir.resolve("preprocessor_config.json"), "{\"size\": {\"height\": 32, \"width\": 32}}");
        String e = loadError(dir, null);
        assertTrue(e.contains("expects [-1, 3, 16, 16] but preprocessor_config.json makes images of 32x32"), e);
        Files.copy(Fixtures.tinyModel().resolve("preprocessor_config.json"), dir.resolve("preprocessor_config.json"),
                java.nio.file.StandardCopyOption.REPLACE_EXISTING);
        Files.writeString(dir.resolve("config.json"), "{\"id2label\": {\"0\": \"a\", \"1\": \"b\", \"2\": \"c\"}}");
        assertTrue(loadError(dir, null).contains("has 2 classes but config.json has 3 labels"));
        Files.write(dir.resolve("onnx/model.onnx"), "garbage".getBytes());
        assertTrue(loadError(dir, null).contains("ONNX Runtime cannot load this model"));
    }

    @Test
    void weightsInOtherFormatsPointToTheFix() throws IOException {
        Path dir = copyOfTinyModel();
        assertTrue(loadError(dir, "fp16").contains("no model_fp16.onnx (variant fp16); this directory has default"));
        Files.delete(dir.resolve("onnx/model.onnx"));
        Files.write(dir.resolve("model.safetensors"), new byte[8]);
        assertTrue(loadError(dir, null).contains("has model.safetensors but no ONNX weights"));
        assertTrue(loadError(dir, null).contains("dfd convert " + dir));
        Files.delete(dir.resolve("model.safetensors"));
        Files.write(dir.resolve("pytorch_model.bin"), new byte[8]);
        assertTrue(loadError(dir, null).contains("pickle"));
    }

    @Test
    void variantsAndBareOnnxFilesAreFound() throws IOException {
        Path dir = copyOfTinyModel();
        Files.copy(dir.resolve("onnx/model.onnx"), dir.resolve("onnx/model_quantized.onnx"));
        try (Detector q = Detector.load(dir, DetectorOptions.DEFAULTS.withVariant("quantized"))) {
            assertEquals(dir.resolve("onnx/model_quantized.onnx"), q.model().files().onnx());
        }
        try (Detector f = Detector.load(dir.resolve("onnx/model.onnx"))) {
            assertEquals(dir, f.model().files().dir());
        }
    }
}
