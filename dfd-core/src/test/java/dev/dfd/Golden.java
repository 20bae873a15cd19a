package dev.dfd;

import com.fasterxml.jackson.databind.JsonNode;
import org.junit.jupiter.api.Assumptions;

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
    /** Images transformers itself misreads (taken as channels-first): checked for sanity, not equality. */
    public static final List<String> TRANSFORMERS_QUIRKS = List.of("one_1x1.png", "strip_40x3.png");

    private Golden() {
    }

    /** The golden directory, or a skipped test when it is not there (a user's fresh clone). */
    public static Path dir() {
        String configured = System.getProperty("dfd.golden.dir", "../shared/golden");
        Path dir = Path.of(configured);
        if (!Files.isDirectory(dir)) {
            dir = Path.of("..", configured); // run from a module directory
        }
        Assumptions.assumeTrue(Files.isDirectory(dir.resolve("expected")),
                "golden reference not found at " + configured + "; skipping the golden suite");
        return dir;
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
