package dev.dfd.cli;

import dev.dfd.Fixtures;
import dev.dfd.internal.Json;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;

import static dev.dfd.cli.MainTest.run;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Nothing lost: {@code detect --output} and {@code eval --predictions} leave whole lines when the process is killed,
 * and {@code --resume} skips the images already written and appends the others, ending with the file a clean run
 * writes, every image exactly once.
 */
class ResumeTest {
    @TempDir
    Path tmp;
    Path images;
    Path data;

    @BeforeEach
    void images() throws IOException {
        images = tmp.resolve("images");
        data = tmp.resolve("data");
        Files.createDirectories(images);
        for (String label : List.of("real", "fake")) {
            Files.createDirectories(data.resolve(label));
        }
        int i = 0;
        for (String n : List.of("grad_37x23.png", "noise_64x48.png", "tall_9x40.png", "tiny_5x3.png", "one_1x1.png")) {
            Path src = Fixtures.dir().resolve("images").resolve(n);
            Files.copy(src, images.resolve(n));
            Files.copy(src, data.resolve(i++ % 2 == 0 ? "real" : "fake").resolve(n));
        }
        Files.writeString(images.resolve("broken, \"quoted\".jpg"), "not an image"); // an error line, CSV-quoted
        Files.writeString(data.resolve("fake/broken.jpg"), "not an image");
    }

    private String[] detect(String format, Path output, String... more) {
        List<String> args = new ArrayList<>(List.of("detect", "-m", Fixtures.tinyModel().toString(), "--format",
                format, "--output", output.toString()));
        args.addAll(List.of(more));
        args.add(images.toString());
        return args.toArray(String[]::new);
    }

    /** The file as a killed run would leave it: the first {@code whole} lines, then half of the next one. */
    private static void cutInsideLine(Path file, Path cut, int whole) throws IOException {
        String text = Files.readString(file);
        int end = 0;
        for (int i = 0; i < whole; i++) {
            end = text.indexOf('\n', end) + 1;
        }
        int next = text.indexOf('\n', end);
        Files.writeString(cut, text.substring(0, end + (next - end) / 2));
        assertFalse(Files.readString(cut).endsWith("\n"), "the cut must fall inside a line");
    }

    @Test
    void detectJsonResumedAfterALineCutByAKillEqualsACleanRun() throws IOException {
        Path clean = tmp.resolve("clean.jsonl");
        MainTest.Run first = run(detect("json", clean));
        assertEquals(1, first.code(), first.err()); // the broken file fails; the others are written
        assertEquals("", first.out(), "results go to the file, not to stdout");
        List<String> lines = Files.readAllLines(clean);
        assertEquals(6, lines.size());

        Path resumed = tmp.resolve("resumed.jsonl");
        cutInsideLine(clean, resumed, 2);
        MainTest.Run again = run(detect("json", resumed, "--resume"));
        assertTrue(again.err().contains("resumed: 2 images already in " + resumed + ", skipped"), again.err());
        assertEquals(Files.readString(clean), Files.readString(resumed));
        Set<String> paths = new HashSet<>();
        for (String line : Files.readAllLines(resumed)) {
            assertTrue(paths.add(Json.MAPPER.readTree(line).get("path").asText()), "twice: " + line);
        }
        assertEquals(6, paths.size());

        MainTest.Run nothingLeft = run(detect("json", resumed, "--resume"));
        assertEquals(0, nothingLeft.code(), nothingLeft.err());
        assertTrue(nothingLeft.err().contains("resumed: 6 images already in"), nothingLeft.err());
        assertEquals(Files.readString(clean), Files.readString(resumed));
    }

    @Test
    void detectCsvResumedAfterACutInsideItsHeaderOrARowEqualsACleanRun() throws IOException {
        Path clean = tmp.resolve("clean.csv");
        run(detect("csv", clean));
        assertEquals(7, Files.readAllLines(clean).size()); // header + 6 images
        for (int whole : new int[] {0, 1, 4}) { // inside the header, the first row, a later row
            Path resumed = tmp.resolve("resumed-" + whole + ".csv");
            cutInsideLine(clean, resumed, whole);
            MainTest.Run again = run(detect("csv", resumed, "--resume"));
            assertEquals(whole <= 1 ? 1 : 0, again.code(), again.err()); // the broken file is the first row
            assertEquals(Files.readString(clean), Files.readString(resumed), "cut after " + whole + " lines");
        }
    }

    @Test
    void resumeIsRefusedWhereItCannotWork() throws IOException {
        assertEquals(2, run("detect", "-m", Fixtures.tinyModel().toString(), "--resume", images.toString()).code());
        assertEquals(2, run(detect("table", tmp.resolve("t.txt"), "--resume")).code());
        Path other = tmp.resolve("other.csv");
        Files.writeString(other, "path,label,score,score_Cat,score_Dog,error,status,faces\n");
        MainTest.Run refused = run(detect("csv", other, "--resume"));
        assertEquals(2, refused.code());
        assertTrue(refused.err().startsWith("dfd: " + other + ": its header is not this model's"), refused.err());
        assertEquals(1, refused.err().lines().count(), refused.err());
    }

    @Test
    void evalPredictionsResumedAfterACutLineGiveTheCleanFileAndMetrics() throws IOException {
        Path clean = tmp.resolve("clean.csv");
        MainTest.Run first = run("eval", "-m", Fixtures.tinyModel().toString(), data.toString(), "--predictions",
                clean.toString(), "-q");
        assertEquals(0, first.code(), first.err());
        List<String> lines = Files.readAllLines(clean);
        assertEquals("path,true_label,predicted_label,score,score_Real,score_Fake,error,status", lines.get(0));
        assertEquals(7, lines.size());
        assertTrue(lines.stream().anyMatch(l -> l.endsWith(",error")), lines.toString());

        Path resumed = tmp.resolve("resumed.csv");
        cutInsideLine(clean, resumed, 3);
        MainTest.Run again = run("eval", "-m", Fixtures.tinyModel().toString(), data.toString(), "--predictions",
                resumed.toString(), "--resume", "-q");
        assertEquals(0, again.code(), again.err());
        assertTrue(again.err().contains("resumed: 2 images already in"), again.err());
        assertEquals(Files.readString(clean), Files.readString(resumed));
        assertEquals(first.out(), again.out(), "the report covers every image, resumed or run now");
    }

    /** The shipped model judges faces: images without one are no_face rows, resumed as such. */
    @Test
    void evalPredictionsKeepNoFaceImagesAndResumeThem() throws IOException {
        Path model = Fixtures.dir().resolve("../../../../..").normalize().resolve("models/default");
        Path clean = tmp.resolve("clean.csv");
        MainTest.Run first = run("eval", "-m", model.toString(), data.toString(), "--predictions", clean.toString(),
                "-q");
        List<String> lines = Files.readAllLines(clean);
        assertEquals(7, lines.size(), first.err());
        assertEquals(5, lines.stream().filter(l -> l.endsWith(",no_face")).count(), lines.toString());
        Path resumed = tmp.resolve("resumed.csv");
        cutInsideLine(clean, resumed, 4);
        MainTest.Run again = run("eval", "-m", model.toString(), data.toString(), "--predictions",
                resumed.toString(), "--resume", "-q");
        assertEquals(first.code(), again.code(), again.err());
        assertEquals(Files.readString(clean), Files.readString(resumed));
    }

    /** A real kill -9 of a `dfd detect` process: whole lines are left, and --resume finishes the file. */
    @Test
    void detectKilledWithSigkillLeavesWholeLinesAndResumes() throws Exception {
        Path out = tmp.resolve("killed.jsonl");
        List<String> files = new ArrayList<>();
        for (String n : List.of("grad_37x23.png", "noise_64x48.png", "tall_9x40.png")) {
            files.add(images.resolve(n).toString());
        }
        // the last source is standard input, which this test never closes: the run writes lines for the files before
        // it (the pipeline may hold the last one back until "-" is read), then waits there until it is killed
        List<String> command = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java")
                .toString(), "-cp", System.getProperty("java.class.path"), Main.class.getName(), "detect", "-m",
                Fixtures.tinyModel().toString(), "--format", "json", "--batch-size", "1", "--output",
                out.toString()));
        command.addAll(files);
        command.add("-");
        Process p = new ProcessBuilder(command).redirectError(ProcessBuilder.Redirect.DISCARD).start();
        try {
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(120);
            while (lineCount(out) < 1 && System.nanoTime() < deadline && p.isAlive()) {
                Thread.sleep(50);
            }
            Thread.sleep(500); // whatever else it writes before blocking
            assertTrue(p.isAlive(), "the run must still be waiting on standard input when it is killed");
            long before = lineCount(out);
            assertTrue(before >= 1 && before <= files.size(), before + " lines before the kill");
        } finally {
            p.destroyForcibly(); // SIGKILL: no shutdown hook, no flush
            p.waitFor(30, TimeUnit.SECONDS);
        }
        String left = Files.readString(out);
        assertTrue(left.endsWith("\n"), "a killed run leaves whole lines: " + left);
        for (String line : left.split("\n")) {
            Json.MAPPER.readTree(line); // each line is a complete JSON object
        }

        byte[] png = Files.readAllBytes(images.resolve("one_1x1.png"));
        List<String> args = new ArrayList<>(List.of("detect", "-m", Fixtures.tinyModel().toString(), "--format",
                "json", "--batch-size", "1", "--output", out.toString(), "--resume"));
        args.addAll(files);
        args.add("-");
        MainTest.Run resumed = run(png, args.toArray(String[]::new));
        assertEquals(0, resumed.code(), resumed.err());
        Path clean = tmp.resolve("clean.jsonl");
        args.set(args.indexOf(out.toString()), clean.toString());
        args.remove("--resume");
        assertEquals(0, run(png, args.toArray(String[]::new)).code());
        assertEquals(Files.readString(clean), Files.readString(out));
        assertEquals(4, Files.readAllLines(out).size());
    }

    private static long lineCount(Path file) throws IOException {
        if (!Files.exists(file)) {
            return 0;
        }
        return new String(Files.readAllBytes(file), StandardCharsets.UTF_8).chars().filter(c -> c == '\n').count();
    }
}
