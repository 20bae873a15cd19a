package dev.dfd.internal;

import dev.dfd.Decision;
import dev.dfd.Detector;
import dev.dfd.Dfd;
import dev.dfd.DfdException;
import dev.dfd.internal.model.ModelFiles;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.DigestInputStream;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/** Where a result came from: model files and their sha256, dfd and Java versions, the time. */
public final class Provenance {
    /** Keyed by path, size and modification time, so a file rewritten in this process is hashed again. */
    private static final Map<String, String> SHA_CACHE = new ConcurrentHashMap<>();

    private Provenance() {
    }

    /** sha256 of a file, streamed (models can be hundreds of MB), cached per path for the process. */
    public static String sha256(Path file) {
        Path p = file.toAbsolutePath().normalize();
        String key;
        try {
            key = p + "|" + Files.size(p) + "|" + Files.getLastModifiedTime(p).toMillis();
        } catch (IOException e) {
            throw new DfdException(p + ": cannot read to hash (" + e.getMessage() + ")");
        }
        return SHA_CACHE.computeIfAbsent(key, k -> {
            try (InputStream in = new DigestInputStream(Files.newInputStream(p), MessageDigest.getInstance("SHA-256"))) {
                byte[] buffer = new byte[1 << 16];
                while (in.read(buffer) >= 0) {
                    // the digest stream does the work
                }
                return HexFormat.of().formatHex(((DigestInputStream) in).getMessageDigest().digest());
            } catch (IOException e) {
                throw new DfdException(p + ": cannot read to hash (" + e.getMessage() + ")");
            } catch (NoSuchAlgorithmException e) {
                throw new IllegalStateException(e);
            }
        });
    }

    /**
     * A short, stable id for a model as the API and scored rows name it: the model directory's name and the first
     * 12 hex digits of {@link #weightsSha256}, e.g. {@code default@3f9a0c1d2e4b}.
     */
    public static String modelId(ModelFiles files) {
        String name = files.dir().toAbsolutePath().normalize().getFileName().toString();
        return name + "@" + weightsSha256(files).substring(0, 12);
    }

    /**
     * What identifies a model's graph and weights: the ONNX file's sha256, or, when its weights are in an external
     * data file, the sha256 of the two files' hex digests joined ({@code sha256(hex(onnx) + hex(data))}).
     */
    public static String weightsSha256(ModelFiles files) {
        String onnx = sha256(files.onnx());
        Path data = files.externalData();
        if (data == null) {
            return onnx;
        }
        try {
            byte[] joined = (onnx + sha256(data)).getBytes(java.nio.charset.StandardCharsets.US_ASCII);
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(joined));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    /** A description of the detector's model and the environment, for reports and JSON. */
    public static Map<String, Object> of(Detector detector) {
        ModelFiles files = detector.model().files();
        Decision decision = detector.defaultDecision();
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("model_dir", files.dir().toAbsolutePath().normalize().toString());
        m.put("onnx_file", files.onnx().toAbsolutePath().normalize().toString());
        m.put("onnx_sha256", sha256(files.onnx()));
        Path data = files.externalData();
        if (data != null) {
            m.put("onnx_external_data", data.toAbsolutePath().normalize().toString());
            m.put("onnx_external_data_sha256", sha256(data));
        }
        m.put("variant", files.variant() == null ? "default" : files.variant());
        if (!detector.runningGraph().equals(files.onnx())) {
            // the same weights with fused operators, made from onnx_file and checked against it
            m.put("optimized_graph", detector.runningGraph().toAbsolutePath().normalize().toString());
        }
        m.put("labels", detector.model().labels());
        m.put("positive_label", decision.positiveLabel());
        m.put("score_function", decision.function().id());
        m.put("threshold", decision.threshold());
        m.put("dfd_version", Dfd.version());
        m.put("java", System.getProperty("java.vm.name") + " " + System.getProperty("java.version"));
        m.put("os", System.getProperty("os.name") + " " + System.getProperty("os.arch"));
        m.put("time", Instant.now().truncatedTo(ChronoUnit.SECONDS).toString());
        return m;
    }
}
