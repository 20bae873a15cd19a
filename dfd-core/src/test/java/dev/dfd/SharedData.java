package dev.dfd;

import org.junit.jupiter.api.Assertions;
import org.junit.jupiter.api.Assumptions;

import java.nio.file.Files;
import java.nio.file.Path;

/**
 * ../shared beside the project (golden references, data sets): a test that needs it and does not find it is
 * reported as skipped with the reason, and fails under {@code CI=true}, where ../shared is always laid out, so that a
 * suite can never pass by silently not running.
 */
public final class SharedData {
    private SharedData() {
    }

    /** {@code ../shared/<relative>}, located from system property dfd.shared.dir (set by the poms). */
    public static Path require(String relative) {
        String configured = System.getProperty("dfd.shared.dir", "../shared");
        Path dir = Path.of(configured).resolve(relative);
        if (!Files.exists(dir)) {
            Path fromModule = Path.of("..").resolve(configured).resolve(relative); // run from a module directory
            if (Files.exists(fromModule)) {
                dir = fromModule;
            }
        }
        if (!Files.exists(dir)) {
            String why = dir + " not found: this test needs ../shared beside the project";
            if ("true".equals(System.getenv("CI"))) {
                Assertions.fail(why + " (CI=true: the shared folder must be there)");
            }
            Assumptions.abort(why + "; skipped");
        }
        return dir;
    }

    /** The project's root directory (where models/ and pom.xml are). */
    public static Path projectRoot() {
        Path p = Path.of("").toAbsolutePath();
        while (p != null && !Files.isDirectory(p.resolve("models").resolve("default"))) {
            p = p.getParent();
        }
        if (p == null) {
            throw new IllegalStateException("project root with models/default not found above "
                    + Path.of("").toAbsolutePath());
        }
        return p;
    }
}
