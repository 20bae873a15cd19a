package dev.dfd.internal.model;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.dfd.DfdException;
import dev.dfd.internal.Json;
import dev.dfd.internal.Provenance;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.ServiceLoader;
import java.util.stream.Stream;

/**
 * Optimises a model's graph once and keeps the result: the first load of an fp32 model runs the
 * {@link GraphRewriter} and stores its graph in {@code <cache>/optimized/<key>/model.onnx}; later loads of the same
 * weights open that file directly. The key is the sha256 of the model's ONNX file and external data
 * ({@link Provenance#weightsSha256}) and the rewriter's name and version, so a changed model or a new dfd rewrites
 * again and two copies of one model share an entry.
 *
 * <p>Each entry has a {@code result.json}: {@code optimized} (the fusions made), {@code unchanged} (nothing to fuse:
 * a CNN, or a graph already optimised) or {@code failed} (the rewritten graph did not match the original within the
 * rewriter's tolerance; the message says by how much). Only {@code optimized} changes what runs; the others are
 * remembered so the work is not repeated at every load. Entries are written to a temporary folder and renamed into
 * place, so processes loading one model at once never see half an entry. A cache that cannot be written (a read-only
 * home) only costs the optimisation: the model runs as it is, with a one-line notice.
 *
 * <p>The cache folder: system property {@code dfd.cache}, else environment {@code DFD_CACHE}, else
 * {@code $XDG_CACHE_HOME/dfd}, else {@code ~/.cache/dfd}.
 */
public final class OptimizedGraphCache {
    /** What the load runs and why. */
    public record Outcome(Path graph, Status status, Map<String, Integer> fused, String message, boolean created) {
        Outcome(Path graph, Status status, Map<String, Integer> fused, String message) {
            this(graph, status, fused, message, false);
        }

        Outcome fresh() {
            return new Outcome(graph, status, fused, message, true);
        }

        public boolean optimized() {
            return status == Status.OPTIMIZED;
        }
    }

    public enum Status {
        /** the cached rewritten graph runs */
        OPTIMIZED,
        /** nothing to fuse: the original graph runs */
        UNCHANGED,
        /** the rewrite failed its check or could not be cached: the original graph runs */
        FAILED,
        /** not tried: optimisation off, a quantised or half-precision variant, or no rewriter on the class path */
        SKIPPED
    }

    private static final String RESULT = "result.json";
    private static final String GRAPH = "model.onnx";

    private final Path root;
    private final GraphRewriter rewriter;

    public OptimizedGraphCache(Path root, GraphRewriter rewriter) {
        this.root = root;
        this.rewriter = rewriter;
    }

    /** The cache at {@link #defaultRoot()} with the rewriter found on the class path, or none. */
    public static OptimizedGraphCache standard() {
        return new OptimizedGraphCache(defaultRoot(), Holder.REWRITER);
    }

    private static final class Holder {
        static final GraphRewriter REWRITER = ServiceLoader.load(GraphRewriter.class).findFirst().orElse(null);
    }

    /** Whether a graph rewriter is on the class path (dfd-convert). */
    public static boolean available() {
        return Holder.REWRITER != null;
    }

    public static Path defaultRoot() {
        String p = System.getProperty("dfd.cache");
        if (p == null || p.isBlank()) {
            p = System.getenv("DFD_CACHE");
        }
        if (p != null && !p.isBlank()) {
            return Path.of(p);
        }
        String xdg = System.getenv("XDG_CACHE_HOME");
        Path base = xdg != null && !xdg.isBlank() ? Path.of(xdg) : Path.of(System.getProperty("user.home"), ".cache");
        return base.resolve("dfd");
    }

    public Path root() {
        return root;
    }

    /**
     * The graph to run for {@code files}: the cached optimised one when there is (or can now be made) one, else the
     * original. Never throws for a cache problem; a model that cannot be hashed fails as its load would.
     */
    public Outcome graphFor(ModelFiles files) {
        if (rewriter == null) {
            return new Outcome(files.onnx(), Status.SKIPPED, Map.of(), "no graph optimizer on the class path");
        }
        if (files.variant() != null) {
            return new Outcome(files.onnx(), Status.SKIPPED, Map.of(),
                    "variant " + files.variant() + " runs as it is (only fp32 graphs are optimised)");
        }
        String key = weightsSha256(files) + "-" + safe(rewriter.name());
        Path entry = root.resolve("optimized").resolve(key);
        Outcome cached = read(entry, files);
        if (cached != null) {
            return cached;
        }
        return create(entry, files);
    }

    /**
     * The weights' sha256 without reading them on every load: hashing ViT-base's 343 MB took ~0.3 s of each cold
     * start, so {@code <cache>/index/} remembers it by path, size and modification time (nanoseconds) of the ONNX
     * file and its external data; a file rewritten since gets another index key and is hashed again.
     */
    String weightsSha256(ModelFiles files) {
        String statKey;
        try {
            StringBuilder b = new StringBuilder();
            for (Path p : new Path[]{files.onnx(), files.externalData()}) {
                if (p != null) {
                    Path a = p.toAbsolutePath().normalize();
                    b.append(a).append('|').append(Files.size(a)).append('|')
                            .append(Files.getLastModifiedTime(a).to(java.util.concurrent.TimeUnit.NANOSECONDS))
                            .append('\n');
                }
            }
            statKey = java.util.HexFormat.of().formatHex(java.security.MessageDigest.getInstance("SHA-256")
                    .digest(b.toString().getBytes(StandardCharsets.UTF_8)));
        } catch (IOException | java.security.NoSuchAlgorithmException e) {
            return Provenance.weightsSha256(files);
        }
        Path index = root.resolve("index").resolve(statKey);
        try {
            String known = Files.readString(index, StandardCharsets.US_ASCII).strip();
            if (known.matches("[0-9a-f]{64}")) {
                return known;
            }
        } catch (IOException e) {
            // not indexed yet
        }
        String sha = Provenance.weightsSha256(files);
        try {
            Files.createDirectories(index.getParent());
            Path tmp = Files.createTempFile(index.getParent(), statKey, ".tmp");
            Files.writeString(tmp, sha + "\n", StandardCharsets.US_ASCII);
            Files.move(tmp, index, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        } catch (IOException | UnsupportedOperationException e) {
            // an index that cannot be written only costs the hash at the next load
        }
        return sha;
    }

    private static String safe(String s) {
        return s.toLowerCase(Locale.ROOT).replaceAll("[^a-z0-9._-]", "_");
    }

    /** The entry's outcome, or null when there is no complete entry. */
    private static Outcome read(Path entry, ModelFiles files) {
        Path result = entry.resolve(RESULT);
        if (!Files.isRegularFile(result)) {
            return null;
        }
        ObjectNode o;
        try {
            o = Json.readObject(result);
        } catch (DfdException e) {
            return null; // a damaged record is made again
        }
        Map<String, Integer> fused = new LinkedHashMap<>();
        if (o.get("fused") instanceof ObjectNode f) {
            f.fields().forEachRemaining(e -> fused.put(e.getKey(), e.getValue().asInt()));
        }
        String message = Json.string(o, "message", "", result);
        return switch (Json.string(o, "status", "", result)) {
            case "optimized" -> Files.isRegularFile(entry.resolve(GRAPH))
                    ? new Outcome(entry.resolve(GRAPH), Status.OPTIMIZED, fused, "cached in " + entry)
                    : null;
            case "unchanged" -> new Outcome(files.onnx(), Status.UNCHANGED, fused, message);
            case "failed" -> new Outcome(files.onnx(), Status.FAILED, fused, message);
            default -> null;
        };
    }

    private Outcome create(Path entry, ModelFiles files) {
        Path tmp;
        try {
            Files.createDirectories(entry.getParent());
            tmp = Files.createTempDirectory(entry.getParent(), entry.getFileName() + ".tmp-");
        } catch (IOException | UnsupportedOperationException e) {
            return new Outcome(files.onnx(), Status.FAILED, Map.of(),
                    "cannot write the graph cache " + root + " (" + e.getMessage() + "); running the graph as it is")
                    .fresh(); // said at every load: nothing is remembered
        }
        try {
            Map<String, Integer> fused;
            String status;
            String message;
            try {
                fused = new LinkedHashMap<>(rewriter.rewrite(files, tmp.resolve(GRAPH)));
                boolean any = fused.values().stream().anyMatch(n -> n > 0);
                status = any ? "optimized" : "unchanged";
                message = any ? "" : "nothing to fuse";
            } catch (DfdException e) {
                fused = Map.of();
                status = "failed";
                message = e.getMessage();
            }
            Map<String, Object> record = new LinkedHashMap<>();
            record.put("status", status);
            record.put("fused", fused);
            record.put("message", message);
            record.put("source", files.onnx().toAbsolutePath().normalize().toString());
            record.put("rewriter", rewriter.name());
            Files.writeString(tmp.resolve(RESULT), Json.write(record), StandardCharsets.UTF_8);
            try {
                Files.move(tmp, entry, StandardCopyOption.ATOMIC_MOVE);
            } catch (IOException e) {
                // another load made the entry first (rename(2) onto a non-empty folder fails): use theirs
                if (read(entry, files) == null) {
                    throw e;
                }
                deleteTree(tmp);
            }
            Outcome made = read(entry, files);
            if (made == null) {
                return new Outcome(files.onnx(), Status.FAILED, fused, entry + ": the cache entry is incomplete");
            }
            return made.fresh();
        } catch (IOException e) {
            deleteTree(tmp);
            return new Outcome(files.onnx(), Status.FAILED, Map.of(),
                    "cannot write the graph cache " + root + " (" + e.getMessage() + "); running the graph as it is")
                    .fresh(); // said at every load: nothing is remembered
        } catch (RuntimeException e) {
            deleteTree(tmp);
            throw e;
        }
    }

    private static void deleteTree(Path dir) {
        if (!Files.exists(dir)) {
            return;
        }
        try (Stream<Path> walk = Files.walk(dir)) {
            walk.sorted(Comparator.reverseOrder()).forEach(p -> {
                try {
                    Files.deleteIfExists(p);
                } catch (IOException ignored) {
                    // a leftover temporary folder is harmless; the outcome matters more
                }
            });
        } catch (IOException ignored) {
            // as above
        }
    }
}
