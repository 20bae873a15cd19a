package dev.dfd.convert.tfjs;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.dfd.DfdException;
import dev.dfd.convert.Converter;
import dev.dfd.family.mobilenetv1.MobileNetV1Config;
import dev.dfd.graph.WeightEncoding;
import dev.dfd.internal.Json;
import dev.dfd.internal.model.OnnxClassifier;
import dev.dfd.internal.model.PixelBatch;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import javax.imageio.ImageIO;
import java.awt.image.BufferedImage;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The fixture in src/test/resources/tfjs-mobilenet is a tiny MobileNet V1 in TensorFlow.js graph format (every way
 * the converter writes its layers: folded BatchNorm as Mul/Add, fused convolutions, ReLU6 split or whole; float16,
 * uint8 and float32 weights) with logits that TensorFlow.js 4.22.0 itself computed (reference.json, see
 * make_fixture.py). Imported, converted to ONNX and run, it must give the same logits on images whose odd sizes make
 * TensorFlow's SAME padding uneven at every stride.
 */
class TfjsMobileNetImportTest {
    static final Path FIXTURE = Path.of("src/test/resources/tfjs-mobilenet");
    static final List<String> LABELS = List.of("a", "b", "c");

    @TempDir
    Path dir;

    @Test
    void importedGraphReproducesTensorFlowJsLogits() throws Exception {
        Path hf = dir.resolve("hf");
        MobileNetV1Config c = TfjsMobileNetImport.run(FIXTURE.resolve("model.json"), hf,
                new TfjsMobileNetImport.Options(40, TfjsMobileNetImport.InputRange.BYTE, LABELS, "logits/BiasAdd", 0));
        assertEquals(0.125, c.depthMultiplier());
        assertEquals(128, c.featureWidth());
        assertTrue(c.batchNormFrozen(), "folded BatchNorm is not a measured statistic");
        ObjectNode pre = Json.readObject(hf.resolve("preprocessor_config.json"));
        assertEquals(true, pre.get("do_rescale").asBoolean(), "0..255 models are imported to take 0..1");
        assertEquals(false, pre.get("do_normalize").asBoolean());
        pre.put("do_resize", false); // any size in: the images keep their odd sizes
        Files.writeString(hf.resolve("preprocessor_config.json"), Json.MAPPER.writeValueAsString(pre));
        Converter.convert(hf, hf, WeightEncoding.FP32, false);

        JsonNode reference = Json.readObject(FIXTURE.resolve("reference.json")).get("images");
        int checked = 0;
        try (OnnxClassifier cls = OnnxClassifier.open(hf.resolve("onnx/model.onnx"), 1)) {
            for (var it = reference.fields(); it.hasNext(); ) {
                var e = it.next();
                BufferedImage img = ImageIO.read(FIXTURE.resolve(e.getKey()).toFile());
                float[][] logits = cls.run(chw(img));
                for (int k = 0; k < LABELS.size(); k++) {
                    assertEquals(e.getValue().get(k).asDouble(), logits[0][k], 1e-4, e.getKey() + " logit " + k);
                }
                checked++;
            }
        }
        assertEquals(3, checked);
    }

    /** (1, 3, H, W) float32, 0..1 (the fixture's model takes 0..255; the import scales its stem by 255). */
    static PixelBatch chw(BufferedImage img) {
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
        return new PixelBatch(x, 1, 3, h, w);
    }

    @Test
    void newClassifierIsSeededAndOtherRangesSetThePreprocessor() throws Exception {
        TfjsMobileNetImport.run(FIXTURE.resolve("model.json"), dir.resolve("a"),
                new TfjsMobileNetImport.Options(64, TfjsMobileNetImport.InputRange.SIGNED, List.of("Real", "Fake"), null, 3));
        TfjsMobileNetImport.run(FIXTURE.resolve("model.json"), dir.resolve("b"),
                new TfjsMobileNetImport.Options(64, TfjsMobileNetImport.InputRange.SIGNED, List.of("Real", "Fake"), null, 3));
        assertTrue(java.util.Arrays.equals(Files.readAllBytes(dir.resolve("a/model.safetensors")),
                Files.readAllBytes(dir.resolve("b/model.safetensors"))), "same seed, same weights");
        ObjectNode pre = Json.readObject(dir.resolve("a/preprocessor_config.json"));
        assertTrue(pre.get("do_rescale").asBoolean() && pre.get("do_normalize").asBoolean());
        assertEquals(64, pre.get("size").get("height").asInt());
        MobileNetV1Config c = MobileNetV1Config.read(dir.resolve("a/config.json"));
        assertEquals(List.of("Real", "Fake"), c.labels());
        assertTrue(c.batchNormFrozen());
    }

    @Test
    void graphsThatAreNotMobileNetV1AreRefusedInOneLine() throws Exception {
        // a head of the wrong width
        DfdException head = assertThrows(DfdException.class, () -> TfjsMobileNetImport.run(FIXTURE.resolve("model.json"),
                dir.resolve("x"), new TfjsMobileNetImport.Options(40, TfjsMobileNetImport.InputRange.BYTE,
                        List.of("Real", "Fake"), "logits/BiasAdd", 0)));
        assertTrue(head.getMessage().contains("(128, 2) kernel"), head.getMessage());

        // a layer cut out of the chain: the pointwise convolution of layer 13 bypassed
        Path cut = copyFixture("cut");
        ObjectNode model = Json.readObject(cut.resolve("model.json"));
        for (JsonNode n : model.get("modelTopology").get("node")) {
            if (n.get("name").asText().equals("global_pooling/Mean")) {
                ((ArrayNode) n.get("input")).set(0, Json.MAPPER.getNodeFactory().textNode("dw_13_relu/clip_by_value"));
            }
        }
        Files.writeString(cut.resolve("model.json"), Json.MAPPER.writeValueAsString(model));
        DfdException e = assertThrows(DfdException.class, () -> TfjsMobileNetImport.run(cut.resolve("model.json"),
                dir.resolve("y"), new TfjsMobileNetImport.Options(40, TfjsMobileNetImport.InputRange.BYTE,
                        List.of("Real", "Fake"), null, 0)));
        assertTrue(e.getMessage().startsWith(cut.resolve("model.json").toString()), e.getMessage());
        assertTrue(e.getMessage().contains("dw_13_relu/clip_by_value feeds 2 nodes"), e.getMessage());

        // weights that end early
        Path truncated = copyFixture("short");
        byte[] bin = Files.readAllBytes(truncated.resolve("model.bin"));
        Files.write(truncated.resolve("model.bin"), java.util.Arrays.copyOf(bin, bin.length - 100));
        DfdException t = assertThrows(DfdException.class, () -> TfjsGraph.read(truncated.resolve("model.json")));
        assertTrue(t.getMessage().contains("end inside weight"), t.getMessage());

        // a Keras layers-model
        Path layers = dir.resolve("layers.json");
        Files.writeString(layers, "{\"format\": \"layers-model\", \"modelTopology\": {}}");
        DfdException l = assertThrows(DfdException.class, () -> TfjsGraph.read(layers));
        assertTrue(l.getMessage().contains("not a TensorFlow.js graph model"), l.getMessage());
    }

    private Path copyFixture(String name) throws Exception {
        Path to = dir.resolve(name);
        Files.createDirectories(to);
        for (String f : List.of("model.json", "model.bin")) {
            Files.copy(FIXTURE.resolve(f), to.resolve(f), StandardCopyOption.REPLACE_EXISTING);
        }
        return to;
    }
}
