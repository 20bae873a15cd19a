package dev.dfd.family;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.dfd.DfdException;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;

/** Small readers (and one writer) for config.json fields the families share; errors name the file and the field. */
public final class Configs {
    private Configs() {
    }

    /**
     * Writes {@code id2label} and {@code label2id} for these labels (in id order) and transformers' single-label
     * {@code problem_type}, as transformers saves a classifier's config.
     */
    public static void putLabels(ObjectNode config, List<String> labels) {
        ObjectNode id2label = config.putObject("id2label");
        ObjectNode label2id = config.putObject("label2id");
        for (int i = 0; i < labels.size(); i++) {
            id2label.put(Integer.toString(i), labels.get(i));
            label2id.put(labels.get(i), i);
        }
        config.put("problem_type", "single_label_classification");
    }

    /** A list of positive integers, or {@code fallback} when absent. */
    public static List<Integer> ints(ObjectNode o, String field, List<Integer> fallback, Path file) {
        JsonNode n = o.get(field);
        if (n == null || n.isNull()) {
            return fallback;
        }
        List<Integer> out = new ArrayList<>();
        if (n.isArray() && !n.isEmpty()) {
            for (JsonNode v : n) {
                if (!v.isIntegralNumber() || v.asInt() <= 0) {
                    out = null;
                    break;
                }
                out.add(v.asInt());
            }
            if (out != null) {
                return out;
            }
        }
        throw new DfdException(file + ": \"" + field + "\" must be a list of positive integers, found " + n);
    }

    /** An int or [height, width] (image_size, patch_size), or {@code fallback} square when absent. */
    public static int[] pair(ObjectNode o, String field, int fallback, Path file) {
        JsonNode n = o.get(field);
        if (n == null || n.isNull()) {
            return new int[]{fallback, fallback};
        }
        if (n.isIntegralNumber() && n.asInt() > 0) {
            return new int[]{n.asInt(), n.asInt()};
        }
        if (n.isArray() && n.size() == 2 && n.get(0).asInt() > 0 && n.get(1).asInt() > 0) {
            return new int[]{n.get(0).asInt(), n.get(1).asInt()};
        }
        throw new DfdException(file + ": \"" + field + "\" must be a positive int or [height, width], found " + n);
    }

    /** A nested object (CLIP's and SigLIP's vision_config), empty when absent. */
    public static ObjectNode object(ObjectNode o, String field, Path file) {
        JsonNode n = o.get(field);
        if (n == null || n.isNull()) {
            return dev.dfd.internal.Json.MAPPER.createObjectNode();
        }
        if (!n.isObject()) {
            throw new DfdException(file + ": \"" + field + "\" must be an object, found " + n);
        }
        return (ObjectNode) n;
    }

    /** hidden_act values the ViT-like exporters implement. */
    public static final Set<String> TRANSFORMER_ACTIVATIONS = Set.of("gelu", "gelu_new", "gelu_pytorch_tanh",
            "quick_gelu", "relu");

    /**
     * The checks every patch-embedding transformer config shares: heads divide the hidden size, the patch divides the
     * image, the activation is one of {@code activations}. {@code section} prefixes the field names ("" or
     * "vision_config."). Throws IllegalArgumentException, which the readers turn into one line naming the file.
     */
    public static void checkPatchTransformer(String section, int hidden, int heads, int imageHeight, int imageWidth,
                                             int patchSize, String hiddenAct, Set<String> activations) {
        if (hidden % heads != 0) {
            throw new IllegalArgumentException(section + "hidden_size " + hidden
                    + " is not a multiple of num_attention_heads " + heads);
        }
        if (imageHeight % patchSize != 0 || imageWidth % patchSize != 0) {
            throw new IllegalArgumentException(section + "image_size " + imageHeight + "x" + imageWidth
                    + " is not a multiple of patch_size " + patchSize);
        }
        if (!activations.contains(hiddenAct)) {
            throw new IllegalArgumentException(section + "hidden_act " + hiddenAct + " is not supported "
                    + new java.util.TreeSet<>(activations));
        }
    }
}
