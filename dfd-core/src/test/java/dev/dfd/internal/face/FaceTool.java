package dev.dfd.internal.face;

import dev.dfd.Face;
import dev.dfd.RgbImage;
import dev.dfd.internal.io.ImageDecoder;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.stream.Stream;

/**
 * Dev commands for the face stage (test scope, not a test):
 * <pre>
 * java -cp ... dev.dfd.internal.face.FaceTool dfdc DIR N CONFIG...  # detection rate and box geometry on DFDC crops
 * java -cp ... dev.dfd.internal.face.FaceTool scale DIR N CONFIG      # box geometry against face size in the input
 * java -cp ... dev.dfd.internal.face.FaceTool roundtrip DIR N         # re-cut DFDC crops with candidate geometries
 * java -cp ... dev.dfd.internal.face.FaceTool auc MODEL SPLIT_DIR SCALES CENTERS  # ROC AUC by crop geometry
 * java -cp ... dev.dfd.internal.face.FaceTool bench DIR PER_SIZE CONFIG...  # the synthetic benchmark table
 * java -cp ... dev.dfd.internal.face.FaceTool export DIR PER_SIZE OUT # its images and truth, for bench/faces_haar.py
 * java -cp ... dev.dfd.internal.face.FaceTool speed REPEATS           # ms per detect on 224 px to 12 MP images
 * </pre>
 * CONFIG: comma-separated {@code default short full notile levels=N notight score=S minface=PX threads=N}.
 */
public final class FaceTool {
    private FaceTool() {
    }

    public static void main(String[] args) throws Exception {
        switch (args[0]) {
            case "dfdc" -> dfdc(Path.of(args[1]), Integer.parseInt(args[2]),
                    Arrays.copyOfRange(args, 3, args.length));
            case "scale" -> scale(Path.of(args[1]), Integer.parseInt(args[2]), args[3]);
            case "roundtrip" -> roundtrip(Path.of(args[1]), Integer.parseInt(args[2]));
            case "auc" -> auc(Path.of(args[1]), Path.of(args[2]), args[3], args[4]);
            case "speed" -> speed(Integer.parseInt(args[1]));
            case "bench" -> bench(Path.of(args[1]), Integer.parseInt(args[2]),
                    Arrays.copyOfRange(args, 3, args.length));
            case "export" -> export(Path.of(args[1]), Integer.parseInt(args[2]), Path.of(args[3]));
            default -> throw new IllegalArgumentException("unknown command " + args[0]);
        }
    }

    static List<Path> firstImages(Path dir, int n) throws IOException {
        try (Stream<Path> s = Files.list(dir)) {
            return s.filter(p -> p.toString().endsWith(".jpg")).sorted().limit(n).toList();
        }
    }

    static double median(List<Double> v) {
        double[] a = v.stream().mapToDouble(Double::doubleValue).sorted().toArray();
        return a.length == 0 ? Double.NaN : a[a.length / 2];
    }

    static double quantile(List<Double> v, double q) {
        double[] a = v.stream().mapToDouble(Double::doubleValue).sorted().toArray();
        return a.length == 0 ? Double.NaN : a[(int) Math.min(a.length - 1, Math.floor(q * a.length))];
    }

    /** Detection rate of each configuration on DFDC crops and the box geometry of the first configuration. */
    static void dfdc(Path dir, int n, String[] names) throws Exception {
        List<Path> files = new ArrayList<>();
        files.addAll(firstImages(dir.resolve("Real"), n));
        files.addAll(firstImages(dir.resolve("Fake"), n));
        ImageDecoder decoder = new ImageDecoder();
        List<RgbImage> images = new ArrayList<>();
        for (Path f : files) {
            images.add(decoder.decode(Files.readAllBytes(f)));
        }
        for (String name : names) {
            FaceDetectorOptions o = config(name);
            List<Double> side = new ArrayList<>();
            List<Double> sideW = new ArrayList<>();
            List<Double> sideH = new ArrayList<>();
            List<Double> cx = new ArrayList<>();
            List<Double> cy = new ArrayList<>();
            List<Double> angle = new ArrayList<>();
            int found = 0;
            int multi = 0;
            long t0 = System.nanoTime();
            try (FaceDetector d = new FaceDetector(o)) {
                for (RgbImage img : images) {
                    List<Face> faces = d.detect(img);
                    if (faces.isEmpty()) {
                        continue;
                    }
                    found++;
                    multi += faces.size() > 1 ? 1 : 0;
                    Face f = faces.get(0);
                    Face.Box b = f.box();
                    side.add((double) Math.max(b.width(), b.height()) / img.width());
                    sideW.add((double) img.width() / b.width());
                    sideH.add((double) img.height() / b.height());
                    cx.add((double) b.centerX() / img.width());
                    cy.add((double) b.centerY() / img.height());
                    Face.Point r = f.keypoint(Face.Keypoint.RIGHT_EYE);
                    Face.Point l = f.keypoint(Face.Keypoint.LEFT_EYE);
                    angle.add(Math.toDegrees(Math.atan2(l.y() - r.y(), l.x() - r.x())));
                }
            }
            double ms = (System.nanoTime() - t0) / 1e6 / images.size();
            System.out.printf("%s tileLevels=%d tight=%s minScore=%.2f: found %d/%d (%.4f), >1 face %d, %.1f ms/img%n",
                    o.model(), o.tileLevels(), o.tightPass(), o.minScore(), found, images.size(),
                    found / (double) images.size(), multi, ms);
            System.out.printf("  crop side / box width: median %.4f (p10 %.4f, p90 %.4f); / box height %.4f;"
                            + " crop side / max box side %.4f%n", median(sideW), quantile(sideW, 0.1),
                    quantile(sideW, 0.9), median(sideH), 1 / median(side));
            System.out.printf("  box centre x / width: median %.4f (p10 %.4f p90 %.4f); centre y / height: median"
                            + " %.4f (p10 %.4f p90 %.4f); eye angle median %.2f deg (p10 %.2f p90 %.2f)%n",
                    median(cx), quantile(cx, 0.1), quantile(cx, 0.9), median(cy), quantile(cy, 0.1),
                    quantile(cy, 0.9), median(angle), quantile(angle, 0.1), quantile(angle, 0.9));
        }
    }

    static final Path FIXTURES = Path.of("dfd-core/src/test/resources/fixtures");

    static List<java.awt.image.BufferedImage> faceCrops(Path dfdc, int n) throws IOException {
        List<java.awt.image.BufferedImage> out = new ArrayList<>();
        ImageDecoder decoder = new ImageDecoder();
        List<Path> real = firstImages(dfdc.resolve("Real"), n / 2);
        List<Path> fake = firstImages(dfdc.resolve("Fake"), n - n / 2);
        for (int i = 0; i < Math.max(real.size(), fake.size()); i++) {
            for (List<Path> l : List.of(real, fake)) {
                if (i < l.size()) {
                    out.add(decoder.decode(Files.readAllBytes(l.get(i))).toBufferedImage());
                }
            }
        }
        return out;
    }

    static FaceDetectorOptions config(String name) {
        FaceDetectorOptions o = FaceDetectorOptions.DEFAULT;
        for (String part : name.split(",")) {
            String[] kv = part.split("=");
            o = switch (kv[0]) {
                case "default" -> o;
                case "short" -> o.withModel(FaceModel.SHORT_RANGE_128);
                case "full" -> o.withModel(FaceModel.FULL_RANGE_256);
                case "notile" -> o.withPasses(0, o.tightPass());
                case "levels" -> o.withPasses(Integer.parseInt(kv[1]), o.tightPass());
                case "notight" -> o.withPasses(o.tileLevels(), false);
                case "score" -> o.withMinScore(Float.parseFloat(kv[1]));
                case "minface" -> o.withMinFaceSize(Integer.parseInt(kv[1]));
                case "threads" -> o.withIntraOpThreads(Integer.parseInt(kv[1]));
                default -> throw new IllegalArgumentException(part);
            };
        }
        return o;
    }

    /** The synthetic benchmark ({@link SyntheticFaces}) for each configuration named. */
    static void bench(Path dfdc, int perSize, String[] configs) throws Exception {
        List<SyntheticFaces.Sample> faces = SyntheticFaces.faceImages(FIXTURES, faceCrops(dfdc, 200), perSize, 42);
        List<SyntheticFaces.Sample> free = SyntheticFaces.faceFree(FIXTURES, 7);
        for (String c : configs) {
            FaceDetectorOptions o = config(c);
            try (FaceDetector d = new FaceDetector(o)) {
                StringBuilder row = new StringBuilder(c + " |");
                int fpFace = 0;
                long t0 = System.nanoTime();
                for (int size : SyntheticFaces.SIZES) {
                    int tp = 0;
                    int total = 0;
                    for (SyntheticFaces.Sample s : faces) {
                        if (s.size() == size) {
                            int[] m = SyntheticFaces.match(s.truth(), d.detect(s.image()));
                            tp += m[0];
                            fpFace += m[1];
                            total += s.truth().size();
                        }
                    }
                    row.append(String.format(" %.2f |", tp / (double) total));
                }
                double msFace = (System.nanoTime() - t0) / 1e6 / faces.size();
                int fp = 0;
                StringBuilder which = new StringBuilder();
                for (SyntheticFaces.Sample s : free) {
                    int k = d.detect(s.image()).size();
                    fp += k;
                    if (k > 0) {
                        which.append(s.name()).append('=').append(k).append(' ');
                    }
                }
                row.append(String.format(" %.2f | %.2f | %.1f ms | %s", fp / (double) free.size(),
                        fpFace / (double) faces.size(), msFace, which));
                System.out.println(row);
            }
        }
    }

    /** Writes the benchmark images (PNG) and truth (truth.tsv) for the Haar baseline script. */
    static void export(Path dfdc, int perSize, Path out) throws Exception {
        Files.createDirectories(out);
        List<SyntheticFaces.Sample> all = new ArrayList<>(
                SyntheticFaces.faceImages(FIXTURES, faceCrops(dfdc, 200), perSize, 42));
        all.addAll(SyntheticFaces.faceFree(FIXTURES, 7));
        StringBuilder tsv = new StringBuilder("name\tsize\tx\ty\tw\th\n");
        for (SyntheticFaces.Sample s : all) {
            javax.imageio.ImageIO.write(s.image().toBufferedImage(), "png", out.resolve(s.name() + ".png").toFile());
            if (s.truth().isEmpty()) {
                tsv.append(s.name()).append("\t0\t\t\t\t\n");
            }
            for (Face.Box b : s.truth()) {
                tsv.append(String.format("%s\t%d\t%.2f\t%.2f\t%.2f\t%.2f%n", s.name(), s.size(), b.x(), b.y(),
                        b.width(), b.height()));
            }
        }
        Files.writeString(out.resolve("truth.tsv"), tsv);
    }

    /** Box geometry of DFDC crops pasted in the middle of black canvases of 1.5 to 8 times their side. */
    static void scale(Path dfdc, int n, String config) throws Exception {
        List<java.awt.image.BufferedImage> crops = faceCrops(dfdc, n);
        try (FaceDetector d = new FaceDetector(config(config).withPasses(0, false))) {
            for (double f : new double[] {1, 1.5, 2, 2.5, 3, 4, 6, 8}) {
                List<Double> ratio = new ArrayList<>();
                List<Double> cy = new ArrayList<>();
                for (java.awt.image.BufferedImage c : crops) {
                    int side = (int) Math.round(224 * f);
                    var canvas = new java.awt.image.BufferedImage(side, side,
                            java.awt.image.BufferedImage.TYPE_3BYTE_BGR);
                    int off = (side - 224) / 2;
                    canvas.getGraphics().drawImage(c, off, off, null);
                    List<Face> faces = d.detect(ImageDecoder.fromBufferedImage(canvas));
                    if (!faces.isEmpty()) {
                        Face.Box b = faces.get(0).box();
                        ratio.add(224.0 / Math.max(b.width(), b.height()));
                        cy.add((b.centerY() - off) / 224.0);
                    }
                }
                System.out.printf("canvas %.1fx (face ~%.0f%% of input): found %.3f, crop/box median %.4f (p10 %.4f"
                        + " p90 %.4f), centre y %.4f%n", f, 100 / f / 1.1, ratio.size() / (double) crops.size(),
                        median(ratio), quantile(ratio, 0.1), quantile(ratio, 0.9), median(cy));
            }
        }
    }

    /**
     * Re-cuts DFDC crops: each crop in the middle of a 3x edge-padded canvas is detected and cut with candidate
     * geometries; prints the mean absolute pixel difference to the original crop (0 = reproduced exactly).
     */
    static void roundtrip(Path dfdc, int n) throws Exception {
        List<java.awt.image.BufferedImage> crops = faceCrops(dfdc, n);
        List<double[]> list = new ArrayList<>();
        list.add(new double[] {1.22, 0.46});
        for (double sc = 1.04; sc < 1.165; sc += 0.02) {
            for (double cy = 0.52; cy < 0.575; cy += 0.01) {
                list.add(new double[] {sc, cy});
            }
        }
        double[][] geometries = list.toArray(new double[0][]);
        double[] sum = new double[geometries.length];
        int found = 0;
        try (FaceDetector d = new FaceDetector()) {
            for (java.awt.image.BufferedImage c : crops) {
                RgbImage crop = ImageDecoder.fromBufferedImage(c);
                RgbImage canvas = FaceCrop.pad(crop, 224);
                List<Face> faces = d.detect(canvas);
                if (faces.isEmpty()) {
                    continue;
                }
                found++;
                for (int g = 0; g < geometries.length; g++) {
                    FaceCrop fc = new FaceCrop(FaceModel.FULL_RANGE_256, true, geometries[g][0], geometries[g][1],
                            false, 224, 224, FaceCrop.Fill.EDGE);
                    RgbImage cut = fc.cut(canvas, faces.get(0));
                    long diff = 0;
                    for (int i = 0; i < cut.pixels().length; i++) {
                        diff += Math.abs((cut.pixels()[i] & 0xFF) - (crop.pixels()[i] & 0xFF));
                    }
                    sum[g] += diff / (double) cut.pixels().length;
                }
            }
        }
        System.out.printf("found %d/%d%n", found, crops.size());
        for (int g = 0; g < geometries.length; g++) {
            System.out.printf("scale %.2f centre_y %.2f: mean |diff| %.2f%n", geometries[g][0], geometries[g][1],
                    sum[g] / found);
        }
    }

    /**
     * ROC AUC of a face model over a labelled split ({@code Real/} and {@code Fake/} folders) through the face stage,
     * for each crop geometry (scale x center_y, the model's other dfd_faces.json fields kept), beside the AUC on the
     * original images over the same subset. Faces are found once per image, with the detector settings
     * {@code Detector} uses; an image's score is its most positive face's, as in detection.
     */
    static void auc(Path modelDir, Path split, String scales, String centers) throws Exception {
        double[] sc = Arrays.stream(scales.split(",")).mapToDouble(Double::parseDouble).toArray();
        double[] cy = Arrays.stream(centers.split(",")).mapToDouble(Double::parseDouble).toArray();
        List<Path> real = firstImages(split.resolve("Real"), Integer.MAX_VALUE);
        List<Path> fake = firstImages(split.resolve("Fake"), Integer.MAX_VALUE);
        List<Boolean> y = new ArrayList<>();
        List<Double> whole = new ArrayList<>();
        List<double[]> byGeometry = new ArrayList<>(); // per image: one score per geometry
        int noFace = 0;
        try (dev.dfd.Detector model = dev.dfd.Detector.load(modelDir);
             FaceDetector detector = new FaceDetector(FaceDetectorOptions.DEFAULT
                     .withModel(model.model().faceCrop().detector()))) {
            FaceCrop base = model.model().faceCrop();
            int positive = model.model().labels().indexOf(model.model().defaultPositiveLabel());
            ImageDecoder decoder = new ImageDecoder();
            for (List<Path> files : List.of(real, fake)) {
                for (Path p : files) {
                    RgbImage image = decoder.decode(Files.readAllBytes(p));
                    List<Face> faces = detector.detect(image);
                    if (faces.isEmpty()) {
                        noFace++;
                        continue;
                    }
                    double[] scores = new double[sc.length * cy.length];
                    for (int s = 0; s < sc.length; s++) {
                        for (int c = 0; c < cy.length; c++) {
                            FaceCrop g = new FaceCrop(base.detector(), base.square(), sc[s], cy[c], base.rotate(),
                                    base.width(), base.height(), base.fill());
                            double best = 0;
                            for (Face f : faces) {
                                best = Math.max(best, model.predict(g.cut(image, f)).scores()[positive]);
                            }
                            scores[s * cy.length + c] = best;
                        }
                    }
                    byGeometry.add(scores);
                    whole.add((double) model.predict(image).scores()[positive]);
                    y.add(files == fake);
                }
            }
        }
        boolean[] labels = new boolean[y.size()];
        for (int i = 0; i < labels.length; i++) {
            labels[i] = y.get(i);
        }
        System.out.printf("%d images with a face, %d without%n", labels.length, noFace);
        System.out.printf("original images, same subset: ROC AUC %.4f%n",
                dev.dfd.eval.BinaryMetrics.rocAuc(labels, whole.stream().mapToDouble(Double::doubleValue).toArray()));
        for (int s = 0; s < sc.length; s++) {
            for (int c = 0; c < cy.length; c++) {
                int k = s * cy.length + c;
                double[] scores = byGeometry.stream().mapToDouble(v -> v[k]).toArray();
                System.out.printf("scale %.2f center_y %.2f: ROC AUC %.4f%n", sc[s], cy[c],
                        dev.dfd.eval.BinaryMetrics.rocAuc(labels, scores));
            }
        }
    }

    /** ms per {@link FaceDetector#detect} (median of {@code repeats}) by image size, 1 ONNX thread and default. */
    static void speed(int repeats) throws Exception {
        RgbImage face = new ImageDecoder().decode(Files.readAllBytes(FIXTURES.resolve("faces/astronaut_face.png")));
        int[][] sizes = {{224, 224}, {1155, 866}, {2000, 1500}, {4000, 3000}};
        for (int threads : new int[] {1, 0}) {
            try (FaceDetector d = new FaceDetector(FaceDetectorOptions.DEFAULT.withIntraOpThreads(threads))) {
                for (int[] s : sizes) {
                    RgbImage img;
                    if (s[0] == 224) {
                        img = face;
                    } else {
                        var canvas = new java.awt.image.BufferedImage(s[0], s[1],
                                java.awt.image.BufferedImage.TYPE_3BYTE_BGR);
                        var g = canvas.createGraphics();
                        g.drawImage(SyntheticFaces.texture(FIXTURES, "grass").toBufferedImage(), 0, 0, s[0], s[1],
                                null);
                        g.drawImage(face.toBufferedImage(), s[0] / 3, s[1] / 3, s[0] / 8, s[0] / 8, null);
                        g.dispose();
                        img = ImageDecoder.fromBufferedImage(canvas);
                    }
                    d.detect(img); // warm-up
                    List<Double> ms = new ArrayList<>();
                    int faces = 0;
                    for (int i = 0; i < repeats; i++) {
                        long t0 = System.nanoTime();
                        faces = d.detect(img).size();
                        ms.add((System.nanoTime() - t0) / 1e6);
                    }
                    System.out.printf("%dx%d (%.1f MP), %d windows, threads %s: %.1f ms (median of %d), %d face%n",
                            s[0], s[1], s[0] * (double) s[1] / 1e6, d.plan(s[0], s[1]).size(),
                            threads == 0 ? "default" : "1", median(ms), repeats, faces);
                }
            }
        }
    }

    static String fmt(double[] v) {
        return Arrays.toString(v);
    }
}
