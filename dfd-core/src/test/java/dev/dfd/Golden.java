package dev.dfd;

import com.fasterxml.jackson.databind.JsonNode;
import dev.dfd.internal.Json;
import org.junit.jupiter.api.Assertions;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.DynamicTest;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.List;

/** Access to ../shared/golden (the Python transformers reference); tests using it skip when it is absent. */
public final class Golden {
    public static final List<String> MODELS = List.of("vit-tiny-seed0", "vit-tiny64-seed1-imagenet-single",
            "vit-tiny-seed2-legacy-preproc");
    /** One tiny model per family public detectors use, each with its real checkpoints' image processor. */
    public static final List<String> ZOO = List.of("deit-seed0", "siglip-seed0", "convnext-seed0",
            "convnextv2-seed0", "resnet-seed0", "swin-seed0", "beit-seed0", "efficientnet-seed0", "dinov2-seed0",
            "clip-seed0");
    /** Images transformers itself misreads (taken as channels-first): checked for sanity, not equality. */
    public static final List<String> TRANSFORMERS_QUIRKS = List.of("one_1x1.png", "strip_40x3.png");

    private Golden() {
    }

    /**
     * The golden directory. When it is not there (a user's fresh clone) the calling test is skipped with the reason,
     * and fails instead when the environment variable CI is "true", so a build server cannot silently skip it.
     */
    public static Path dir() {
        String configured = System.getProperty("dfd.golden.dir", "../shared/golden");
        Path dir = Path.of(configured);
        if (!Files.isDirectory(dir)) {
            dir = Path.of("..", configured); // run from a module directory
        }
        if (!Files.isDirectory(dir.resolve("expected"))) {
            String reason = "golden reference not found at " + configured + " (system property dfd.golden.dir)";
            if ("true".equalsIgnoreCase(System.getenv("CI"))) {
                Assertions.fail(reason + "; CI=true requires it");
            }
            Assumptions.abort(reason + "; skipping the golden suite");
        }
        return dir;
    }

    /**
     * For a test factory when the golden files are missing: one test per name that is skipped with the reason (or
     * fails under CI=true), because an assumption failing inside a factory or {@code @BeforeAll} makes surefire
     * report 0 tests instead of skipped ones.
     */
    public static List<DynamicTest> skipped(List<String> names) {
        return names.stream().map(n -> DynamicTest.dynamicTest(n, Golden::dir)).toList();
    }

    /** Whether the golden directory is there (see {@link #dir()} for what happens when it is not). */
    public static boolean present() {
        String configured = System.getProperty("dfd.golden.dir", "../shared/golden");
        return Files.isDirectory(Path.of(configured).resolve("expected"))
                || Files.isDirectory(Path.of("..", configured).resolve("expected"));
    }

    public static Path zooModel(String name) {
        return dir().resolve("zoo").resolve(name);
    }

    public static JsonNode expectedZooImages(String model) throws IOException {
        return Json.MAPPER.readTree(dir().resolve("expected").resolve("zoo").resolve(model + ".images.json").toFile());
    }

    public static Path model(String name) {
        return dir().resolve("models").resolve(name);
    }

    public static JsonNode expectedImages(String model) throws IOException {
        return Json.MAPPER.readTree(dir().resolve("expected").resolve(model + ".images.json").toFile());
    }

    public static String sha256(byte[] data) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(data));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    public static String sha256(float[] data) {
        ByteBuffer b = ByteBuffer.allocate(data.length * 4).order(ByteOrder.LITTLE_ENDIAN);
        b.asFloatBuffer().put(data);
        return sha256(b.array());
    }
}
