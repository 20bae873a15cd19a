package dev.dfd;

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
    private static final Map<Path, String> SHA_CACHE = new ConcurrentHashMap<>();

    private Provenance() {
    }

    /** sha256 of a file, streamed (models can be hundreds of MB), cached per path for the process. */
    public static String sha256(Path file) {
        return SHA_CACHE.computeIfAbsent(file.toAbsolutePath().normalize(), p -> {
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
     * 12 hex digits of its ONNX file's sha256, e.g. {@code default@3f9a0c1d2e4b}.
     */
    public static String modelId(Detector detector) {
        String name = detector.files().dir().toAbsolutePath().normalize().getFileName().toString();
        return name + "@" + sha256(detector.files().onnx()).substring(0, 12);
    }

    /** A description of the detector's model and the environment, for reports and JSON. */
    public static Map<String, Object> of(Detector detector) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("model_dir", detector.files().dir().toAbsolutePath().normalize().toString());
        m.put("onnx_file", detector.files().onnx().toAbsolutePath().normalize().toString());
        m.put("onnx_sha256", sha256(detector.files().onnx()));
        m.put("variant", detector.files().variant() == null ? "default" : detector.files().variant());
        m.put("labels", detector.config().labels());
        m.put("positive_label", detector.postprocessor().positiveLabel());
        m.put("score_function", detector.postprocessor().function().id());
        m.put("threshold", detector.postprocessor().threshold());
        m.put("dfd_version", Dfd.version());
        m.put("java", System.getProperty("java.vm.name") + " " + System.getProperty("java.version"));
        m.put("os", System.getProperty("os.name") + " " + System.getProperty("os.arch"));
        m.put("time", Instant.now().truncatedTo(ChronoUnit.SECONDS).toString());
        return m;
    }
}
