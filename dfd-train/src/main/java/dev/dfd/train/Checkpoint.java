package dev.dfd.train;

import ai.djl.ndarray.NDArray;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.dfd.DfdException;
import dev.dfd.internal.Json;
import dev.dfd.safetensors.SafetensorsFile;
import dev.dfd.safetensors.SafetensorsWriter;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The progress of a training run and its checkpoint directory: {@code model.safetensors} (weights and buffers),
 * {@code optimizer.safetensors} (AdamW's moments, "m." and "v." + parameter name) and {@code trainer_state.json}
 * (epoch, step, best validation AUC, history). A save writes a fresh {@code DIR.tmp}, then swaps it in with two
 * atomic renames through {@code DIR.old}, so a kill at any moment leaves a whole checkpoint to load.
 */
final class Checkpoint {
    int epoch;
    int stepInEpoch;
    long globalStep;
    double bestAuc;
    int bestEpoch;
    int sinceBest;
    long adamStep;
    long skippedSteps;
    List<ObjectNode> history = new ArrayList<>();

    /** Writes weights, optimiser moments and this state to a fresh directory, then swaps it in. */
    void save(Path dir, TrainableModel model, AdamW adam) {
        Path tmp = dir.resolveSibling(dir.getFileName() + ".tmp");
        try {
            deleteTree(tmp);
            Files.createDirectories(tmp);
            ModelExport.writeWeights(model, tmp.resolve("model.safetensors"));
            Map<String, SafetensorsWriter.FloatTensor> moments = new LinkedHashMap<>();
            adam.firstMoments().forEach((k, v) -> moments.put("m." + k, tensor(v)));
            adam.secondMoments().forEach((k, v) -> moments.put("v." + k, tensor(v)));
            SafetensorsWriter.write(tmp.resolve("optimizer.safetensors"), moments, Map.of());
            adamStep = adam.step;
            ObjectNode s = Json.MAPPER.createObjectNode();
            s.put("epoch", epoch).put("step_in_epoch", stepInEpoch).put("global_step", globalStep)
                    .put("best_val_auc", bestAuc).put("best_epoch", bestEpoch).put("epochs_since_best", sinceBest)
                    .put("adam_step", adamStep).put("skipped_steps", skippedSteps);
            if (model instanceof ResNet r) {
                s.put("num_batches_tracked", r.batchesTracked());
            }
            ArrayNode h = s.putArray("history");
            history.forEach(h::add);
            Files.writeString(tmp.resolve("trainer_state.json"),
                    Json.MAPPER.writerWithDefaultPrettyPrinter().writeValueAsString(s));
            Path old = dir.resolveSibling(dir.getFileName() + ".old");
            deleteTree(old);
            if (Files.exists(dir)) {
                Files.move(dir, old, StandardCopyOption.ATOMIC_MOVE);
            }
            Files.move(tmp, dir, StandardCopyOption.ATOMIC_MOVE);
            deleteTree(old);
        } catch (IOException e) {
            throw new DfdException(dir + ": cannot write checkpoint (" + e.getMessage() + ")");
        }
    }

    private static SafetensorsWriter.FloatTensor tensor(NDArray a) {
        return new SafetensorsWriter.FloatTensor(a.toFloatArray(), a.getShape().getShape());
    }

    /** Loads a checkpoint into the model and returns its state, or null when there is none. */
    static Checkpoint load(Path dir, TrainableModel model) {
        Path stateFile = dir.resolve("trainer_state.json");
        if (!Files.isRegularFile(stateFile)) {
            Path old = dir.resolveSibling(dir.getFileName() + ".old");
            if (Files.isRegularFile(old.resolve("trainer_state.json"))) {
                dir = old; // killed between the two renames
                stateFile = dir.resolve("trainer_state.json");
            } else {
                return null;
            }
        }
        ObjectNode s = Json.readObject(stateFile);
        Checkpoint st = new Checkpoint();
        st.epoch = s.path("epoch").asInt();
        st.stepInEpoch = s.path("step_in_epoch").asInt();
        st.globalStep = s.path("global_step").asLong();
        st.bestAuc = s.path("best_val_auc").asDouble();
        st.bestEpoch = s.path("best_epoch").asInt();
        st.sinceBest = s.path("epochs_since_best").asInt();
        st.adamStep = s.path("adam_step").asLong();
        st.skippedSteps = s.path("skipped_steps").asLong();
        for (JsonNode h : s.path("history")) {
            st.history.add((ObjectNode) h);
        }
        try (SafetensorsFile f = SafetensorsFile.open(dir.resolve("model.safetensors"))) {
            List<String> missing = model.weights().load(f, Set.of());
            if (!missing.isEmpty()) {
                throw new DfdException(dir + ": checkpoint lacks " + missing);
            }
        }
        if (model instanceof ResNet r) {
            r.setBatchesTracked(s.path("num_batches_tracked").asLong());
        }
        st.checkpointDir = dir;
        return st;
    }

    private Path checkpointDir;

    /** Sets the optimiser's moments and step from the checkpoint this was loaded from (nothing for a fresh run). */
    void restoreOptimizer(AdamW adam) {
        if (checkpointDir == null) {
            return;
        }
        try (SafetensorsFile f = SafetensorsFile.open(checkpointDir.resolve("optimizer.safetensors"))) {
            adam.firstMoments().forEach((k, v) -> v.set(f.floats("m." + k)));
            adam.secondMoments().forEach((k, v) -> v.set(f.floats("v." + k)));
        }
        adam.step = adamStep;
    }

    static void deleteTree(Path p) throws IOException {
        if (!Files.exists(p)) {
            return;
        }
        try (var walk = Files.walk(p)) {
            for (Path f : walk.sorted(java.util.Comparator.reverseOrder()).toList()) {
                Files.delete(f);
            }
        }
    }
}
