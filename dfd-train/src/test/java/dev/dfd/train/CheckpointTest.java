package dev.dfd.train;

import ai.djl.ndarray.NDArray;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.dfd.family.resnet.ResNetConfig;
import dev.dfd.internal.Json;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** A checkpoint restores exactly what was saved, and a kill at any point of a save leaves one that loads. */
class CheckpointTest {
    @TempDir
    Path tmp;

    private static final ResNetConfig SMALL = ResNetConfig.basic(3, 4, List.of(4, 8), List.of(1, 1), false,
            List.of("Real", "Fake"));

    private static Checkpoint progress() {
        Checkpoint c = new Checkpoint();
        c.epoch = 3;
        c.stepInEpoch = 17;
        c.globalStep = 1234;
        c.bestAuc = 0.8125;
        c.bestEpoch = 2;
        c.sinceBest = 1;
        c.skippedSteps = 5;
        ObjectNode row = Json.MAPPER.createObjectNode().put("epoch", 1).put("val_auc", 0.75);
        c.history.add(row);
        return c;
    }

    /** Non-zero moments that differ per element, and a step count. */
    private static void fill(AdamW adam, float offset) {
        for (Map<String, NDArray> moments : List.of(adam.firstMoments(), adam.secondMoments())) {
            for (NDArray v : moments.values()) {
                float[] x = new float[(int) v.size()];
                for (int i = 0; i < x.length; i++) {
                    x[i] = offset + i * 0.001f;
                }
                v.set(x);
            }
            offset += 1;
        }
        adam.step = 99;
    }

    @Test
    void restoresWeightsMomentsAndProgress() {
        Path dir = tmp.resolve("checkpoint");
        try (ResNet saved = new ResNet(SMALL, 1); ResNet loaded = new ResNet(SMALL, 2)) {
            saved.setBatchesTracked(77);
            AdamW adam = new AdamW(saved.weights().parameters());
            fill(adam, 0.5f);
            progress().save(dir, saved, adam);

            String stem = "resnet.embedder.embedder.convolution.weight";
            assertNotEquals(saved.weights().get(stem).toFloatArray()[0], loaded.weights().get(stem).toFloatArray()[0],
                    "different seeds start different");
            Checkpoint c = Checkpoint.load(dir, loaded);
            for (var e : saved.weights().all().entrySet()) {
                assertArrayEquals(e.getValue().toFloatArray(), loaded.weights().get(e.getKey()).toFloatArray(), e.getKey());
            }
            assertEquals(77, loaded.batchesTracked());
            AdamW restored = new AdamW(loaded.weights().parameters());
            c.restoreOptimizer(restored);
            assertEquals(99, restored.step);
            for (var e : adam.firstMoments().entrySet()) {
                assertArrayEquals(e.getValue().toFloatArray(), restored.firstMoments().get(e.getKey()).toFloatArray());
                assertArrayEquals(adam.secondMoments().get(e.getKey()).toFloatArray(),
                        restored.secondMoments().get(e.getKey()).toFloatArray());
            }
            Checkpoint want = progress();
            assertEquals(List.of(want.epoch, want.stepInEpoch, want.globalStep, want.bestAuc, want.bestEpoch,
                    want.sinceBest, want.skippedSteps), List.of(c.epoch, c.stepInEpoch, c.globalStep, c.bestAuc,
                    c.bestEpoch, c.sinceBest, c.skippedSteps));
            assertEquals(want.history, c.history);
        }
    }

    @Test
    void noCheckpointMeansAFreshRun() {
        try (ResNet model = new ResNet(SMALL, 1)) {
            assertNull(Checkpoint.load(tmp.resolve("checkpoint"), model));
            Checkpoint fresh = new Checkpoint();
            AdamW adam = new AdamW(model.weights().parameters());
            fresh.restoreOptimizer(adam); // nothing to restore
            assertEquals(0, adam.step);
        }
    }

    /** Killed between the two renames of a save: only DIR.old holds the previous checkpoint, and it loads. */
    @Test
    void aKillBetweenTheRenamesLeavesTheOldCheckpoint() throws IOException {
        Path dir = tmp.resolve("checkpoint");
        try (ResNet model = new ResNet(SMALL, 1); ResNet other = new ResNet(SMALL, 3)) {
            AdamW adam = new AdamW(model.weights().parameters());
            progress().save(dir, model, adam);
            Files.move(dir, dir.resolveSibling("checkpoint.old"));
            Files.createDirectories(dir.resolveSibling("checkpoint.tmp")); // the half-written new one
            Files.writeString(dir.resolveSibling("checkpoint.tmp").resolve("model.safetensors"), "partial");
            Checkpoint c = Checkpoint.load(dir, other);
            assertEquals(1234, c.globalStep);
            assertArrayEquals(model.weights().get("classifier.1.weight").toFloatArray(),
                    other.weights().get("classifier.1.weight").toFloatArray());

            // the next save replaces the leftovers with one whole checkpoint
            Checkpoint next = progress();
            next.globalStep = 2000;
            next.save(dir, other, adam);
            assertFalse(Files.exists(dir.resolveSibling("checkpoint.tmp")));
            assertFalse(Files.exists(dir.resolveSibling("checkpoint.old")));
            assertEquals(2000, Json.readObject(dir.resolve("trainer_state.json")).path("global_step").asLong());
        }
    }

    @Test
    void metricsLogWritesTheCsvHeaderOnceAndOneLinePerEpoch() throws IOException {
        for (int epoch = 1; epoch <= 2; epoch++) {
            MetricsLog.append(tmp, Json.MAPPER.createObjectNode().put("epoch", epoch).put("val_auc", 0.5 + epoch / 10.0));
        }
        assertEquals(List.of("epoch,val_auc", "1,0.6", "2,0.7"), Files.readAllLines(tmp.resolve("metrics.csv")));
        List<String> jsonl = Files.readAllLines(tmp.resolve("metrics.jsonl"));
        assertEquals(2, jsonl.size());
        assertEquals(0.7, Json.MAPPER.readTree(jsonl.get(1)).path("val_auc").asDouble(), 1e-12);
        assertTrue(jsonl.get(0).startsWith("{"));
    }
}
