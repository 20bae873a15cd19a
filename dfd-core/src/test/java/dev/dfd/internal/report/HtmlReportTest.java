package dev.dfd.internal.report;

import dev.dfd.Chromium;
import dev.dfd.Detector;
import dev.dfd.DetectorOptions;
import dev.dfd.Fixtures;
import dev.dfd.eval.Dataset;
import dev.dfd.eval.Evaluation;
import dev.dfd.eval.LabelMapping;
import dev.dfd.eval.Perturbation;
import dev.dfd.internal.Provenance;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import javax.imageio.ImageIO;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The HTML report: self-contained, every section present, and drawn by a real browser. */
class HtmlReportTest {
    @TempDir
    static Path tmp;
    static String html;

    /** An ImageFolder of the fixture images under both labels, so there are mistakes to show. */
    @BeforeAll
    static void evaluate() throws IOException {
        Path data = tmp.resolve("data");
        List<String> names = List.of("grad_37x23.png", "noise_64x48.png", "tiny_5x3.png", "tall_9x40.png");
        for (String label : List.of("Real", "Fake")) {
            Files.createDirectories(data.resolve(label));
            for (String n : names) {
                Files.copy(Fixtures.dir().resolve("images").resolve(n), data.resolve(label).resolve(n));
            }
        }
        Files.writeString(data.resolve("Fake/broken.jpg"), "not an image");
        try (Detector d = Detector.load(Fixtures.tinyModel(), DetectorOptions.DEFAULTS.withThreads(1))) {
            Dataset ds = Dataset.open(data, null);
            Evaluation.Result r = Evaluation.run(d, ds, LabelMapping.of(ds.labels(), d.model().config().labels(), Map.of()),
                    new Evaluation.Options(0.9, Perturbation.parseList("jpeg:40,blur:1")), null);
            html = HtmlReport.render(r, Provenance.of(d), 4);
        }
        Files.writeString(tmp.resolve("report.html"), html);
    }

    @Test
    void isSelfContainedWithEverySection() {
        for (String section : List.of("Classification report", "Confusion matrix", "Curves", "Robustness",
                "Most confident mistakes", "Unreadable images", "Provenance", "onnx_sha256")) {
            assertTrue(html.contains(section), section);
        }
        for (String plot : List.of("id=\"roc\"", "id=\"pr\"", "id=\"hist\"", "id=\"calibration\"")) {
            assertTrue(html.contains(plot), plot);
        }
        assertTrue(html.contains("data:image/jpeg;base64,"), "thumbnails are embedded");
        assertFalse(html.contains("<script"), "no script");
        Matcher external = Pattern.compile("(src|href)=\"(https?:)?//").matcher(html);
        assertFalse(external.find(), "no network resources");
        assertTrue(html.contains("broken.jpg"));
    }

    /**
     * With a face model, each mistake's thumbnail has the box of the face that decided it drawn on it, and images
     * without a face are listed, not shown as mistakes.
     */
    @Test
    void mistakesShowTheDecidingFace(@TempDir Path dir) throws IOException {
        Path model = Files.createDirectories(dir.resolve("face-model/onnx")).getParent();
        for (String f : List.of("config.json", "preprocessor_config.json", "onnx/model.onnx")) {
            Files.copy(Fixtures.tinyModel().resolve(f), model.resolve(f));
        }
        Files.writeString(model.resolve(dev.dfd.internal.face.FaceCrop.FILE), dev.dfd.internal.face.FaceCrop.DFDC.toJson());
        Path data = dir.resolve("data");
        for (String label : List.of("Real", "Fake")) {
            Files.createDirectories(data.resolve(label));
            Files.copy(Fixtures.dir().resolve("faces/astronaut_256.png"), data.resolve(label).resolve("astronaut.png"));
            Files.copy(Fixtures.dir().resolve("images/noise_64x48.png"), data.resolve(label).resolve("noise.png"));
        }
        String report;
        Evaluation.Result r;
        try (Detector d = Detector.load(model, DetectorOptions.DEFAULTS.withThreads(1))) {
            Dataset ds = Dataset.open(data, null);
            r = Evaluation.run(d, ds, LabelMapping.of(ds.labels(), d.model().config().labels(), Map.of()),
                    new Evaluation.Options(null, List.of()), null);
            report = HtmlReport.render(r, Provenance.of(d), 4);
        }
        assertEquals(2, r.scored().size(), "the astronaut under both labels");
        assertEquals(2, r.noFace().size(), "noise has no face");
        Evaluation.Scored mistake = r.scored().stream().filter(s -> s.predId() != s.trueId()).findFirst().orElseThrow();
        assertEquals(1, mistake.faces());
        assertTrue(mistake.face().width() > 40 && mistake.face().width() < 200, "a face-sized box " + mistake.face());

        String gallery = report.substring(report.indexOf("Most confident mistakes"));
        Matcher img = Pattern.compile("data:image/jpeg;base64,([A-Za-z0-9+/=]+)").matcher(gallery);
        assertTrue(img.find(), "the mistake's thumbnail");
        BufferedImage thumb = ImageIO.read(new java.io.ByteArrayInputStream(java.util.Base64.getDecoder()
                .decode(img.group(1))));
        // the box's outline is yellow (245, 194, 24) along the scaled box's top edge, and not at the image's corner
        double scale = (double) thumb.getWidth() / 256;
        int top = (int) Math.round(mistake.face().y() * scale);
        int yellowOnTop = 0;
        for (int x = (int) Math.ceil(mistake.face().x() * scale) + 2;
             x < (mistake.face().x() + mistake.face().width()) * scale - 2; x++) {
            if (yellowish(thumb.getRGB(x, Math.min(thumb.getHeight() - 1, Math.max(0, top))))) {
                yellowOnTop++;
            }
        }
        assertTrue(yellowOnTop > 0.8 * mistake.face().width() * scale - 5, "yellow pixels on the top edge: " + yellowOnTop);
        assertFalse(yellowish(thumb.getRGB(1, 1)));
    }

    private static boolean yellowish(int rgb) {
        int red = rgb >> 16 & 0xFF;
        int green = rgb >> 8 & 0xFF;
        int blue = rgb & 0xFF;
        return red > 190 && green > 140 && green < 230 && blue < 110;
    }

    /** Chromium draws the report: the ROC and PR series colours appear in the pixels of the screenshot. */
    @Test
    void rendersThePlotsInChromium() throws Exception {
        Path png = Path.of("target", "html-report-screenshot.png");
        Files.createDirectories(png.getParent());
        Files.deleteIfExists(png);
        Chromium.screenshot(tmp.resolve("report.html").toUri().toString(), png, 1200, 2400);
        BufferedImage shot = ImageIO.read(png.toFile());
        assertEquals(1200, shot.getWidth());
        int rocBlue = 0;
        int prOrange = 0;
        for (int y = 0; y < shot.getHeight(); y++) {
            for (int x = 0; x < shot.getWidth(); x++) {
                int rgb = shot.getRGB(x, y) & 0xFFFFFF;
                rocBlue += near(rgb, 0x2a6fdb) ? 1 : 0;
                prOrange += near(rgb, 0xd9480f) ? 1 : 0;
            }
        }
        assertTrue(rocBlue > 200, "ROC curve pixels: " + rocBlue);
        assertTrue(prOrange > 200, "PR curve pixels: " + prOrange);
    }

    private static boolean near(int rgb, int target) {
        for (int shift = 0; shift <= 16; shift += 8) {
            if (Math.abs(((rgb >> shift) & 0xFF) - ((target >> shift) & 0xFF)) > 24) {
                return false;
            }
        }
        return true;
    }
}
