package dev.dfd.internal.model;

import dev.dfd.DfdException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.BiFunction;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The graph cache's decisions, with a stand-in rewriter that counts its calls (the real one is in dfd-convert). */
class OptimizedGraphCacheTest {
    static final Path TINY = Path.of(System.getProperty("dfd.fixtures.dir", "src/test/resources/fixtures"))
            .resolve("tiny-cnn");

    @TempDir
    Path tmp;

    /** Copies the model's graph (a stand-in for a rewrite) and reports one fusion. */
    static final class Counting implements GraphRewriter {
        final AtomicInteger calls = new AtomicInteger();
        final BiFunction<ModelFiles, Path, Map<String, Integer>> body;

        Counting(BiFunction<ModelFiles, Path, Map<String, Integer>> body) {
            this.body = body;
        }

        static Counting copying() {
            return new Counting((files, out) -> {
                try {
                    Files.copy(files.onnx(), out);
                } catch (IOException e) {
                    throw new DfdException(e.getMessage());
                }
                return Map.of("Attention", 2, "BiasGelu", 0);
            });
        }

        @Override
        public Map<String, Integer> rewrite(ModelFiles files, Path output) {
            calls.incrementAndGet();
            return body.apply(files, output);
        }

        @Override
        public String name() {
            return "counting-1";
        }
    }

    private ModelFiles model() throws IOException {
        Path dir = tmp.resolve("model");
        Files.createDirectories(dir.resolve("onnx"));
        for (String f : List.of("config.json", "preprocessor_config.json", "onnx/model.onnx")) {
            Files.copy(TINY.resolve(f), dir.resolve(f));
        }
        return ModelFiles.locate(dir, null);
    }

    @Test
    void rewritesOnceThenOpensTheCachedGraph() throws IOException {
        ModelFiles files = model();
        Counting rewriter = Counting.copying();
        OptimizedGraphCache cache = new OptimizedGraphCache(tmp.resolve("cache"), rewriter);

        OptimizedGraphCache.Outcome first = cache.graphFor(files);
        assertEquals(OptimizedGraphCache.Status.OPTIMIZED, first.status());
        assertTrue(first.created());
        assertTrue(first.graph().startsWith(tmp.resolve("cache").resolve("optimized")), first.graph().toString());
        assertArrayEquals(Files.readAllBytes(files.onnx()), Files.readAllBytes(first.graph()));
        assertEquals(Map.of("Attention", 2, "BiasGelu", 0), first.fused());

        OptimizedGraphCache.Outcome second = new OptimizedGraphCache(tmp.resolve("cache"), rewriter).graphFor(files);
        assertEquals(first.graph(), second.graph());
        assertFalse(second.created());
        assertEquals(first.fused(), second.fused());
        assertEquals(1, rewriter.calls.get(), "the second load must not rewrite");
        try (var entries = Files.list(tmp.resolve("cache").resolve("optimized"))) {
            assertEquals(1, entries.count(), "no temporary folder left behind");
        }
    }

    @Test
    void aChangedModelIsRewrittenAgainAndTheKeyIsTheContentNotThePath() throws IOException {
        ModelFiles files = model();
        Counting rewriter = Counting.copying();
        OptimizedGraphCache cache = new OptimizedGraphCache(tmp.resolve("cache"), rewriter);
        Path before = cache.graphFor(files).graph();

        // the same bytes elsewhere share the entry
        Path copy = tmp.resolve("copy");
        Files.createDirectories(copy.resolve("onnx"));
        for (String f : List.of("config.json", "preprocessor_config.json", "onnx/model.onnx")) {
            Files.copy(files.dir().resolve(f), copy.resolve(f));
        }
        assertEquals(before, cache.graphFor(ModelFiles.locate(copy, null)).graph());
        assertEquals(1, rewriter.calls.get());

        Files.write(files.onnx(), new byte[]{0}, StandardOpenOption.APPEND);
        Path after = cache.graphFor(files).graph();
        assertNotEquals(before, after);
        assertEquals(2, rewriter.calls.get());
    }

    @Test
    void theWeightsHashIsIndexedByPathSizeAndTimeAndFollowsAChange() throws IOException {
        ModelFiles files = model();
        OptimizedGraphCache cache = new OptimizedGraphCache(tmp.resolve("cache"), Counting.copying());
        String sha = dev.dfd.internal.Provenance.weightsSha256(files);
        assertEquals(sha, cache.weightsSha256(files));
        Path index;
        try (var entries = Files.list(tmp.resolve("cache").resolve("index"))) {
            index = entries.findFirst().orElseThrow();
        }
        // the index is what a later load reads: a planted value is returned as it is (no hashing)
        Files.writeString(index, "0".repeat(64));
        assertEquals("0".repeat(64), cache.weightsSha256(files));
        // a rewrite changes the modification time: hashed again
        Files.write(files.onnx(), Files.readAllBytes(files.onnx()));
        Files.setLastModifiedTime(files.onnx(), java.nio.file.attribute.FileTime.fromMillis(
                Files.getLastModifiedTime(files.onnx()).toMillis() + 5000));
        assertEquals(sha, cache.weightsSha256(files));
        // a damaged index is ignored
        try (var entries = Files.list(tmp.resolve("cache").resolve("index"))) {
            for (Path p : entries.toList()) {
                Files.writeString(p, "not a hash");
            }
        }
        assertEquals(sha, cache.weightsSha256(files));
    }

    @Test
    void nothingToFuseRunsTheOriginalAndIsRemembered() throws IOException {
        ModelFiles files = model();
        Counting rewriter = new Counting((f, out) -> Map.of("Attention", 0));
        OptimizedGraphCache cache = new OptimizedGraphCache(tmp.resolve("cache"), rewriter);
        for (int i = 0; i < 2; i++) {
            OptimizedGraphCache.Outcome o = cache.graphFor(files);
            assertEquals(OptimizedGraphCache.Status.UNCHANGED, o.status());
            assertEquals(files.onnx(), o.graph());
        }
        assertEquals(1, rewriter.calls.get());
    }

    @Test
    void aRewriteThatFailsItsCheckRunsTheOriginalAndIsRemembered() throws IOException {
        ModelFiles files = model();
        Counting rewriter = new Counting((f, out) -> {
            throw new DfdException(f.onnx() + ": the optimised graph's logits differ from the original's by 0.3");
        });
        OptimizedGraphCache cache = new OptimizedGraphCache(tmp.resolve("cache"), rewriter);
        OptimizedGraphCache.Outcome first = cache.graphFor(files);
        assertEquals(OptimizedGraphCache.Status.FAILED, first.status());
        assertEquals(files.onnx(), first.graph());
        assertTrue(first.message().contains("differ from the original's by 0.3"), first.message());
        assertTrue(first.created());
        OptimizedGraphCache.Outcome second = cache.graphFor(files);
        assertEquals(OptimizedGraphCache.Status.FAILED, second.status());
        assertFalse(second.created());
        assertEquals(1, rewriter.calls.get());
    }

    @Test
    void anUnwritableCacheRunsTheOriginal() throws IOException {
        ModelFiles files = model();
        Path notADirectory = Files.writeString(tmp.resolve("file"), "x");
        OptimizedGraphCache.Outcome o = new OptimizedGraphCache(notADirectory, Counting.copying()).graphFor(files);
        assertEquals(OptimizedGraphCache.Status.FAILED, o.status());
        assertEquals(files.onnx(), o.graph());
        assertTrue(o.message().startsWith("cannot write the graph cache " + notADirectory), o.message());
        assertTrue(o.created(), "the load says so (Detector prints fresh outcomes)");
    }

    @Test
    void variantsAndAMissingRewriterAreNotTouched() throws IOException {
        ModelFiles files = model();
        Counting rewriter = Counting.copying();
        ModelFiles variant = new ModelFiles(files.dir(), files.config(), files.preprocessor(), files.onnx(), "int8");
        OptimizedGraphCache.Outcome o = new OptimizedGraphCache(tmp.resolve("cache"), rewriter).graphFor(variant);
        assertEquals(OptimizedGraphCache.Status.SKIPPED, o.status());
        assertEquals(0, rewriter.calls.get());
        assertEquals(OptimizedGraphCache.Status.SKIPPED,
                new OptimizedGraphCache(tmp.resolve("cache"), null).graphFor(files).status());
        assertFalse(Files.exists(tmp.resolve("cache")));
    }

    @Test
    void loadsAtOnceAgreeOnOneEntry() throws Exception {
        ModelFiles files = model();
        Counting rewriter = Counting.copying();
        ExecutorService pool = Executors.newFixedThreadPool(4);
        try {
            List<Future<OptimizedGraphCache.Outcome>> outcomes = new ArrayList<>();
            for (int i = 0; i < 4; i++) {
                outcomes.add(pool.submit(() -> new OptimizedGraphCache(tmp.resolve("cache"), rewriter).graphFor(files)));
            }
            Path first = outcomes.get(0).get().graph();
            for (Future<OptimizedGraphCache.Outcome> f : outcomes) {
                assertEquals(OptimizedGraphCache.Status.OPTIMIZED, f.get().status());
                assertEquals(first, f.get().graph());
            }
        } finally {
            pool.shutdown();
        }
        try (var entries = Files.list(tmp.resolve("cache").resolve("optimized"))) {
            assertEquals(1, entries.count(), "losers' temporary folders are removed");
        }
    }

    @Test
    void theDefaultRootFollowsTheProperty() {
        String old = System.getProperty("dfd.cache");
        try {
            System.setProperty("dfd.cache", tmp.toString());
            assertEquals(tmp, OptimizedGraphCache.defaultRoot());
        } finally {
            if (old == null) {
                System.clearProperty("dfd.cache");
            } else {
                System.setProperty("dfd.cache", old);
            }
        }
    }
}
