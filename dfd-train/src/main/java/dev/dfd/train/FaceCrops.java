package dev.dfd.train;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.dfd.DecodeLimits;
import dev.dfd.DetectorOptions;
import dev.dfd.DfdException;
import dev.dfd.Face;
import dev.dfd.RgbImage;
import dev.dfd.eval.Dataset;
import dev.dfd.eval.Dataset.LabeledImage;
import dev.dfd.internal.Json;
import dev.dfd.internal.face.FaceCrop;
import dev.dfd.internal.face.FaceDetector;
import dev.dfd.internal.io.ImageDecoder;

import javax.imageio.ImageIO;
import java.io.BufferedWriter;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * {@code dfd train --faces}: the face stage of detection run over raw training photos, once per image. Each image is
 * decoded, its faces found by the detector {@code dfd detect} runs (same model and settings: {@link
 * FaceCrop#detectorOptions}, {@link DetectorOptions#DEFAULTS}' face limits), and its most confident face cut with
 * the geometry the model will declare ({@link FaceCrop#cut}), so training sees what detection will feed the model.
 *
 * <p>Only the best face trains: an image labelled Fake may show real bystanders, and labelling every face in it Fake
 * would teach the model that real faces are fake. Images without a face are skipped and counted.
 *
 * <p>The crops are kept in the run directory ({@code OUT/faces/}, lossless PNG, readable by a person who wants to see
 * what the model was trained on) with an index of the images done ({@code index.jsonl}: path, size, modification
 * time, the face found or none), appended as they finish, so {@code --resume} (even after kill -9 during this stage)
 * finds no face twice. An index made for another crop geometry is discarded.
 */
final class FaceCrops implements AutoCloseable {
    static final String DIR = "faces";
    static final String INDEX = "index.jsonl";

    private final FaceCrop crop;
    private final Path dir;
    private final ImageDecoder decoder = new ImageDecoder(DecodeLimits.DEFAULT);
    /** Index entries by image path (absolute, normalised). */
    private final Map<String, JsonNode> done = new ConcurrentHashMap<>();
    /** Keypoints of each crop in the crop's own pixels, for synthesis (no second detection on the crop). */
    final Map<Path, float[][]> keypoints = new ConcurrentHashMap<>();
    private FaceDetector detector;
    private BufferedWriter index;

    /** What one split became: the crops (images with a face) and what was left out. */
    record Split(Dataset crops, int faceless, int unreadable, int detected) {
    }

    FaceCrops(FaceCrop crop, Path dir) {
        this.crop = crop;
        this.dir = dir;
        try {
            Files.createDirectories(dir);
            Path geometry = dir.resolve(FaceCrop.FILE);
            Path indexFile = dir.resolve(INDEX);
            if (!Files.exists(geometry) || !sameCrop(dir, crop)) {
                Files.deleteIfExists(indexFile); // crops of another geometry: none can be reused
                Files.writeString(geometry, crop.toJson());
            }
            if (Files.exists(indexFile)) {
                for (String line : Files.readAllLines(indexFile, StandardCharsets.UTF_8)) {
                    try {
                        JsonNode n = Json.MAPPER.readTree(line);
                        done.put(n.get("image").asText(), n);
                    } catch (IOException | RuntimeException torn) {
                        // the line a kill -9 cut short: that image is simply done again
                    }
                }
            }
            index = Files.newBufferedWriter(indexFile, StandardCharsets.UTF_8, StandardOpenOption.CREATE,
                    StandardOpenOption.APPEND);
        } catch (IOException e) {
            throw new DfdException(dir + ": cannot keep the face crops here (" + e.getMessage() + ")");
        }
    }

    /** Whether the crops in {@code dir} were cut with {@code crop} (a damaged geometry file: no). */
    private static boolean sameCrop(Path dir, FaceCrop crop) {
        try {
            return FaceCrop.read(dir).map(crop::equals).orElse(false);
        } catch (DfdException damaged) {
            return false;
        }
    }

    /**
     * Every image of {@code split} through the face stage on {@code workers} threads (those done in an earlier run
     * of this run directory are read from the index): the crops as a data set of the same labels, groups and order.
     */
    Split prepare(Dataset split, int workers, PrintStream log) {
        List<LabeledImage> images = split.images();
        ExecutorService pool = Executors.newFixedThreadPool(workers, r -> {
            Thread t = new Thread(r, "dfd-train-faces");
            t.setDaemon(true);
            return t;
        });
        AtomicInteger finished = new AtomicInteger();
        AtomicInteger faceless = new AtomicInteger();
        AtomicInteger unreadable = new AtomicInteger();
        AtomicInteger detected = new AtomicInteger();
        long start = System.nanoTime();
        List<Future<Path>> crops = new ArrayList<>(images.size());
        try {
            for (LabeledImage image : images) {
                crops.add(pool.submit(() -> {
                    Outcome o = cropOf(image.path(), detected);
                    int n = finished.incrementAndGet();
                    if (o == Outcome.NO_FACE) {
                        faceless.incrementAndGet();
                    } else if (o == Outcome.UNREADABLE) {
                        unreadable.incrementAndGet();
                    }
                    if (n % 20 == 0 || n == images.size()) {
                        double s = (System.nanoTime() - start) / 1e9;
                        synchronized (log) {
                            log.printf(Locale.ROOT, "\rfaces (%s): %d/%d images, %d without a face, %.1f images/s   ",
                                    split.split(), n, images.size(), faceless.get(), n / Math.max(s, 1e-9));
                            log.flush();
                        }
                    }
                    return o == Outcome.FACE ? cropFile(image.path()) : null;
                }));
            }
            List<LabeledImage> kept = new ArrayList<>();
            for (int i = 0; i < images.size(); i++) {
                Path c = crops.get(i).get();
                if (c != null) {
                    LabeledImage im = images.get(i);
                    kept.add(new LabeledImage(c, im.label(), im.group(), im.split()));
                }
            }
            if (!images.isEmpty()) {
                log.println();
            }
            index.flush();
            return new Split(new Dataset(split.source(), split.split(), kept), faceless.get(), unreadable.get(),
                    detected.get());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new DfdException("interrupted while finding faces");
        } catch (ExecutionException e) {
            if (e.getCause() instanceof RuntimeException r) {
                throw r;
            }
            throw new DfdException("finding faces failed: " + e.getCause(), e.getCause());
        } catch (IOException e) {
            throw new DfdException(dir.resolve(INDEX) + ": cannot write (" + e.getMessage() + ")");
        } finally {
            pool.shutdownNow();
        }
    }

    private enum Outcome { FACE, NO_FACE, UNREADABLE }

    /** One image through the face stage, or its earlier outcome from the index when the file is unchanged. */
    private Outcome cropOf(Path path, AtomicInteger detected) throws IOException {
        String key = path.toAbsolutePath().normalize().toString();
        long size;
        long modified;
        try {
            size = Files.size(path);
            modified = Files.getLastModifiedTime(path).toMillis();
        } catch (IOException e) {
            return Outcome.UNREADABLE;
        }
        JsonNode before = done.get(key);
        Path file = cropFile(path);
        if (before != null && before.path("bytes").asLong() == size && before.path("modified").asLong() == modified
                && (before.path("face").isNull() || Files.isRegularFile(file))) {
            if (before.path("face").isNull()) {
                return Outcome.NO_FACE;
            }
            keypoints.put(file, inCrop(face(before.get("face"))));
            return Outcome.FACE;
        }
        RgbImage image;
        try {
            image = decoder.decode(Files.readAllBytes(path));
        } catch (IOException | RuntimeException e) {
            return Outcome.UNREADABLE; // not remembered: a file put right is tried again
        }
        List<Face> faces = detector().detect(image);
        detected.incrementAndGet();
        Face best = faces.isEmpty() ? null : faces.get(0); // best first, as detection orders them
        if (best != null) {
            write(crop.cut(image, best), file);
            keypoints.put(file, inCrop(best));
        }
        ObjectNode entry = Json.MAPPER.createObjectNode();
        entry.put("image", key).put("bytes", size).put("modified", modified);
        if (best == null) {
            entry.putNull("face");
        } else {
            entry.set("face", json(best));
        }
        synchronized (this) {
            index.write(Json.MAPPER.writeValueAsString(entry));
            index.write('\n');
            index.flush(); // a line per image: kill -9 loses at most the images in flight
        }
        return best == null ? Outcome.NO_FACE : Outcome.FACE;
    }

    /** The crop's file: a hash of the image's path (any two images differ) and its name (for people looking). */
    Path cropFile(Path image) {
        String key = image.toAbsolutePath().normalize().toString();
        String hash;
        try {
            hash = HexFormat.of().formatHex(java.security.MessageDigest.getInstance("SHA-256")
                    .digest(key.getBytes(StandardCharsets.UTF_8)), 0, 8);
        } catch (java.security.NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
        String name = image.getFileName().toString().replaceAll("[^A-Za-z0-9._-]", "_");
        return dir.resolve(hash + "-" + (name.length() > 60 ? name.substring(0, 60) : name) + ".png");
    }

    private static void write(RgbImage img, Path file) throws IOException {
        Path tmp = file.resolveSibling(file.getFileName() + ".tmp");
        if (!ImageIO.write(img.toBufferedImage(), "png", tmp.toFile())) {
            throw new IOException("no PNG writer");
        }
        Files.move(tmp, file, java.nio.file.StandardCopyOption.REPLACE_EXISTING,
                java.nio.file.StandardCopyOption.ATOMIC_MOVE);
    }

    /**
     * A face's keypoints in the pixels of its crop: the inverse of {@link FaceCrop#cut}'s mapping (crop centre at the
     * box centre, {@code centerY} down, rotated by the eye angle when the crop rotates).
     */
    float[][] inCrop(Face face) {
        Face.Box b = face.box();
        double side = Math.max(b.width(), b.height());
        double srcW = crop.scale() * (crop.square() ? side : b.width());
        double srcH = crop.scale() * (crop.square() ? side : b.height());
        double a = 0;
        if (crop.rotate()) {
            Face.Point r = face.keypoint(Face.Keypoint.RIGHT_EYE);
            Face.Point l = face.keypoint(Face.Keypoint.LEFT_EYE);
            a = Math.atan2(l.y() - r.y(), l.x() - r.x());
        }
        double cos = Math.cos(a);
        double sin = Math.sin(a);
        float[][] k = new float[face.keypoints().size()][];
        for (int i = 0; i < k.length; i++) {
            Face.Point p = face.keypoints().get(i);
            double dx = p.x() - b.centerX();
            double dy = p.y() - b.centerY();
            double u = dx * cos + dy * sin;
            double v = -dx * sin + dy * cos;
            k[i] = new float[]{(float) (u * crop.width() / srcW + 0.5 * crop.width()),
                    (float) (v * crop.height() / srcH + crop.centerY() * crop.height())};
        }
        return k;
    }

    private static ObjectNode json(Face f) {
        ObjectNode o = Json.MAPPER.createObjectNode();
        o.putArray("box").add(f.box().x()).add(f.box().y()).add(f.box().width()).add(f.box().height());
        var k = o.putArray("keypoints");
        for (Face.Point p : f.keypoints()) {
            k.addArray().add(p.x()).add(p.y());
        }
        o.put("score", f.score());
        return o;
    }

    private static Face face(JsonNode n) {
        JsonNode b = n.get("box");
        List<Face.Point> k = new ArrayList<>();
        for (JsonNode p : n.get("keypoints")) {
            k.add(new Face.Point((float) p.get(0).asDouble(), (float) p.get(1).asDouble()));
        }
        return new Face(new Face.Box((float) b.get(0).asDouble(), (float) b.get(1).asDouble(),
                (float) b.get(2).asDouble(), (float) b.get(3).asDouble()), k, (float) n.get("score").asDouble());
    }

    private synchronized FaceDetector detector() {
        if (detector == null) {
            detector = new FaceDetector(crop.detectorOptions(DetectorOptions.DEFAULTS.maxFaces(),
                    DetectorOptions.DEFAULTS.minFaceSize()));
        }
        return detector;
    }

    @Override
    public synchronized void close() {
        if (detector != null) {
            detector.close();
            detector = null;
        }
        try {
            index.close();
        } catch (IOException ignored) {
            // every line was flushed as it was written
        }
    }
}
