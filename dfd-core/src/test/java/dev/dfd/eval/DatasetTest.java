package dev.dfd.eval;

import dev.dfd.DfdException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class DatasetTest {
    @TempDir
    Path root;

    private void touch(String relative) throws IOException {
        Path p = root.resolve(relative);
        Files.createDirectories(p.getParent());
        Files.write(p, new byte[]{1});
    }

    @Test
    void imageFolderIsSortedByLabelThenPath() throws IOException {
        touch("Real/b.jpg");
        touch("Real/sub/a.png");
        touch("Fake/z.webp");
        touch("Fake/notes.txt");
        touch("Fake/.hidden.jpg");
        Dataset d = Dataset.open(root, null);
        assertEquals(List.of("Fake", "Real"), d.labels());
        assertEquals(List.of(root.resolve("Fake/z.webp"), root.resolve("Real/b.jpg"), root.resolve("Real/sub/a.png")),
                d.images().stream().map(Dataset.LabeledImage::path).toList());
    }

    @Test
    void splitFoldersNeedSplit() throws IOException {
        touch("train/Real/a.jpg");
        touch("test/Real/b.jpg");
        touch("test/Fake/c.jpg");
        DfdException e = assertThrows(DfdException.class, () -> Dataset.open(root, null));
        assertTrue(e.getMessage().contains("split into [train, test]; choose one with --split"), e.getMessage());
        assertEquals(2, Dataset.open(root, "test").images().size());
        assertThrows(DfdException.class, () -> Dataset.open(root, "val"));
    }

    @Test
    void csvManifestWithSplitAndQuotes() throws IOException {
        touch("imgs/a,1.jpg");
        Files.writeString(root.resolve("m.csv"), """
                path,label,group,split
                "imgs/a,1.jpg",real,g1,test
                imgs/b.jpg,ai,g2,train
                imgs/c.jpg,ai,g3,test
                """);
        Dataset d = Dataset.open(root.resolve("m.csv"), "test");
        assertEquals(2, d.images().size());
        assertEquals(root.resolve("imgs/a,1.jpg"), d.images().get(0).path());
        assertEquals("g3", d.images().get(1).group());
        Files.writeString(root.resolve("bad.csv"), "file,class\nx.jpg,Real\n");
        assertTrue(assertThrows(DfdException.class, () -> Dataset.open(root.resolve("bad.csv"), null)).getMessage()
                .contains("must name columns path and label"));
    }

    @Test
    void labelsMatchIgnoringCaseOrThroughAMap() {
        List<String> model = List.of("Real", "Fake");
        LabelMapping m = LabelMapping.of(List.of("fake", "REAL"), model, Map.of());
        assertEquals(1, m.id("fake"));
        assertEquals(0, m.id("REAL"));
        LabelMapping mapped = LabelMapping.of(List.of("ai", "real"), model, LabelMapping.parse("ai=Fake"));
        assertEquals(1, mapped.id("ai"));
        DfdException e = assertThrows(DfdException.class,
                () -> LabelMapping.of(List.of("ai", "gan", "real"), model, Map.of()));
        assertTrue(e.getMessage().startsWith("data set labels [ai, gan] not among the model's labels [Real, Fake]"),
                e.getMessage());
        assertThrows(dev.dfd.DfdException.class, () -> LabelMapping.parse("ai"));
    }

    @Test
    void perturbationsParseAndChangeImagesDeterministically() {
        List<Perturbation> ps = Perturbation.parseList("jpeg:30,blur:1.5,downscale:0.5,noise:8");
        assertEquals(List.of("jpeg:30", "blur:1.5", "downscale:0.5", "noise:8"),
                ps.stream().map(Perturbation::name).toList());
        byte[] px = new byte[40 * 30 * 3];
        for (int i = 0; i < px.length; i++) {
            px[i] = (byte) ((i * 37) ^ (i / 120) * 91);
        }
        dev.dfd.RgbImage img = new dev.dfd.RgbImage(40, 30, px);
        for (Perturbation p : ps) {
            dev.dfd.RgbImage out = p.apply(img, 7);
            assertEquals(40, out.width(), p.name());
            assertEquals(30, out.height(), p.name());
            assertTrue(!java.util.Arrays.equals(px, out.pixels()), p.name() + " changed nothing");
            assertTrue(java.util.Arrays.equals(out.pixels(), p.apply(img, 7).pixels()), p.name() + " not repeatable");
        }
        for (String bad : List.of("jpeg:0", "jpeg:101", "blur:0", "downscale:1", "noise:-1", "sharpen:2", "jpeg")) {
            assertThrows(dev.dfd.DfdException.class, () -> Perturbation.parse(bad), bad);
        }
    }
}
