package dev.dfd.cli;

import dev.dfd.Fixtures;
import dev.dfd.ImageSource;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.AccessDeniedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class ImageFilesTest {
    @TempDir
    Path tmp;

    private Path image(Path dir, String name) throws IOException {
        Files.createDirectories(dir);
        return Files.copy(Fixtures.dir().resolve("images/grad_37x23.png"), dir.resolve(name));
    }

    @Test
    void symlinkedDirectoriesAreFollowedAndLoopsReportedOnce() throws IOException {
        Path photos = tmp.resolve("photos");
        image(photos, "a.png");
        Path elsewhere = tmp.resolve("elsewhere");
        image(elsewhere, "b.png");
        Files.createSymbolicLink(photos.resolve("linked"), elsewhere);
        Files.createSymbolicLink(elsewhere.resolve("back"), photos); // photos/linked/back -> photos: a loop
        List<ImageSource> found = ImageFiles.walk(photos);
        List<String> names = found.stream().map(ImageSource::name).toList();
        assertEquals(List.of(photos.resolve("a.png").toString(), photos.resolve("linked/b.png").toString(),
                photos.resolve("linked/back").toString()), names);
        IOException loop = assertThrows(IOException.class, () -> found.get(2).read(1000));
        assertEquals("symbolic link loop, not followed", loop.getMessage());
        // a link to a directory named on the command line is walked too
        Path link = Files.createSymbolicLink(tmp.resolve("link-to-photos"), photos);
        assertEquals(3, ImageFiles.sources(List.of(link.toString()), null, 1 << 20).size());
    }

    @Test
    void anUnreadableFolderIsOneFailedEntry() {
        ImageSource s = ImageFiles.failed(Path.of("/data/private"), new AccessDeniedException("/data/private"));
        assertEquals("/data/private", s.name());
        assertEquals("permission denied, skipped", assertThrows(IOException.class, () -> s.read(10)).getMessage());
    }

    @Test
    void aRunWithAFailedEntryGoesOnAndExitsOne() throws IOException {
        Path photos = tmp.resolve("run");
        image(photos, "a.png");
        Path other = tmp.resolve("other");
        image(other, "c.png");
        Files.createSymbolicLink(other.resolve("loop"), other);
        Files.createSymbolicLink(photos.resolve("other"), other);
        MainTest.Run r = MainTest.run("detect", "--model", MainTest.model().toString(), "--format", "csv",
                photos.toString());
        assertEquals(1, r.code(), r.err());
        List<String> lines = r.out().lines().toList();
        assertEquals(4, lines.size(), r.out()); // header, a.png, other/c.png, other/loop
        assertTrue(lines.get(3).contains("symbolic link loop, not followed"), r.out());
        assertTrue(r.err().contains("1 of 3 images failed"), r.err());
    }

    @Test
    void nonAsciiPathsPrintAsTheyAreInAnyLocale() throws Exception {
        Path dir = tmp.resolve("фото");
        Path img = image(dir, "café.png");
        // a child JVM in the C locale, run like the launcher does
        ProcessBuilder pb = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-cp", System.getProperty("java.class.path"), Main.class.getName(), "detect", "--model",
                MainTest.model().toString(), "--format", "csv", img.toString());
        pb.environment().put("LC_ALL", "C.UTF-8");
        pb.redirectErrorStream(true);
        Process p = pb.start();
        String out = new String(p.getInputStream().readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
        assertEquals(0, p.waitFor(), out);
        assertTrue(out.contains(img.toString()), out);
    }
}
