package dev.dfd.convert;

import ai.onnx.proto.OnnxMl;
import com.fasterxml.jackson.databind.JsonNode;
import dev.dfd.DetectionResult;
import dev.dfd.Detector;
import dev.dfd.DetectorOptions;
import dev.dfd.DfdException;
import dev.dfd.Fixtures;
import dev.dfd.Golden;
import dev.dfd.graph.Q4Options;
import dev.dfd.graph.WeightEncoding;
import dev.dfd.internal.Json;
import dev.dfd.internal.Provenance;
import dev.dfd.quantize.StaticInt8;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Static int8 of the golden zoo's CNNs (random weights; the ResNet has basic layers as models/default does): converted
 * with activation ranges calibrated on the golden images, then run through the detection path on the fixture images
 * (other images than the calibration's) against dfd's fp32 conversion of the same checkpoint. Every convolution's
 * weight is int8 behind a DequantizeLinear, and the file records how it was calibrated.
 */
class ConvertStaticInt8Test {
    /**
     * Largest |int8 - fp32| logit allowed, per model (measured: ResNet 0.051 with fp32 logits up to 2.3, ConvNeXt 0.16
     * and ConvNeXt V2 with logits up to 1.3, EfficientNet 2.1e-3). Random weights and calibration images unlike the
     * fixture images (noise, gradients) are a hard case; ConvNeXt's per-tensor uint8 LayerNorm and GELU outputs lose
     * the most. The random EfficientNet's logits are all below 5e-4, so for it this checks only that the quantised
     * graph runs and stays small.
     */
    static final Map<String, Double> TOLERANCE = Map.of(
            "resnet-seed0", 0.06,
            "convnext-seed0", 0.2,
            "convnextv2-seed0", 0.2,
            "efficientnet-seed0", 5e-3);
    private static final Map<String, String> REPORT = new ConcurrentHashMap<>();

    @TempDir
    static Path out;

    @AfterAll
    static void report() {
        new TreeMap<>(REPORT).forEach((model, line) -> System.out.printf("static int8 zoo %-18s %s%n", model, line));
    }

    @TestFactory
    List<DynamicTest> zooCnnsStayNearFp32() {
        List<String> models = List.copyOf(new TreeMap<>(TOLERANCE).keySet());
        if (!Golden.present()) {
            return Golden.skipped(models);
        }
        List<DynamicTest> tests = new ArrayList<>();
        for (String model : models) {
            tests.add(DynamicTest.dynamicTest(model, () -> check(model)));
        }
        return tests;
    }

    private static void check(String model) throws IOException {
        Path dir = out.resolve(model);
        Converter.convert(Golden.zooModel(model), dir, WeightEncoding.FP32, false);
        Converter.Result r = Converter.convert(Golden.zooModel(model), dir, WeightEncoding.INT8,
                dev.dfd.quantize.Int8Kernels.reduceRange(), Q4Options.DEFAULT,
                new StaticInt8(Golden.dir().resolve("images"), 64, 1), ExternalData.Mode.AUTO);
        assertEquals(dir.resolve("onnx/model_quantized.onnx"), r.onnx());

        OnnxMl.GraphProto g = OnnxMl.ModelProto.parseFrom(Files.readAllBytes(r.onnx())).getGraph();
        Map<String, OnnxMl.NodeProto> producers = new HashMap<>();
        g.getNodeList().forEach(n -> n.getOutputList().forEach(o -> producers.put(o, n)));
        int convs = 0;
        for (OnnxMl.NodeProto n : g.getNodeList()) {
            if (n.getOpType().equals("Conv")) {
                convs++;
                assertEquals("DequantizeLinear", producers.get(n.getInput(0)).getOpType(), model + " conv input");
                assertEquals("DequantizeLinear", producers.get(n.getInput(1)).getOpType(), model + " conv weight");
            }
            assertTrue(!n.getOpType().equals("MatMulInteger"), "static, not dynamic");
        }
        assertTrue(convs > 0);

        JsonNode provenance = Json.readObject(dir.resolve(Converter.PROVENANCE_FILE)).get("onnx/model_quantized.onnx");
        assertEquals(Provenance.sha256(r.onnx()), provenance.get("onnx_sha256").asText());
        JsonNode q = provenance.get("static_quantization");
        assertEquals("QDQ", q.get("format").asText());
        assertEquals(r.calibrationImages(), q.get("calibration_images").asInt());
        assertTrue(r.calibrationImages() >= 10, "the golden images: " + r.calibrationImages());

        List<Path> images = fixtureImages();
        double[] gap = int8Gap(dir, images); // {max |int8 - fp32| logit, max |fp32| logit}
        double max = gap[0];
        double span = gap[1];
        REPORT.put(model, String.format("%d convs, max |int8 - fp32| %.3e over %d images (max |fp32 logit| %.3f)%s",
                convs, max, images.size(), span, dev.dfd.quantize.Int8Kernels.VNNI ? "" : ", 7-bit weights (no VNNI)"));
        assertTrue(max <= TOLERANCE.get(model), model + ": int8 vs fp32 " + max);
    }

    private static List<Path> fixtureImages() throws IOException {
        try (Stream<Path> s = Files.list(Fixtures.dir().resolve("images"))) {
            return s.sorted().toList();
        }
    }

    /** {largest |int8 - fp32| logit, largest |fp32| logit} of the model in dir over the images. */
    private static double[] int8Gap(Path dir, List<Path> images) {
        List<float[]> fp32 = logits(dir, null, images);
        List<float[]> int8 = logits(dir, "quantized", images);
        double max = 0;
        double span = 0;
        for (int i = 0; i < images.size(); i++) {
            for (int k = 0; k < fp32.get(i).length; k++) {
                max = Math.max(max, Math.abs(int8.get(i)[k] - fp32.get(i)[k]));
                span = Math.max(span, Math.abs(fp32.get(i)[k]));
            }
        }
        return new double[]{max, span};
    }

    private static List<float[]> logits(Path dir, String variant, List<Path> images) {
        List<float[]> out = new ArrayList<>();
        try (Detector d = Detector.load(dir, DetectorOptions.DEFAULTS.withVariant(variant).withThreads(1))) {
            for (DetectionResult r : d.detectAll(images)) {
                out.add(assertInstanceOf(DetectionResult.Detection.class, r).prediction().logits());
            }
        }
        return out;
    }

    /**
     * A MobileNet V1 (the TensorFlow.js fixture, imported): every Conv, depthwise ones included, runs on int8 weights,
     * each ReLU6 Clip's output is what gets quantised (so ONNX Runtime can drop the Clip into the QLinearConv), and the
     * logits stay near fp32's on images other than the calibration's.
     */
    @Test
    void mobileNetV1ImportStaysNearFp32(@TempDir Path tmp) throws IOException {
        Path fixture = Path.of("src/test/resources/tfjs-mobilenet");
        Path dir = tmp.resolve("mobilenet");
        dev.dfd.convert.tfjs.TfjsMobileNetImport.run(fixture.resolve("model.json"), dir,
                new dev.dfd.convert.tfjs.TfjsMobileNetImport.Options(40,
                        dev.dfd.convert.tfjs.TfjsMobileNetImport.InputRange.BYTE, List.of("a", "b", "c"),
                        "logits/BiasAdd", 0));
        Converter.convert(dir, dir, WeightEncoding.FP32, false);
        Converter.Result r = Converter.convert(dir, dir, WeightEncoding.INT8, false, Q4Options.DEFAULT,
                new StaticInt8(fixture, 64, 1), ExternalData.Mode.AUTO);
        assertEquals(3, r.calibrationImages(), "the fixture's three images");

        OnnxMl.GraphProto g = OnnxMl.ModelProto.parseFrom(Files.readAllBytes(r.onnx())).getGraph();
        Map<String, OnnxMl.NodeProto> producers = new HashMap<>();
        Map<String, List<OnnxMl.NodeProto>> readers = new HashMap<>();
        for (OnnxMl.NodeProto n : g.getNodeList()) {
            n.getOutputList().forEach(o -> producers.put(o, n));
            n.getInputList().forEach(i -> readers.computeIfAbsent(i, k -> new ArrayList<>()).add(n));
        }
        int convs = 0;
        int clips = 0;
        for (OnnxMl.NodeProto n : g.getNodeList()) {
            if (n.getOpType().equals("Conv")) {
                convs++;
                assertEquals("DequantizeLinear", producers.get(n.getInput(0)).getOpType(), n.getName() + " input");
                assertEquals("DequantizeLinear", producers.get(n.getInput(1)).getOpType(), n.getName() + " weight");
            } else if (n.getOpType().equals("Clip")) {
                clips++;
                assertEquals("Conv", producers.get(n.getInput(0)).getOpType(), n.getName());
                assertEquals(List.of("QuantizeLinear"), readers.get(n.getOutput(0)).stream()
                        .map(OnnxMl.NodeProto::getOpType).toList(), n.getName() + ": the Q stands for the ReLU6");
            }
        }
        assertTrue(convs >= 5, "stem, depthwise and pointwise: " + convs);
        assertEquals(convs, clips);
        // ONNX Runtime's own optimised graph: every Conv an integer QLinearConv, every ReLU6 dropped into its Q
        List<String> fused = optimizedOps(r.onnx(), tmp.resolve("optimized.onnx"));
        assertEquals(convs, fused.stream().filter("QLinearConv"::equals).count(), fused.toString());
        assertTrue(!fused.contains("Conv") && !fused.contains("Clip"), "no float Conv or Clip left: " + fused);

        List<Path> images = fixtureImages();
        double[] gap = int8Gap(dir, images); // {max |int8 - fp32| logit, max |fp32| logit}
        double max = gap[0];
        double span = gap[1];
        REPORT.put("mobilenet-v1-tfjs", String.format("%d convs, max |int8 - fp32| %.3e over %d images (max |fp32 logit|"
                + " %.3f)", convs, max, images.size(), span));
        assertTrue(max <= 0.05 * Math.max(span, 1e-3), "int8 vs fp32 " + max + ", logits up to " + span);
    }

    /** The op types of the graph ONNX Runtime runs after its extended (QDQ fusing) optimisations. */
    private static List<String> optimizedOps(Path onnx, Path optimized) throws IOException {
        try (ai.onnxruntime.OrtSession.SessionOptions so = new ai.onnxruntime.OrtSession.SessionOptions()) {
            so.setOptimizationLevel(ai.onnxruntime.OrtSession.SessionOptions.OptLevel.EXTENDED_OPT);
            so.setOptimizedModelFilePath(optimized.toString());
            ai.onnxruntime.OrtEnvironment.getEnvironment().createSession(onnx.toString(), so).close();
        } catch (ai.onnxruntime.OrtException e) {
            throw new IOException(e);
        }
        return OnnxMl.ModelProto.parseFrom(Files.readAllBytes(optimized)).getGraph().getNodeList().stream()
                .map(OnnxMl.NodeProto::getOpType).toList();
    }

    @Test
    void calibrationIsRefusedWhereItCannotApply(@TempDir Path tmp) {
        Path none = tmp.resolve("no-images");
        DfdException wrongDtype = assertThrows(DfdException.class, () -> Converter.convert(Fixtures.tinyModel(),
                tmp.resolve("o"), WeightEncoding.FP16, false, Q4Options.DEFAULT, new StaticInt8(tmp, 8, 1),
                ExternalData.Mode.AUTO));
        assertTrue(wrongDtype.getMessage().contains("int8 only"), wrongDtype.getMessage());
        assertThrows(DfdException.class, () -> new StaticInt8(tmp, 0, 1));
        DfdException empty = assertThrows(DfdException.class,
                () -> dev.dfd.quantize.CalibrationImages.choose(tmp, 8));
        assertTrue(empty.getMessage().contains("no image files"), empty.getMessage());
        DfdException missing = assertThrows(DfdException.class,
                () -> dev.dfd.quantize.CalibrationImages.choose(none, 8));
        assertTrue(missing.getMessage().contains("not found"), missing.getMessage());
    }

    @Test
    void choosesImagesEvenlySpacedOverTheSortedFiles(@TempDir Path tmp) throws IOException {
        for (String label : new String[]{"Fake", "Real"}) {
            Files.createDirectories(tmp.resolve(label));
            for (int i = 0; i < 10; i++) {
                Files.writeString(tmp.resolve(label).resolve(i + ".jpg"), "x");
            }
        }
        Files.writeString(tmp.resolve("notes.txt"), "not an image");
        List<Path> four = dev.dfd.quantize.CalibrationImages.choose(tmp, 4);
        assertEquals(List.of(tmp.resolve("Fake/0.jpg"), tmp.resolve("Fake/5.jpg"), tmp.resolve("Real/0.jpg"),
                tmp.resolve("Real/5.jpg")), four);
        assertEquals(20, dev.dfd.quantize.CalibrationImages.choose(tmp, 100).size());
    }
}
