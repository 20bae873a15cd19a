package dev.dfd.family.vit;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.dfd.DfdException;
import dev.dfd.internal.Json;
import dev.dfd.safetensors.SafetensorsWriter.FloatTensor;
import dev.dfd.safetensors.SafetensorsWriter;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;

/**
 * A randomly initialised {@code ViTForImageClassification} in Hugging Face layout, initialised as transformers'
 * {@code ViTPreTrainedModel._init_weights}: Linear and Conv weights, the CLS token and position embeddings from a
 * normal distribution with std {@code initializer_range} truncated to [-2, 2] (torch's trunc_normal_ defaults),
 * biases 0, LayerNorm weight 1 and bias 0.
 */
public final class VitInit {
    private VitInit() {
    }

    /** The weights, by transformers' parameter names. */
    public static Map<String, FloatTensor> weights(VitConfig c, long seed) {
        Random random = new Random(seed);
        Map<String, FloatTensor> w = new LinkedHashMap<>();
        int h = c.hidden();
        String e = "vit.embeddings.";
        w.put(e + "cls_token", normal(random, c.initializerRange(), 1, 1, h));
        w.put(e + "position_embeddings", normal(random, c.initializerRange(), 1, c.sequence(), h));
        w.put(e + "patch_embeddings.projection.weight", normal(random, c.initializerRange(), h, c.channels(),
                c.patchSize(), c.patchSize()));
        w.put(e + "patch_embeddings.projection.bias", zeros(h));
        for (int i = 0; i < c.layers(); i++) {
            String l = "vit.encoder.layer." + i + ".";
            for (String name : List.of("attention.attention.query", "attention.attention.key",
                    "attention.attention.value", "attention.output.dense")) {
                w.put(l + name + ".weight", normal(random, c.initializerRange(), h, h));
                if (c.qkvBias() || name.equals("attention.output.dense")) {
                    w.put(l + name + ".bias", zeros(h));
                }
            }
            w.put(l + "intermediate.dense.weight", normal(random, c.initializerRange(), c.intermediate(), h));
            w.put(l + "intermediate.dense.bias", zeros(c.intermediate()));
            w.put(l + "output.dense.weight", normal(random, c.initializerRange(), h, c.intermediate()));
            w.put(l + "output.dense.bias", zeros(h));
            for (String ln : List.of("layernorm_before", "layernorm_after")) {
                w.put(l + ln + ".weight", ones(h));
                w.put(l + ln + ".bias", zeros(h));
            }
        }
        w.put("vit.layernorm.weight", ones(h));
        w.put("vit.layernorm.bias", zeros(h));
        w.put("classifier.weight", normal(random, c.initializerRange(), c.labels().size(), h));
        w.put("classifier.bias", zeros(c.labels().size()));
        return w;
    }

    private static FloatTensor normal(Random random, double std, long... shape) {
        long n = 1;
        for (long d : shape) {
            n *= d;
        }
        float[] v = new float[Math.toIntExact(n)];
        for (int i = 0; i < v.length; i++) {
            double x;
            do {
                x = random.nextGaussian() * std;
            } while (x < -2.0 || x > 2.0);
            v[i] = (float) x;
        }
        return new FloatTensor(v, shape);
    }

    private static FloatTensor zeros(long n) {
        return new FloatTensor(new float[(int) n], n);
    }

    private static FloatTensor ones(long n) {
        float[] v = new float[(int) n];
        java.util.Arrays.fill(v, 1f);
        return new FloatTensor(v, n);
    }

    /**
     * The full config.json for a (partial) user config: transformers' ViTConfig defaults filled in, id2label from
     * the user config or Real/Fake.
     */
    public static ObjectNode fullConfig(ObjectNode user) {
        ObjectNode c = Json.MAPPER.createObjectNode();
        c.putArray("architectures").add("ViTForImageClassification");
        c.put("model_type", "vit");
        c.put("hidden_size", 768);
        c.put("num_hidden_layers", 12);
        c.put("num_attention_heads", 12);
        c.put("intermediate_size", 3072);
        c.put("hidden_act", "gelu");
        c.put("hidden_dropout_prob", 0.0);
        c.put("attention_probs_dropout_prob", 0.0);
        c.put("initializer_range", 0.02);
        c.put("layer_norm_eps", 1e-12);
        c.put("image_size", 224);
        c.put("patch_size", 16);
        c.put("num_channels", 3);
        c.put("qkv_bias", true);
        c.put("encoder_stride", 16);
        c.setAll(user);
        c.putArray("architectures").add("ViTForImageClassification");
        c.put("model_type", "vit");
        if (!user.has("id2label")) {
            ObjectNode id2label = c.putObject("id2label");
            id2label.put("0", "Real");
            id2label.put("1", "Fake");
        }
        ObjectNode label2id = c.putObject("label2id");
        c.get("id2label").fields().forEachRemaining(f -> label2id.put(f.getValue().asText(), Integer.parseInt(f.getKey())));
        c.put("torch_dtype", "float32");
        return c;
    }

    /** ViTImageProcessor's defaults at this size, as save_pretrained writes them. */
    public static String preprocessorJson(int height, int width) {
        ObjectNode p = Json.MAPPER.createObjectNode();
        p.put("do_normalize", true);
        p.put("do_rescale", true);
        p.put("do_resize", true);
        p.putArray("image_mean").add(0.5).add(0.5).add(0.5);
        p.put("image_processor_type", "ViTImageProcessor");
        p.putArray("image_std").add(0.5).add(0.5).add(0.5);
        p.put("resample", 2);
        p.put("rescale_factor", 1.0 / 255.0);
        p.putObject("size").put("height", height).put("width", width);
        try {
            return Json.MAPPER.writerWithDefaultPrettyPrinter().writeValueAsString(p);
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    /** Writes config.json, preprocessor_config.json and model.safetensors for a new random model. */
    public static VitConfig writeModelDir(ObjectNode userConfig, Path out, long seed) {
        ObjectNode config = fullConfig(userConfig);
        try {
            Files.createDirectories(out);
            Path configFile = out.resolve("config.json");
            Files.writeString(configFile, Json.MAPPER.writerWithDefaultPrettyPrinter().writeValueAsString(config));
            VitConfig c = VitConfig.read(configFile);
            Files.writeString(out.resolve("preprocessor_config.json"), preprocessorJson(c.imageHeight(), c.imageWidth()));
            SafetensorsWriter.write(out.resolve("model.safetensors"), weights(c, seed), Map.of("format", "pt"));
            return c;
        } catch (IOException e) {
            throw new DfdException(out + ": cannot write (" + e.getMessage() + ")");
        }
    }
}
