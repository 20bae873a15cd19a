package dev.dfd.internal.model;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.dfd.DfdException;
import dev.dfd.internal.Json;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * The parts of a Hugging Face {@code config.json} that decide how logits become labels.
 *
 * @param modelType     {@code model_type}, e.g. "vit" (null when absent)
 * @param architectures {@code architectures}, e.g. ["ViTForImageClassification"]
 * @param labels        {@code id2label} in id order; {@code LABEL_i} when absent, as transformers names them
 * @param problemType   {@code problem_type} or null
 * @param raw           the whole file, for converters and model descriptions
 */
public record ModelConfig(String modelType, List<String> architectures, List<String> labels, String problemType,
                          ObjectNode raw) {
    public static final String FILE_NAME = "config.json";
    private static final int MAX_LABELS = 100_000;

    public ModelConfig {
        architectures = List.copyOf(architectures);
        labels = List.copyOf(labels);
        if (labels.isEmpty()) {
            throw new dev.dfd.DfdException("a classifier needs at least one label");
        }
    }

    public int numLabels() {
        return labels.size();
    }

    public static ModelConfig read(Path file) {
        return parse(Json.readObject(file), file);
    }

    static ModelConfig parse(ObjectNode o, Path file) {
        String modelType = Json.string(o, "model_type", null, file);
        List<String> architectures = new ArrayList<>();
        JsonNode arch = o.get("architectures");
        if (arch != null && arch.isArray()) {
            arch.forEach(a -> architectures.add(a.asText()));
        }
        List<String> labels = new ArrayList<>();
        JsonNode id2label = o.get("id2label");
        if (id2label != null && !id2label.isNull()) {
            if (!id2label.isObject() || id2label.size() == 0) {
                throw new DfdException(file + ": \"id2label\" must be a non-empty object {\"0\": \"label\", ...}");
            }
            Map<Integer, String> byId = new TreeMap<>();
            for (Iterator<Map.Entry<String, JsonNode>> it = id2label.fields(); it.hasNext(); ) {
                Map.Entry<String, JsonNode> e = it.next();
                int id;
                try {
                    id = Integer.parseInt(e.getKey().trim());
                } catch (NumberFormatException ex) {
                    throw new DfdException(file + ": id2label key \"" + Json.oneLine(e.getKey())
                            + "\" is not an integer");
                }
                if (!e.getValue().isTextual()) {
                    throw new DfdException(file + ": id2label[" + id + "] must be a string, found " + e.getValue());
                }
                byId.put(id, e.getValue().textValue());
            }
            int expected = 0;
            for (int id : byId.keySet()) {
                if (id != expected++) {
                    throw new DfdException(file + ": id2label ids must be 0.." + (byId.size() - 1) + ", found "
                            + byId.keySet());
                }
            }
            labels.addAll(byId.values());
        } else {
            int n = (int) Json.number(o, "num_labels", 2, file);
            if (n < 1 || n > MAX_LABELS) {
                throw new DfdException(file + ": num_labels must be 1.." + MAX_LABELS + ", found " + n);
            }
            for (int i = 0; i < n; i++) {
                labels.add("LABEL_" + i);
            }
        }
        String problemType = Json.string(o, "problem_type", null, file);
        return new ModelConfig(modelType, architectures, labels, problemType, o);
    }
}
