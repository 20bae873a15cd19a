package dev.dfd.train;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import com.fasterxml.jackson.databind.JsonNode;
import dev.dfd.DetectionResult;
import dev.dfd.Detector;
import dev.dfd.DetectorOptions;
import dev.dfd.DfdException;
import dev.dfd.Fixtures;
import dev.dfd.Golden;
import dev.dfd.family.resnet.ResNetConfig;
import dev.dfd.internal.Json;
import dev.dfd.internal.io.ImageDecoder;
import dev.dfd.internal.model.OnnxClassifier;
import dev.dfd.internal.model.PixelBatch;
import dev.dfd.internal.preprocess.ImageProcessor;
import dev.dfd.internal.preprocess.PreprocessorConfig;
import dev.dfd.safetensors.SafetensorsFile;
import dev.dfd.safetensors.ShardedSafetensors;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Smoke tests of the trainer (two steps, not a training run) and its agreement with transformers and ONNX. */
@org.junit.jupiter.api.TestMethodOrder(org.junit.jupiter.api.MethodOrderer.OrderAnnotation.class)
class TrainerTest {
    @TempDir
    Path tmp;

    private static final PrintStream QUIET = new PrintStream(PrintStream.nullOutputStream());

    /** train/ val/ test/ of Real and Fake copies of the fixture images. */
    private Path dataset(String... splits) throws IOException {
        Path root = tmp.resolve("data");
        List<String> names = List.of("grad_37x23.png", "noise_64x48.png", "tall_9x40.png", "tiny_5x3.png");
        for (String split : splits) {
            for (String label : List.of("Real", "Fake")) {
                Path dir = Files.createDirectories(root.resolve(split).resolve(label));
                for (String n : names) {
                    Files.copy(Fixtures.dir().resolve("images").resolve(n), dir.resolve(n));
                }
            }
        }
        return root;
    }

    private static TrainOptions options(Path data, Path out, Path init, int epochs, int steps, int imageSize) {
        return new TrainOptions(data, out, init, null, imageSize, epochs, 4, 1e-3, 0.05, 0.5, 0.1, 1.0, 0, 7, 1, steps,
                0);
    }

    @Test
    void twoStepsCheckpointResumeAndDetect() throws IOException {
        Path data = dataset("train", "val", "test");
        // uninterrupted: two epochs of one step each
        Trainer.Outcome full = new Trainer(options(data, tmp.resolve("full"), null, 2, 1, 32), QUIET).run();
        assertEquals(2, full.epochsDone());
        // interrupted after the first epoch's checkpoint, then resumed
        TrainOptions first = options(data, tmp.resolve("resumed"), null, 2, 1, 32);
        Trainer t = new Trainer(first, QUIET);
        Trainer.Outcome one = new Trainer(new TrainOptions(first.data(), first.out(), null, null, 32, 1, 4, 1e-3, 0.05,
                0.5, 0.1, 1.0, 0, 7, 1, 1, 0), QUIET).run();
        assertEquals(1, one.epochsDone());
        assertTrue(Files.exists(first.out().resolve("checkpoint/trainer_state.json")));
        Trainer.Outcome resumed = t.run(); // same run directory, 2 epochs planned: continues at epoch 2
        assertEquals(2, resumed.epochsDone());

        JsonNode history = Json.readObject(tmp.resolve("full/checkpoint/trainer_state.json")).get("history");
        for (JsonNode epoch : history) {
            assertTrue(Double.isFinite(epoch.get("train_loss").asDouble()), "finite loss");
        }
        try (SafetensorsFile a = SafetensorsFile.open(tmp.resolve("full/checkpoint/model.safetensors"));
             SafetensorsFile b = SafetensorsFile.open(tmp.resolve("resumed/checkpoint/model.safetensors"))) {
            for (String name : a.tensors().keySet()) {
                if (a.tensors().get(name).dtype().isFloat()) {
                    assertArrayEquals(a.floats(name), b.floats(name), 1e-5f, "resumed run differs at " + name);
                }
            }
        }
        // the exported best model runs in the detection path
        try (Detector d = Detector.load(tmp.resolve("full/best"), DetectorOptions.DEFAULTS.withThreads(1))) {
            assertEquals(List.of("Real", "Fake"), d.model().config().labels());
            assertEquals(dev.dfd.internal.face.FaceCrop.DFDC, d.model().faceCrop(), "it declares the crops it was trained on");
            DetectionResult r = d.detectAll(List.of(Fixtures.dir().resolve("images/noise_64x48.png")),
                    dev.dfd.Decision.DEFAULT.withFaces(dev.dfd.Decision.Faces.OFF)).get(0);
            assertInstanceOf(DetectionResult.Detection.class, r);
            assertInstanceOf(DetectionResult.NoFace.class, d.detect(Fixtures.dir().resolve("images/noise_64x48.png")),
                    "no face in noise: no verdict");
        }
        assertTrue(Files.readString(tmp.resolve("full/metrics.csv")).startsWith("epoch,train_loss,val_loss,val_auc"));
    }

    @Test
    void realOnlyTrainingWithSyntheticFakes() throws IOException {
        Path data = dataset("train", "val");
        for (String split : List.of("train", "val")) { // a real face, so the keypoints come from the face stage
            Files.copy(Fixtures.dir().resolve("faces/astronaut_face.png"),
                    data.resolve(split).resolve("Real/astronaut_face.png"));
        }
        TrainOptions o = new TrainOptions(data, tmp.resolve("sbi"), null, null, 32, 1, 4, 1e-3, 0.05, 0.5, 0.1, 1.0,
                0, 7, 1, 2, 0, "blend,upsample,retouch", 0.5, true, false);
        Trainer.Outcome out = new Trainer(o, QUIET).run();
        assertEquals(1, out.epochsDone());
        JsonNode history = Json.readObject(tmp.resolve("sbi/checkpoint/trainer_state.json")).get("history");
        assertTrue(Double.isFinite(history.get(0).get("train_loss").asDouble()), "finite loss");
        assertTrue(Double.isFinite(history.get(0).get("val_auc").asDouble()), "validated on reals + synthetic fakes");
        assertThrows(IllegalArgumentException.class, () -> new TrainOptions(data, tmp.resolve("x"), null, null, 32, 1,
                4, 1e-3, 0.05, 0.5, 0.1, 1.0, 0, 7, 1, 2, 0, null, 0.5, true, false), "real-only needs synthesis");
    }

    @Test
    void badDataIsRefusedBeforeTraining() throws IOException {
        Path noVal = dataset("train");
        DfdException e = assertThrows(DfdException.class,
                () -> new Trainer(options(noVal, tmp.resolve("o1"), null, 1, 1, 32), QUIET).run());
        assertTrue(e.getMessage().contains("no val/ split"), e.getMessage());
        Path oneClass = tmp.resolve("one");
        for (String split : List.of("train", "val")) {
            Path dir = Files.createDirectories(oneClass.resolve(split).resolve("Real"));
            Files.copy(Fixtures.dir().resolve("images/grad_37x23.png"), dir.resolve("a.png"));
        }
        DfdException one = assertThrows(DfdException.class,
                () -> new Trainer(options(oneClass, tmp.resolve("o2"), null, 1, 1, 32), QUIET).run());
        assertTrue(one.getMessage().contains("only the class [Real]"), one.getMessage());
    }

    /**
     * A model built directly (not through Trainer.run) still gets the oneDNN AVX2 cap. Runs first in this JVM (the
     * module's only test class), so nothing else can have set the cap before.
     */
    @Test
    @org.junit.jupiter.api.Order(1)
    void modelsCapOneDnnBeforeTheEngineRuns() {
        try (ResNet model = new ResNet(ResNetConfig.compact(List.of("Real", "Fake")), 1)) {
            String expected = System.getenv("ONEDNN_MAX_CPU_ISA") != null ? System.getenv("ONEDNN_MAX_CPU_ISA")
                    : System.getenv("DNNL_MAX_CPU_ISA") != null ? null : "AVX2";
            if (expected != null) {
                assertEquals(expected, NativeSetup.nativeEnv("ONEDNN_MAX_CPU_ISA"));
            }
            assertTrue(model.weights().parameters().size() > 0);
        }
    }

    /**
     * The exported ONNX graph (BatchNorm folded) computes what the trained DJL model computes in eval mode, with and
     * without the residual input.
     */
    @org.junit.jupiter.params.ParameterizedTest
    @org.junit.jupiter.params.provider.ValueSource(booleans = {false, true})
    void resnetExportMatchesTheTrainingForward(boolean residualInput) throws IOException {
        ResNetConfig c = ResNetConfig.basic(3, 8, List.of(8, 16), List.of(1, 2), false, List.of("Real", "Fake"))
                .withResidualInput(residualInput);
        Path dir = tmp.resolve("resnet");
        float[] pixels = new float[2 * 3 * 32 * 32];
        java.util.Random r = new java.util.Random(3);
        for (int i = 0; i < pixels.length; i++) {
            pixels[i] = (float) (r.nextDouble() * 2 - 1);
        }
        float[] djl;
        try (ResNet model = new ResNet(c, 11); NDManager m = NDManager.newBaseManager()) {
            // non-trivial running statistics and BN parameters
            for (var e : model.weights().all().entrySet()) {
                if (e.getKey().contains("normalization")) {
                    float[] v = e.getValue().toFloatArray();
                    for (int i = 0; i < v.length; i++) {
                        v[i] = e.getKey().endsWith("running_var") ? 0.5f + r.nextFloat() : (float) r.nextGaussian() * 0.3f
                                + (e.getKey().endsWith(".weight") ? 1 : 0);
                    }
                    e.getValue().set(v);
                }
            }
            ModelExport.writeModelDir(model, PreprocessorConfig.vitDefaults(32), dir, null);
            NDArray x = m.create(pixels, new Shape(2, 3, 32, 32));
            djl = model.forward(x, false).toFloatArray();
        }
        try (OnnxClassifier onnx = OnnxClassifier.open(dir.resolve("onnx/model.onnx"), 1)) {
            float[][] out = onnx.run(new PixelBatch(pixels, 2, 3, 32, 32));
            assertArrayEquals(djl, new float[]{out[0][0], out[0][1], out[1][0], out[1][1]}, 1e-4f);
        }
        assertEquals(residualInput, Json.readObject(dir.resolve("config.json")).path("dfd_residual_input").asBoolean());
        assertEquals(residualInput, ResNetConfig.read(dir.resolve("config.json")).residualInput());
        try (SafetensorsFile f = SafetensorsFile.open(dir.resolve("model.safetensors"))) {
            assertArrayEquals(new long[]{8, residualInput ? 6 : 3, 7, 7},
                    f.tensors().get("resnet.embedder.embedder.convolution.weight").shape());
            assertTrue(f.tensors().containsKey("resnet.embedder.embedder.normalization.num_batches_tracked"));
            assertEquals(Set.of("format"), f.metadata().keySet());
        }
    }

    /** The residual input against its definition, pixel by pixel, on odd and even sizes. */
    @Test
    void residualInputIsTheImageMinusItsNearestDownUpSampledCopy() {
        for (int[] hw : new int[][]{{6, 4}, {7, 5}}) {
            int b = 2;
            int ch = 3;
            int h = hw[0];
            int w = hw[1];
            float[] x = new float[b * ch * h * w]; // (B, C, H, W)
            java.util.Random r = new java.util.Random(h);
            for (int i = 0; i < x.length; i++) {
                x[i] = r.nextFloat();
            }
            float[] expected = new float[b * 2 * ch * h * w]; // (B, 2C, H, W): image channels, then residuals
            for (int n = 0; n < b; n++) {
                for (int c = 0; c < ch; c++) {
                    for (int y = 0; y < h; y++) {
                        for (int xx = 0; xx < w; xx++) {
                            float v = x[((n * ch + c) * h + y) * w + xx];
                            float kept = x[((n * ch + c) * h + 2 * (y / 2)) * w + 2 * (xx / 2)];
                            expected[((n * 2 * ch + c) * h + y) * w + xx] = v;
                            expected[((n * 2 * ch + ch + c) * h + y) * w + xx] = v - kept;
                        }
                    }
                }
            }
            try (NDManager m = NDManager.newBaseManager()) {
                NDArray out = ResNet.withResidual(m.create(x, new Shape(b, ch, h, w)));
                assertEquals(new Shape(b, 2 * ch, h, w), out.getShape());
                assertArrayEquals(expected, out.toFloatArray(), 0f, h + "x" + w);
            }
        }
    }

    /** --init from each golden ViT: before any step the trainer's forward gives the golden (PyTorch) logits. */
    @TestFactory
    List<DynamicTest> vitInitMatchesTransformers() {
        if (!Golden.present()) {
            return Golden.skipped(Golden.MODELS); // skipped with the reason, or failed under CI=true
        }
        List<DynamicTest> tests = new ArrayList<>();
        for (String model : Golden.MODELS) {
            tests.add(DynamicTest.dynamicTest(model, () -> checkVit(model)));
        }
        return tests;
    }

    private void checkVit(String model) throws IOException {
        Path init = Golden.model(model);
        PreprocessorConfig pre = PreprocessorConfig.read(init.resolve(PreprocessorConfig.FILE_NAME));
        int size = pre.fixedOutputSize()[0];
        TrainOptions o = options(tmp, tmp.resolve("vit"), init, 1, 1, size);
        List<String> labels = dev.dfd.internal.model.ModelConfig.read(init.resolve("config.json")).labels();
        ImageProcessor processor = new ImageProcessor(pre);
        JsonNode expected = Golden.expectedImages(model).get("results");
        Path saved = tmp.resolve("saved-" + model);
        List<float[]> first = new ArrayList<>();
        try (TrainableModel vit = Models.create(o, labels); NDManager m = NDManager.newBaseManager();
             ShardedSafetensors w = ShardedSafetensors.open(init)) {
            assertEquals(List.of(), vit.weights().load(w, Set.of()), "every weight comes from the checkpoint");
            for (JsonNode e : expected) {
                String image = e.get("image").asText();
                if (!e.hasNonNull("logits") || Golden.TRANSFORMERS_QUIRKS.contains(image)) {
                    continue;
                }
                float[] px = processor.process(new ImageDecoder().decode(
                        Files.readAllBytes(Golden.dir().resolve("images").resolve(image))));
                float[] logits = vit.forward(m.create(px, new Shape(1, 3, size, size)), false).toFloatArray();
                for (int k = 0; k < logits.length; k++) {
                    assertEquals(e.get("logits").get(k).asDouble(), logits[k], 1e-4, image + " logit " + k);
                }
                first.add(logits);
            }
            ModelExport.writeModelDir(vit, pre, saved, null);
        }
        // the saved model reloads with identical logits
        try (TrainableModel again = Models.create(options(tmp, tmp.resolve("vit2"), saved, 1, 1, size), labels);
             NDManager m = NDManager.newBaseManager(); ShardedSafetensors w = ShardedSafetensors.open(saved)) {
            again.weights().load(w, Set.of());
            int i = 0;
            for (JsonNode e : expected) {
                String image = e.get("image").asText();
                if (!e.hasNonNull("logits") || Golden.TRANSFORMERS_QUIRKS.contains(image)) {
                    continue;
                }
                float[] px = processor.process(new ImageDecoder().decode(
                        Files.readAllBytes(Golden.dir().resolve("images").resolve(image))));
                assertArrayEquals(first.get(i++), again.forward(m.create(px, new Shape(1, 3, size, size)), false)
                        .toFloatArray());
            }
        }
    }
}
