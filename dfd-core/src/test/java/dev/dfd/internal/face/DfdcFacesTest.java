package dev.dfd.internal.face;

import dev.dfd.Face;
import dev.dfd.Fixtures;
import dev.dfd.RgbImage;
import dev.dfd.internal.io.ImageDecoder;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * Tests on DFDC face crops, which are research-only and so never copied into the project: they are read from
 * ../shared/data/dfdc-faces (beside the golden reference). Absent, the tests are skipped with the reason, unless the
 * environment has CI=true, where that is a failure.
 */
class DfdcFacesTest {
    /** ../shared/data/dfdc-faces, found beside the configured golden directory. */
    static Path dfdc() {
        Path golden = Path.of(System.getProperty("dfd.golden.dir", "../shared/golden"));
        Path dir = golden.toAbsolutePath().normalize().resolveSibling("data").resolve("dfdc-faces");
        if (!Files.isDirectory(dir.resolve("val"))) {
            String why = "DFDC face crops not found at " + dir + " (expected ../shared/data/dfdc-faces/val)";
            if ("true".equalsIgnoreCase(System.getenv("CI"))) {
                fail(why + "; CI=true requires them");
            }
            Assumptions.abort(why + "; skipping");
        }
        return dir;
    }

    @Test
    void valCropsAreFound() throws IOException {
        Path val = dfdc().resolve("val");
        List<Path> files = new java.util.ArrayList<>(FaceTool.firstImages(val.resolve("Real"), 100));
        files.addAll(FaceTool.firstImages(val.resolve("Fake"), 100));
        ImageDecoder decoder = new ImageDecoder();
        int found = 0;
        int extra = 0;
        try (FaceDetector d = new FaceDetector()) {
            for (Path f : files) {
                RgbImage img = decoder.decode(Files.readAllBytes(f));
                List<Face> faces = d.detect(img);
                found += faces.isEmpty() ? 0 : 1;
                extra += Math.max(0, faces.size() - 1);
            }
        }
        double rate = found / (double) files.size();
        System.out.printf("DFDC val crops: face found in %d of %d (%.3f), %d extra faces%n", found, files.size(),
                rate, extra);
        assertTrue(rate >= 0.95, "face found in " + found + " of " + files.size());
        assertTrue(extra <= files.size() / 50, extra + " extra faces in " + files.size() + " single-face crops");
    }

    /** The synthetic benchmark (see {@link SyntheticFaces}) with the default options and fixed seeds. */
    @Test
    void syntheticBenchmark() throws IOException {
        List<BufferedImage> crops = FaceTool.faceCrops(dfdc().resolve("val"), 200);
        List<SyntheticFaces.Sample> faces = SyntheticFaces.faceImages(Fixtures.dir(), crops, 30, 42);
        StringBuilder table = new StringBuilder("face size | recall at IoU 0.5\n");
        int falseOnFaces = 0;
        try (FaceDetector d = new FaceDetector()) {
            for (int size : SyntheticFaces.SIZES) {
                if (size < d.options().minFaceSize()) {
                    continue;
                }
                int tp = 0;
                int n = 0;
                for (SyntheticFaces.Sample s : faces) {
                    if (s.size() == size) {
                        int[] m = SyntheticFaces.match(s.truth(), d.detect(s.image()));
                        tp += m[0];
                        falseOnFaces += m[1];
                        n++;
                    }
                }
                double recall = tp / (double) n;
                table.append(size).append(" | ").append(String.format("%.2f", recall)).append('\n');
                if (size >= 64) {
                    assertTrue(recall >= 0.95, "recall " + recall + " for " + size + " px faces\n" + table);
                }
            }
            int falseOnFree = 0;
            List<SyntheticFaces.Sample> free = SyntheticFaces.faceFree(Fixtures.dir(), 7);
            for (SyntheticFaces.Sample s : free) {
                int k = d.detect(s.image()).size();
                falseOnFree += k;
                if (!List.of("coffee", "chelsea", "brick", "grass", "gravel").contains(s.name())) {
                    assertEquals(0, k, s.name() + " is face-free");
                }
            }
            table.append(String.format("false faces: %d on %d face-free images, %d on %d face images%n",
                    falseOnFree, free.size(), falseOnFaces, faces.size()));
            assertTrue(falseOnFaces <= faces.size() / 20, table.toString());
        }
        System.out.print(table);
    }
}
