package dev.dfd;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Properties;

/**
 * Facts about this dfd installation: its version and where the default model lives.
 *
 * <pre>{@code
 * System.out.println("dfd " + Dfd.version());
 * try (Detector detector = Detector.load(Dfd.requireDefaultModel())) { ... }
 * }</pre>
 */
public final class Dfd {
    private static final String VERSION = loadVersion();

    private Dfd() {
    }

    public static String version() {
        return VERSION;
    }

    private static String loadVersion() {
        try (InputStream in = Dfd.class.getResourceAsStream("version.properties")) {
            Properties p = new Properties();
            if (in != null) {
                p.load(in);
            }
            return p.getProperty("version", "unknown");
        } catch (IOException e) {
            return "unknown";
        }
    }

    /**
     * The installation directory: system property {@code dfd.home} (set by the ./dfd launcher), else environment
     * variable {@code DFD_HOME}, else the working directory.
     */
    public static Path home() {
        String home = System.getProperty("dfd.home");
        if (home == null || home.isBlank()) {
            home = System.getenv("DFD_HOME");
        }
        return Path.of(home == null || home.isBlank() ? "." : home);
    }

    /** models/default under the installation: the model dfd uses when none is named. */
    public static Path defaultModelDir() {
        return home().resolve("models").resolve("default");
    }

    /** The default model directory, or a DfdException saying that none is installed. */
    public static Path requireDefaultModel() {
        Path dir = defaultModelDir();
        if (!Files.isRegularFile(dir.resolve("config.json"))) {
            throw new DfdException("no default model is installed (looked in " + dir.toAbsolutePath().normalize()
                    + "); pass --model DIR with a Hugging Face image-classification model directory"
                    + " (config.json, preprocessor_config.json, onnx/model.onnx)");
        }
        return dir;
    }
}
