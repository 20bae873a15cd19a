package dev.dfd;

import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.lang.reflect.Modifier;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The library's public surface is what README's "Architecture" lists: {@code dev.dfd} and {@code dev.dfd.eval}.
 * Every other public type lives under {@code dev.dfd.internal} (used by dfd's own shells, not an API). A type made
 * public outside it by accident fails here.
 */
class PublicApiTest {
    static final Set<String> API = Set.of(
            "dev.dfd.BatchingDetector", "dev.dfd.Decision", "dev.dfd.DecodeLimits", "dev.dfd.DetectionResult",
            "dev.dfd.Detector", "dev.dfd.DetectorOptions", "dev.dfd.Dfd", "dev.dfd.DfdException", "dev.dfd.Face",
            "dev.dfd.ImageException", "dev.dfd.ImageSource", "dev.dfd.ImageTransform", "dev.dfd.LabelScore",
            "dev.dfd.ModelInfo", "dev.dfd.Prediction", "dev.dfd.RgbImage", "dev.dfd.RunPolicy",
            "dev.dfd.ScoreFunction",
            "dev.dfd.eval.BinaryMetrics", "dev.dfd.eval.Bootstrap", "dev.dfd.eval.ClassificationReport",
            "dev.dfd.eval.ConfusionMatrix", "dev.dfd.eval.Dataset", "dev.dfd.eval.EvalMetrics",
            "dev.dfd.eval.Evaluation", "dev.dfd.eval.LabelMapping", "dev.dfd.eval.Perturbation",
            "dev.dfd.eval.Protocol");

    @Test
    void publicTopLevelTypesOutsideInternalAreTheDocumentedApi() throws Exception {
        Set<String> found = new TreeSet<>();
        for (String name : mainClasses()) {
            if (name.contains("$") || name.startsWith("dev.dfd.internal.") || name.endsWith("package-info")) {
                continue;
            }
            Class<?> c = Class.forName(name, false, getClass().getClassLoader());
            if (Modifier.isPublic(c.getModifiers())) {
                found.add(name);
            }
        }
        assertEquals(new TreeSet<>(API), found);
    }

    @Test
    void everyApiTypeShowsAnExample() throws IOException {
        Path src = Path.of("src/main/java");
        for (String name : API) {
            String text = Files.readString(src.resolve(name.replace('.', '/') + ".java"));
            assertTrue(text.contains("<pre>{@code"), name + " has no example in its Javadoc");
        }
    }

    /** Class names under target/classes, where Detector.class was loaded from. */
    private static List<String> mainClasses() throws IOException, URISyntaxException {
        Path root = Path.of(Detector.class.getProtectionDomain().getCodeSource().getLocation().toURI());
        try (Stream<Path> files = Files.walk(root)) {
            return files.filter(p -> p.toString().endsWith(".class"))
                    .map(p -> root.relativize(p).toString().replace('/', '.').replaceAll("\\.class$", ""))
                    .toList();
        }
    }
}
