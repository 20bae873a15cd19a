package dev.dfd.optimize;

import ai.onnx.proto.OnnxMl;
import ai.onnx.proto.OnnxMl.NodeProto;
import dev.dfd.Golden;
import dev.dfd.convert.Converter;
import dev.dfd.graph.WeightEncoding;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.EnumSet;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The fusions on an ONNX file as the Hugging Face Hub has them (Optimum's torch.onnx.export at opset 14), not as dfd
 * converts: LayerNorm written out step by step, the head split's and merge's Reshape targets computed at run time
 * from Shape/Gather, all four input axes free. The fixture ({@code hub-export/vit-tiny-seed0}, made by
 * {@code hub-export/make.sh} with {@code bench/peers/export_hub_onnx.py}) is the golden tiny ViT's weights; on the
 * golden images the optimised graph must give the unfused graph's logits within 1e-4, each fusion alone and all
 * together, with as many fusions as dfd's own conversion of the same model gets (2 layers: 2 Attention,
 * 4 SkipLayerNormalization, 2 BiasGelu).
 */
class HubExportTest {
    @TempDir
    static Path dir;
    static Path hub;
    static OnnxMl.ModelProto model;

    @BeforeAll
    static void copyTheFixture() throws IOException, URISyntaxException {
        Path fixture = Path.of(HubExportTest.class.getResource("/hub-export/vit-tiny-seed0").toURI());
        hub = dir.resolve("vit-tiny-seed0");
        Files.createDirectories(hub.resolve("onnx"));
        for (String f : List.of("config.json", "preprocessor_config.json", "onnx/model.onnx")) {
            Files.copy(fixture.resolve(f), hub.resolve(f));
        }
        model = OnnxMl.ModelProto.parseFrom(Files.readAllBytes(hub.resolve("onnx/model.onnx")));
    }

    private static Map<String, Integer> counts(OnnxMl.ModelProto m) {
        return GraphOptimizer.rewrite(m, EnumSet.allOf(GraphOptimizer.Kind.class)).counts();
    }

    @Test
    void fusesAsMuchAsOnDfdsOwnConversion() {
        // 5 LayerNorms written out (2 per layer + the final one) become nodes, 4 of them then SkipLayerNormalization
        // (all but the one after the position-embedding Add); the rest as on dfd's conversion
        assertEquals(Map.of("LayerNormalization", 5, "Attention", 2, "SkipLayerNormalization", 4, "BiasGelu", 2,
                "Gelu", 0), counts(model));
        OnnxMl.ModelProto fused = GraphOptimizer.rewrite(model, EnumSet.allOf(GraphOptimizer.Kind.class)).model();
        for (String gone : List.of("ReduceMean", "Pow", "Sqrt", "Softmax", "Erf", "Reshape")) {
            // the one Reshape left is the patch embedding's flatten
            assertEquals(gone.equals("Reshape") ? 2 : 0, count(fused, gone), gone);
        }
        // and so do the Shape nodes that computed the 4 Reshape targets of each layer (2 each)
        assertEquals(count(model, "Shape") - 16, count(fused, "Shape"));
    }

    @Test
    void eachFusionKeepsTheLogitsOnTheGoldenImages() throws IOException {
        if (!Golden.present()) {
            Golden.dir(); // skipped with the reason, or failed under CI=true
        }
        List<Path> images;
        try (var files = Files.list(Golden.dir().resolve("images"))) {
            images = files.sorted().toList();
        }
        List<float[]> plain = OptimizeGoldenTest.logits(hub, null, false, images);
        // the fixture is the golden model: dfd's own conversion of its safetensors gives the same logits
        Path own = dir.resolve("own");
        Converter.convert(Golden.model("vit-tiny-seed0"), own, WeightEncoding.FP32, false);
        assertTrue(maxDifference(plain, OptimizeGoldenTest.logits(own, null, false, images)) <= 1e-4,
                "the Hub export is not the golden model");
        Map<GraphOptimizer.Kind, Map<String, Integer>> want = Map.of(
                GraphOptimizer.Kind.LAYER_NORM, Map.of("LayerNormalization", 5),
                GraphOptimizer.Kind.ATTENTION, Map.of("Attention", 2),
                GraphOptimizer.Kind.SKIP_LAYER_NORM, Map.of("LayerNormalization", 5, "SkipLayerNormalization", 4),
                GraphOptimizer.Kind.GELU, Map.of("BiasGelu", 2, "Gelu", 0));
        for (GraphOptimizer.Kind kind : GraphOptimizer.Kind.values()) {
            String variant = "only-" + kind.name().toLowerCase(java.util.Locale.ROOT);
            GraphOptimizer.Result r = GraphOptimizer.optimize(hub, hub.resolve("onnx/model_" + variant + ".onnx"),
                    EnumSet.of(kind));
            assertEquals(want.get(kind), r.fused(), kind.name());
            double max = maxDifference(plain, OptimizeGoldenTest.logits(hub, variant, false, images));
            assertTrue(max <= 1e-4, variant + ": logits differ by " + max);
        }
        GraphOptimizer.Result all = GraphOptimizer.optimize(hub, null);
        assertEquals(13, all.total());
        double max = maxDifference(plain, OptimizeGoldenTest.logits(hub, GraphOptimizer.VARIANT, false, images));
        assertTrue(max <= 1e-4, "all fused: logits differ by " + max);
        System.out.printf("optimize hub-export vit-tiny-seed0 %s max diff %.1e%n", all.fused(), max);
    }

    @Test
    void weightsReadThroughIdentityAreConstants() {
        // torch's export writes a weight equal to another's (zero biases, unit gains of a fresh model: ViT-base from
        // dfd init) as an Identity of the one initializer it keeps; every bias and gain here read that way
        OnnxMl.GraphProto.Builder g = model.getGraph().toBuilder();
        for (int i = 0; i < g.getInitializerCount(); i++) {
            String name = g.getInitializer(i).getName();
            if (name.endsWith(".bias") || name.endsWith(".weight") && g.getInitializer(i).getDimsCount() == 1) {
                g.setInitializer(i, g.getInitializer(i).toBuilder().setName(name + ".kept"));
                g.addNode(0, NodeProto.newBuilder().setOpType("Identity").addInput(name + ".kept").addOutput(name));
            }
        }
        assertEquals(Map.of("LayerNormalization", 5, "Attention", 2, "SkipLayerNormalization", 4, "BiasGelu", 2,
                "Gelu", 0), counts(model.toBuilder().setGraph(g).build()));
    }

    @Test
    void layerNormWithEpsilonAfterTheSqrtIsNotFused() {
        // sqrt(var) + eps instead of sqrt(var + eps): another function (it differs where the variance is small)
        OnnxMl.GraphProto.Builder g = model.getGraph().toBuilder();
        for (int i = 0; i < g.getNodeCount(); i++) {
            NodeProto n = g.getNode(i);
            if (n.getOpType().equals("Sqrt") && n.getName().contains("layer.0/layernorm_before")) {
                NodeProto add = producer(g, n.getInput(0)); // Add(var, eps) -> Sqrt
                String var = add.getInput(0);
                g.setNode(i, n.toBuilder().setInput(0, var).setOutput(0, "sqrt_var").build());
                g.setNode(g.getNodeList().indexOf(add), add.toBuilder().setInput(0, "sqrt_var")
                        .setOutput(0, n.getOutput(0)).build());
            }
        }
        Map<String, Integer> c = counts(topological(model.toBuilder().setGraph(g).build()));
        assertEquals(4, c.get("LayerNormalization"));
        assertEquals(4, c.get("SkipLayerNormalization")); // the one missed is the first, never a SkipLayerNorm
        assertEquals(2, c.get("Attention"));
    }

    @Test
    void layerNormOverAnotherAxisIsNotFused() {
        // the variance's mean over axis 1 (the tokens): not a LayerNorm over the hidden axis
        OnnxMl.ModelProto m = GraphOptimizerTest.mapNodes(model, n -> n.getOpType().equals("ReduceMean")
                && n.getName().contains("layer.1/layernorm_after") && n.getOutput(0).contains("ReduceMean_1")
                ? GraphOptimizerTest.withAttribute(n, OnnxMl.AttributeProto.newBuilder().setName("axes")
                .setType(OnnxMl.AttributeProto.AttributeType.INTS).addInts(1).build()) : n);
        Map<String, Integer> c = counts(m);
        assertEquals(4, c.get("LayerNormalization"));
        assertEquals(3, c.get("SkipLayerNormalization"));
    }

    @Test
    void headSplitReadingAnotherDimensionIsNotFused() {
        // the key's view reads dimension 1 of x at place 0: not [0, 0, N, h] (the sizes are swapped at run time)
        OnnxMl.ModelProto m = GraphOptimizerTest.mapNodes(model, n -> n.getOpType().equals("Gather")
                && n.getOutput(0).equals("/vit/encoder/layer.0/attention/attention/Gather_output_0")
                ? n.toBuilder().setInput(1, "/vit/encoder/layer.0/attention/attention/Constant_1_output_0").build()
                : n);
        Map<String, Integer> c = counts(m);
        assertEquals(1, c.get("Attention"));
        assertEquals(5, c.get("LayerNormalization"));
        // nor is any residual after it: with that Reshape's shape unproven, so is every shape it flows into
        assertEquals(0, c.get("SkipLayerNormalization"));
    }

    private static double maxDifference(List<float[]> a, List<float[]> b) {
        double max = 0;
        for (int k = 0; k < a.size(); k++) {
            assertEquals(a.get(k).length, b.get(k).length);
            for (int j = 0; j < a.get(k).length; j++) {
                max = Math.max(max, Math.abs(a.get(k)[j] - b.get(k)[j]));
            }
        }
        return max;
    }

    private static int count(OnnxMl.ModelProto m, String op) {
        return (int) m.getGraph().getNodeList().stream().filter(n -> n.getOpType().equals(op)).count();
    }

    private static NodeProto producer(OnnxMl.GraphProto.Builder g, String value) {
        return g.getNodeList().stream().filter(n -> n.getOutputList().contains(value)).findFirst().orElseThrow();
    }

    /** The graph with its nodes in an order ONNX Runtime accepts after an edit that swapped two of them. */
    private static OnnxMl.ModelProto topological(OnnxMl.ModelProto m) {
        return new OnnxGraph(m).toModel(Map.of());
    }
}
