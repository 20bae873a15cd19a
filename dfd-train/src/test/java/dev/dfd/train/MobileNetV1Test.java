package dev.dfd.train;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import com.fasterxml.jackson.databind.JsonNode;
import dev.dfd.convert.tfjs.TfjsMobileNetImport;
import dev.dfd.family.mobilenetv1.MobileNetV1Config;
import dev.dfd.internal.Json;
import dev.dfd.internal.model.OnnxClassifier;
import dev.dfd.internal.model.PixelBatch;
import dev.dfd.internal.preprocess.PreprocessorConfig;
import dev.dfd.safetensors.ShardedSafetensors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import javax.imageio.ImageIO;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Random;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The trainable MobileNet V1 against TensorFlow.js' own logits on dfd-convert's TensorFlow.js fixture (imported:
 * odd image sizes, so SAME padding is uneven), against its ONNX export with measured BatchNorm statistics, and
 * frozen BatchNorm in training.
 */
class MobileNetV1Test {
    static final Path FIXTURE = Path.of("../dfd-convert/src/test/resources/tfjs-mobilenet");

    @TempDir
    Path tmp;

    private Path imported(List<String> labels, String head) {
        Path hf = tmp.resolve("imported-" + labels.size());
        TfjsMobileNetImport.run(FIXTURE.resolve("model.json"), hf,
                new TfjsMobileNetImport.Options(32, TfjsMobileNetImport.InputRange.BYTE, labels, head, 0));
        return hf;
    }

    private static MobileNetV1 load(Path hf, List<String> labels) {
        MobileNetV1 m = new MobileNetV1(MobileNetV1Config.read(hf.resolve("config.json")).withLabels(labels), 1);
        try (ShardedSafetensors w = ShardedSafetensors.open(hf)) {
            assertEquals(List.of(), m.weights().load(w, Set.of()), "every weight in the checkpoint");
        }
        return m;
    }

    @Test
    void importedFixtureReproducesTensorFlowJsInTrainingAndInference() throws IOException {
        List<String> labels = List.of("a", "b", "c");
        Path hf = imported(labels, "logits/BiasAdd");
        JsonNode reference = Json.readObject(FIXTURE.resolve("reference.json")).get("images");
        try (MobileNetV1 model = load(hf, labels); NDManager m = NDManager.newBaseManager()) {
            for (var it = reference.fields(); it.hasNext(); ) {
                var e = it.next();
                BufferedImage img = ImageIO.read(FIXTURE.resolve(e.getKey()).toFile());
                float[] pixels = chw(img);
                NDArray x = m.create(pixels, new Shape(1, 3, img.getHeight(), img.getWidth()));
                float[] expected = new float[3];
                for (int k = 0; k < 3; k++) {
                    expected[k] = (float) e.getValue().get(k).asDouble();
                }
                assertArrayEquals(expected, model.forward(x, false).toFloatArray(), 1e-4f, e.getKey());
                // frozen BatchNorm: the training forward is the same function (statistics are not the batch's)
                assertArrayEquals(expected, model.forward(x, true).toFloatArray(), 1e-4f, e.getKey() + ", training");
            }
        }
    }

    @Test
    void exportMatchesTheForwardWithMeasuredStatistics() throws IOException {
        MobileNetV1Config c = MobileNetV1Config.standard(0.125, List.of("Real", "Fake"), false);
        Path dir = tmp.resolve("export");
        Random r = new Random(5);
        float[] pixels = new float[2 * 3 * 27 * 35];
        for (int i = 0; i < pixels.length; i++) {
            pixels[i] = (float) (r.nextDouble() * 2 - 1);
        }
        float[] djl;
        try (MobileNetV1 model = new MobileNetV1(c, 3); NDManager m = NDManager.newBaseManager()) {
            for (var e : model.weights().all().entrySet()) {
                float[] v = e.getValue().toFloatArray();
                for (int i = 0; i < v.length; i++) {
                    if (e.getKey().endsWith("running_var")) {
                        v[i] = 0.5f + r.nextFloat();
                    } else if (e.getKey().contains("normalization")) {
                        v[i] = (float) r.nextGaussian() * 0.3f + (e.getKey().endsWith(".weight") ? 1 : 0);
                    } else if (e.getKey().endsWith("convolution.weight")) {
                        v[i] *= 20; // std 0.4: activations large enough to reach ReLU6's ceiling
                    }
                }
                e.getValue().set(v);
            }
            ModelExport.writeModelDir(model, PreprocessorConfig.vitDefaults(32), dir, null);
            djl = model.forward(m.create(pixels, new Shape(2, 3, 27, 35)), false).toFloatArray();
        }
        // the graph takes any size (the preprocessor's fixed size only names the input)
        Path anySize = tmp.resolve("any");
        Files.createDirectories(anySize);
        for (String f : List.of("config.json", "model.safetensors")) {
            Files.copy(dir.resolve(f), anySize.resolve(f));
        }
        Files.writeString(anySize.resolve("preprocessor_config.json"), "{\"do_resize\": false}");
        dev.dfd.convert.Converter.convert(anySize, anySize, dev.dfd.graph.WeightEncoding.FP32, false);
        try (OnnxClassifier onnx = OnnxClassifier.open(anySize.resolve("onnx/model.onnx"), 1)) {
            float[][] out = onnx.run(new PixelBatch(pixels, 2, 3, 27, 35));
            assertArrayEquals(djl, new float[]{out[0][0], out[0][1], out[1][0], out[1][1]}, 1e-4f);
        }
        assertTrue(Math.abs(djl[0] - djl[2]) > 1e-3, "the logits depend on the image");
    }

    @Test
    void measuredBatchNormKeepsTheFunctionAndMatchesTheBatchStatistics() throws IOException {
        Path hf = imported(List.of("a", "b", "c"), "logits/BiasAdd");
        Random r = new Random(9);
        float[] pixels = new float[4 * 3 * 33 * 31];
        for (int i = 0; i < pixels.length; i++) {
            pixels[i] = r.nextFloat();
        }
        try (MobileNetV1 model = load(hf, List.of("a", "b", "c")); NDManager m = NDManager.newBaseManager()) {
            NDArray x = m.create(pixels, new Shape(4, 3, 33, 31));
            float[] before = model.forward(x, false).toFloatArray();
            model.measureBatchNorm(List.of(x));
            assertTrue(!model.needsBatchNormStatistics());
            float[] mean = model.weights().get("mobilenet_v1.layer.5.normalization.running_mean").toFloatArray();
            assertTrue(Math.abs(mean[0]) > 1e-6, "statistics were measured");
            assertArrayEquals(before, model.forward(x, false).toFloatArray(), 1e-4f, "the same function");
            // statistics of this very batch: training's batch-statistics forward is the same function too
            assertArrayEquals(before, model.forward(x, true).toFloatArray(), 1e-3f, "batch statistics = measured ones");
        }
    }

    @Test
    void fineTuningFromAnImportMeasuresBatchNormThenTrainsIt() throws IOException {
        Path hf = imported(List.of("Real", "Fake"), null);
        Path data = tmp.resolve("data");
        for (String split : List.of("train", "val")) {
            for (String label : List.of("Real", "Fake")) {
                Path d = Files.createDirectories(data.resolve(split).resolve(label));
                for (String n : List.of("image0.png", "image1.png", "image2.png")) {
                    Files.copy(FIXTURE.resolve(n), d.resolve(n));
                }
            }
        }
        TrainOptions o = new TrainOptions(data, tmp.resolve("run"), hf, null, 32, 1, 4, 1e-3, 0.05, 0.5, 0.1, 1.0, 0,
                7, 1, 2, 0);
        java.io.ByteArrayOutputStream log = new java.io.ByteArrayOutputStream();
        Trainer.Outcome out = new Trainer(o, new PrintStream(log, true)).run();
        assertEquals(1, out.epochsDone());
        assertTrue(log.toString().contains("BatchNorm statistics measured on 6 training images"), log.toString());
        try (var before = dev.dfd.safetensors.SafetensorsFile.open(hf.resolve("model.safetensors"));
             var after = dev.dfd.safetensors.SafetensorsFile.open(tmp.resolve("run/best/model.safetensors"))) {
            String bn = "mobilenet_v1.layer.3.normalization.";
            assertTrue(!java.util.Arrays.equals(before.floats(bn + "running_var"), after.floats(bn + "running_var")),
                    "measured statistics replace the import's");
            assertTrue(!java.util.Arrays.equals(before.floats("mobilenet_v1.layer.3.convolution.weight"),
                    after.floats("mobilenet_v1.layer.3.convolution.weight")), "convolutions learn");
        }
        assertTrue(!Json.readObject(tmp.resolve("run/best/config.json")).has("dfd_batchnorm_frozen"),
                "the fine-tuned model's statistics are measured ones");
        assertTrue(Files.isRegularFile(tmp.resolve("run/best/onnx/model.onnx")));
    }

    /** (3, H, W) float32, 0..1 (the import scales the 0..255 fixture's stem by 255). */
    static float[] chw(BufferedImage img) {
        int h = img.getHeight();
        int w = img.getWidth();
        float[] x = new float[3 * h * w];
        for (int y = 0; y < h; y++) {
            for (int xx = 0; xx < w; xx++) {
                int rgb = img.getRGB(xx, y);
                x[y * w + xx] = ((rgb >> 16) & 0xff) / 255f;
                x[h * w + y * w + xx] = ((rgb >> 8) & 0xff) / 255f;
                x[2 * h * w + y * w + xx] = (rgb & 0xff) / 255f;
            }
        }
        return x;
    }
}
