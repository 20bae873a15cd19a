package dev.dfd.train;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Activation;
import ai.djl.nn.convolutional.Conv2d;
import ai.djl.nn.core.Linear;
import ai.djl.nn.norm.LayerNorm;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.dfd.family.vit.VitConfig;

import java.util.List;
import java.util.Random;

/**
 * transformers' {@code ViTForImageClassification} as functional DJL ops over weights with transformers' names (so
 * {@code --init} loads a Hub checkpoint and the saved model loads in transformers), computing the same forward as
 * dfd-convert's ONNX graph. Initialised as transformers does (truncated normal, std initializer_range).
 */
final class Vit implements TrainableModel {
    private final VitModelConfig config;
    private final VitConfig c;
    private final NDManager manager = NativeSetup.newManager();
    private final Weights w = new Weights(manager);

    Vit(VitModelConfig config, long seed) {
        this.config = config;
        this.c = config.arch();
        Random r = new Random(seed);
        double std = c.initializerRange();
        int h = c.hidden();
        String e = "vit.embeddings.";
        w.param(e + "cls_token", arr(Init.truncatedNormal(r, h, std), 1, 1, h));
        w.param(e + "position_embeddings", arr(Init.truncatedNormal(r, c.sequence() * h, std), 1, c.sequence(), h));
        w.param(e + "patch_embeddings.projection.weight", arr(Init.truncatedNormal(r, h * 3 * c.patchSize()
                * c.patchSize(), std), h, 3, c.patchSize(), c.patchSize()));
        w.param(e + "patch_embeddings.projection.bias", arr(new float[h], h));
        for (int i = 0; i < c.layers(); i++) {
            String l = "vit.encoder.layer." + i + ".";
            for (String name : List.of("attention.attention.query", "attention.attention.key", "attention.attention.value",
                    "attention.output.dense")) {
                w.param(l + name + ".weight", arr(Init.truncatedNormal(r, h * h, std), h, h));
                if (c.qkvBias() || name.endsWith("dense")) {
                    w.param(l + name + ".bias", arr(new float[h], h));
                }
            }
            w.param(l + "intermediate.dense.weight", arr(Init.truncatedNormal(r, c.intermediate() * h, std),
                    c.intermediate(), h));
            w.param(l + "intermediate.dense.bias", arr(new float[c.intermediate()], c.intermediate()));
            w.param(l + "output.dense.weight", arr(Init.truncatedNormal(r, h * c.intermediate(), std), h, c.intermediate()));
            w.param(l + "output.dense.bias", arr(new float[h], h));
            for (String ln : List.of("layernorm_before", "layernorm_after")) {
                w.param(l + ln + ".weight", arr(Init.constant(h, 1f), h));
                w.param(l + ln + ".bias", arr(new float[h], h));
            }
        }
        w.param("vit.layernorm.weight", arr(Init.constant(h, 1f), h));
        w.param("vit.layernorm.bias", arr(new float[h], h));
        int k = c.labels().size();
        w.param("classifier.weight", arr(Init.truncatedNormal(r, k * h, std), k, h));
        w.param("classifier.bias", arr(new float[k], k));
    }

    private NDArray arr(float[] v, long... shape) {
        return manager.create(v, new Shape(shape));
    }

    @Override
    public String modelType() {
        return "vit";
    }

    @Override
    public Weights weights() {
        return w;
    }

    @Override
    public NDArray forward(NDArray x, boolean training) {
        int h = c.hidden();
        long batch = x.getShape().get(0);
        String e = "vit.embeddings.";
        NDArray p = Conv2d.conv2d(x, w.get(e + "patch_embeddings.projection.weight"),
                w.get(e + "patch_embeddings.projection.bias"), new Shape(c.patchSize(), c.patchSize()),
                new Shape(0, 0), new Shape(1, 1), 1).singletonOrThrow(); // (B, h, H/p, W/p)
        p = p.reshape(batch, h, -1).transpose(0, 2, 1); // (B, N, h)
        NDArray cls = w.get(e + "cls_token").broadcast(new Shape(batch, 1, h));
        NDArray t = NDArrays.concat(new ai.djl.ndarray.NDList(cls, p), 1).add(w.get(e + "position_embeddings"));
        int heads = c.heads();
        int d = c.headSize();
        float scale = (float) Math.sqrt(d);
        long s = t.getShape().get(1);
        for (int i = 0; i < c.layers(); i++) {
            String l = "vit.encoder.layer." + i + ".";
            NDArray a = norm(t, l + "layernorm_before");
            NDArray q = split(linear(a, l + "attention.attention.query"), batch, s, heads, d);
            NDArray k = split(linear(a, l + "attention.attention.key"), batch, s, heads, d);
            NDArray v = split(linear(a, l + "attention.attention.value"), batch, s, heads, d);
            NDArray probs = q.matMul(k.transpose(0, 1, 3, 2)).div(scale).softmax(-1); // (B, heads, S, S)
            NDArray ctx = probs.matMul(v).transpose(0, 2, 1, 3).reshape(batch, s, h);
            t = t.add(linear(ctx, l + "attention.output.dense"));
            NDArray m = linear(norm(t, l + "layernorm_after"), l + "intermediate.dense");
            m = gelu(m);
            t = t.add(linear(m, l + "output.dense"));
        }
        NDArray pooled = norm(t, "vit.layernorm").get(new NDIndex(":, 0, :")); // (B, h)
        return linear(pooled, "classifier");
    }

    private NDArray gelu(NDArray m) {
        return switch (c.hiddenAct()) {
            case "relu" -> Activation.relu(m);
            case "gelu" -> m.mul(m.div((float) Math.sqrt(2)).erf().add(1f)).mul(0.5f);
            default -> m.mul(m.add(m.pow(3).mul(0.044715f)).mul((float) Math.sqrt(2 / Math.PI)).tanh().add(1f)).mul(0.5f);
        };
    }

    private static NDArray split(NDArray x, long batch, long s, int heads, int d) {
        return x.reshape(batch, s, heads, d).transpose(0, 2, 1, 3);
    }

    private NDArray linear(NDArray x, String name) {
        NDArray bias = w.all().get(name + ".bias");
        return Linear.linear(x, w.get(name + ".weight"), bias).singletonOrThrow();
    }

    private NDArray norm(NDArray x, String name) {
        return LayerNorm.layerNorm(x, new Shape(c.hidden()), w.get(name + ".weight"), w.get(name + ".bias"),
                (float) c.layerNormEps()).singletonOrThrow();
    }

    @Override
    public ObjectNode configJson() {
        return config.json();
    }

    @Override
    public List<String> labels() {
        return c.labels();
    }

    @Override
    public boolean decays(String name) {
        return name.endsWith(".weight") && !name.contains("layernorm");
    }

    @Override
    public List<String> head() {
        return List.of("classifier.weight", "classifier.bias");
    }

    @Override
    public void close() {
        manager.close();
    }
}
