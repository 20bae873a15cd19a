package dev.dfd.train;

import dev.dfd.DecodeLimits;
import dev.dfd.DfdException;
import dev.dfd.Face;
import dev.dfd.RgbImage;
import dev.dfd.eval.Dataset.LabeledImage;
import dev.dfd.eval.Dataset;
import dev.dfd.internal.face.FaceDetector;
import dev.dfd.internal.face.FaceDetectorOptions;
import dev.dfd.internal.io.ImageDecoder;
import dev.dfd.internal.postprocess.Postprocessor;
import dev.dfd.internal.preprocess.ImageProcessor;
import dev.dfd.train.synth.Synthesis;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The training and validation splits of a data set, checked before training starts (both splits present, at least
 * two classes, every label known), and the per-epoch sample order: class-balanced (each draw picks a class
 * uniformly, then an image of it), fixed by (seed, epoch), so a resumed run sees the same images.
 */
final class TrainData {
    final Dataset train;
    final Dataset val;
    final Dataset test;
    /**
     * The validation images as given: with --faces the photos (val holds their crops), which the model card runs
     * through the detection path, face stage included; otherwise val itself.
     */
    final Dataset valPhotos;
    /** With --faces: the images of each split in which no face was found (skipped), else 0. */
    final int facelessTrain;
    final int facelessVal;
    /** Labels in model id order: the "real" ones first, the positive (Fake/Deepfake/...) ones last. */
    final List<String> labels;
    /** Per label id: indices into train.images(). */
    final List<List<Integer>> byClass = new ArrayList<>();
    private final ImageDecoder decoder = new ImageDecoder(DecodeLimits.DEFAULT);
    final AtomicInteger unreadable = new AtomicInteger();
    /** Synthetic fakes: the kinds drawn (empty: none), their share of fake draws, and whether real fakes are used. */
    private List<Synthesis.Kind> synthKinds = List.of();
    private double synthFraction;
    private boolean realOnly;
    /** Face keypoints of the images synthesis starts from, found once each. */
    private final Map<Path, float[][]> keypoints = new java.util.concurrent.ConcurrentHashMap<>();
    private FaceDetector faces;
    final AtomicInteger keypointFallbacks = new AtomicInteger();

    private TrainData(Dataset train, Dataset val, Dataset test, List<String> labels, Dataset valPhotos,
                      int facelessTrain, int facelessVal) {
        this.train = train;
        this.val = val;
        this.test = test;
        this.labels = labels;
        this.valPhotos = valPhotos;
        this.facelessTrain = facelessTrain;
        this.facelessVal = facelessVal;
        for (int i = 0; i < labels.size(); i++) {
            byClass.add(new ArrayList<>());
        }
        for (int i = 0; i < train.images().size(); i++) {
            byClass.get(labels.indexOf(train.images().get(i).label())).add(i);
        }
    }

    static TrainData open(Path data, List<String> modelLabels) {
        return open(data, modelLabels, null, 1, null);
    }

    /**
     * The splits of {@code data}; with {@code faces}, the training and validation images are replaced by their face
     * crops (found on {@code workers} threads, progress to {@code log}), and those without a face are left out.
     */
    static TrainData open(Path data, List<String> modelLabels, FaceCrops faces, int workers, PrintStream log) {
        Dataset train = split(data, "train", true);
        Dataset val = split(data, "val", true);
        Dataset test = split(data, "test", false);
        Dataset valPhotos = val;
        int facelessTrain = 0;
        int facelessVal = 0;
        int unreadableImages = 0;
        String skipped = "";
        if (faces != null) {
            FaceCrops.Split t = faces.prepare(train, workers, log);
            FaceCrops.Split v = faces.prepare(val, workers, log);
            facelessTrain = t.faceless();
            facelessVal = v.faceless();
            unreadableImages = t.unreadable() + v.unreadable();
            train = withFaces(data, train, t);
            val = withFaces(data, val, v);
            skipped = " (--faces: " + facelessTrain + " training images without a face were skipped)";
        }
        List<String> found = train.labels();
        if (found.size() < 2) {
            throw new DfdException(data + ": the training split has only the class " + found
                    + "; a detector needs at least two" + skipped);
        }
        for (String l : val.labels()) {
            if (!found.contains(l)) {
                throw new DfdException(data + ": validation label " + l + " does not occur in the training split "
                        + found);
            }
        }
        List<String> labels;
        if (modelLabels != null && new java.util.HashSet<>(modelLabels).equals(new java.util.HashSet<>(found))) {
            labels = modelLabels; // fine-tuning on the same labels keeps the checkpoint's order (and its head)
        } else {
            labels = order(found);
        }
        TrainData d = new TrainData(train, val, test, labels, valPhotos, facelessTrain, facelessVal);
        d.unreadable.addAndGet(unreadableImages);
        if (faces != null) {
            d.keypoints.putAll(faces.keypoints); // synthesis starts from the face already found
        }
        return d;
    }

    /** A split's crops; a split left with no image is an error, not an empty epoch. */
    private static Dataset withFaces(Path data, Dataset raw, FaceCrops.Split s) {
        if (s.crops().images().isEmpty()) {
            throw new DfdException(data + ": no face found in any of the " + raw.images().size() + " images of the "
                    + raw.split() + " split (--faces: " + s.faceless() + " without a face, " + s.unreadable()
                    + " unreadable; faces smaller than " + dev.dfd.DetectorOptions.DEFAULTS.minFaceSize()
                    + " px are not found)");
        }
        return s.crops();
    }

    /** Real-looking labels first, then the ones a detector calls positive (Fake, Deepfake, AI, ...). */
    static List<String> order(List<String> found) {
        List<String> rest = new ArrayList<>();
        List<String> positive = new ArrayList<>();
        for (String l : found) {
            (Postprocessor.defaultPositive(List.of(l, l)) == 0 ? positive : rest).add(l);
        }
        rest.addAll(positive);
        return rest;
    }

    private static Dataset split(Path data, String name, boolean required) {
        boolean csv = Files.isRegularFile(data) && data.getFileName().toString().endsWith(".csv");
        if (!csv && !Files.isDirectory(data.resolve(name))) {
            if (required) {
                throw new DfdException(data + ": no " + name + "/ split; training needs " + data + "/train/<Label>/ and "
                        + data + "/val/<Label>/ (or a CSV manifest with a split column)");
            }
            return null;
        }
        try {
            return Dataset.open(data, name);
        } catch (DfdException e) {
            if (!required && e.getMessage().contains("no rows")) {
                return null;
            }
            throw e;
        }
    }

    /** Makes fakes from real faces too: {@code fraction} of the fake draws, or all of them with {@code realOnly}. */
    void synthesize(List<Synthesis.Kind> kinds, double fraction, boolean realOnly) {
        if (labels.size() != 2) {
            throw new DfdException("synthetic fakes need two labels (real and fake), the data have " + labels);
        }
        this.synthKinds = List.copyOf(kinds);
        this.synthFraction = fraction;
        this.realOnly = realOnly;
    }

    /** The positive (fake) label's id: the label that reads Fake/Deepfake/AI..., as the detector decides it. */
    int positiveId() {
        return Postprocessor.defaultPositive(labels);
    }

    /** The real label's id, with two labels: the other one. */
    int realId() {
        return 1 - positiveId();
    }

    /**
     * Image indices for one epoch: class-balanced draws with replacement, fixed by (seed, epoch). A fake draw may be
     * a synthetic fake, encoded as {@code -(i + 1)} for "a fake made from real image i".
     */
    List<Integer> epochOrder(long seed, int epoch, int count) {
        Random r = new Random(mix(seed, epoch, -1));
        List<Integer> order = new ArrayList<>(count);
        List<Integer> reals = synthKinds.isEmpty() ? List.of() : byClass.get(realId());
        for (int i = 0; i < count; i++) {
            int c = r.nextInt(byClass.size());
            boolean synthetic = c == positiveId() && !synthKinds.isEmpty()
                    && (realOnly || r.nextDouble() < synthFraction);
            if (synthetic) {
                order.add(-(reals.get(r.nextInt(reals.size())) + 1));
            } else {
                List<Integer> cls = byClass.get(c);
                order.add(cls.get(r.nextInt(cls.size())));
            }
        }
        return order;
    }

    /**
     * The validation order: every validation image, or when training on real images only, the validation reals
     * each followed by a synthetic fake made from it (the data's own fakes never take part).
     */
    List<Integer> validationOrder() {
        List<Integer> all = new ArrayList<>();
        for (int i = 0; i < val.images().size(); i++) {
            if (!realOnly) {
                all.add(i);
            } else if (labelId(val.images().get(i)) != positiveId()) {
                all.add(i);
                all.add(-(i + 1));
            }
        }
        return all;
    }

    /** The label id of an order entry: a synthetic fake's is the positive label. */
    int labelIdAt(Dataset dataset, int entry) {
        return entry < 0 ? positiveId() : labelId(dataset.images().get(entry));
    }

    /** A synthetic fake made from {@code real} (an image of {@code path}). */
    RgbImage synthesize(Path path, RgbImage real, Random r) {
        return Synthesis.fake(real, keypointsOf(path, real), synthKinds, r);
    }

    /**
     * The face keypoints of an image, found with the face stage's detector (the most confident face), or, when it
     * finds none, the layout of a face centred as the DFDC crops centre theirs (counted in keypointFallbacks).
     */
    float[][] keypointsOf(Path path, RgbImage img) {
        return keypoints.computeIfAbsent(path, p -> {
            List<Face> found = faceDetector().detect(img);
            if (found.isEmpty()) {
                keypointFallbacks.incrementAndGet();
                return templateKeypoints(img.width(), img.height());
            }
            float[][] k = new float[6][];
            for (int i = 0; i < 6; i++) {
                Face.Point pt = found.get(0).keypoints().get(i);
                k[i] = new float[]{pt.x(), pt.y()};
            }
            return k;
        });
    }

    /** Frees the face detector's session, if synthesis opened one. */
    synchronized void close() {
        if (faces != null) {
            faces.close();
            faces = null;
        }
    }

    private synchronized FaceDetector faceDetector() {
        if (faces == null) {
            faces = new FaceDetector(FaceDetectorOptions.DEFAULT.withMaxFaces(1).withIntraOpThreads(1));
        }
        return faces;
    }

    /** BlazeFace's six keypoints of a frontal face whose box is 90% of the image's side, centred at 54% height. */
    static float[][] templateKeypoints(int w, int h) {
        float side = 0.9f * Math.min(w, h);
        float x0 = w / 2f - side / 2;
        float y0 = 0.54f * h - side / 2;
        float[][] rel = {{0.33f, 0.38f}, {0.67f, 0.38f}, {0.5f, 0.55f}, {0.5f, 0.72f}, {0.05f, 0.45f}, {0.95f, 0.45f}};
        float[][] k = new float[6][];
        for (int i = 0; i < 6; i++) {
            k[i] = new float[]{x0 + rel[i][0] * side, y0 + rel[i][1] * side};
        }
        return k;
    }

    static long mix(long seed, long epoch, long index) {
        long h = seed * 0x9E3779B97F4A7C15L + epoch * 0xC2B2AE3D27D4EB4FL + index * 0x165667B19E3779F9L;
        h ^= h >>> 33;
        h *= 0xFF51AFD7ED558CCDL;
        return h ^ (h >>> 33);
    }

    int labelId(LabeledImage image) {
        return labels.indexOf(image.label());
    }

    /** Decoded image, or null when it cannot be read (counted, skipped). */
    RgbImage decode(Path path) {
        try {
            return decoder.decode(Files.readAllBytes(path));
        } catch (IOException | RuntimeException e) {
            unreadable.incrementAndGet();
            return null;
        }
    }

    /**
     * A batch ready for the model.
     *
     * @param pixels (n, 3, size, size) float32
     * @param labels (n) label ids
     */
    record Batch(float[] pixels, int[] labels, int size) {
        int count() {
            return labels.length;
        }
    }

    /**
     * Loads batches of {@code indices} on {@code workers} threads, in order, each image augmented by a Random of
     * (seed, epoch, position) when {@code augmenter} is given; unreadable images are dropped from their batch.
     */
    static final class Loader implements AutoCloseable {
        private final ExecutorService pool;
        private final TrainData data;
        private final Dataset dataset;
        private final ImageProcessor processor;
        private final Augmenter augmenter;
        private final int size;

        Loader(TrainData data, Dataset dataset, ImageProcessor processor, Augmenter augmenter, int size, int workers) {
            this.data = data;
            this.dataset = dataset;
            this.processor = processor;
            this.augmenter = augmenter;
            this.size = size;
            AtomicInteger n = new AtomicInteger();
            this.pool = Executors.newFixedThreadPool(workers, r -> {
                Thread t = new Thread(r, "dfd-train-loader-" + n.incrementAndGet());
                t.setDaemon(true);
                return t;
            });
        }

        /** Submits the batch at positions [from, to) of {@code order}. */
        Future<Batch> submit(List<Integer> order, int from, int to, long seed, int epoch) {
            List<Future<float[]>> images = new ArrayList<>();
            for (int k = from; k < to; k++) {
                int index = order.get(k);
                long position = k;
                images.add(pool.submit(() -> load(index, new Random(mix(seed, epoch, position)))));
            }
            return pool.submit(() -> {
                Map<Integer, float[]> ok = new TreeMap<>();
                for (int k = 0; k < images.size(); k++) {
                    float[] p = images.get(k).get();
                    if (p != null) {
                        ok.put(k, p);
                    }
                }
                int plane = 3 * size * size;
                float[] pixels = new float[ok.size() * plane];
                int[] labels = new int[ok.size()];
                int j = 0;
                for (Map.Entry<Integer, float[]> e : ok.entrySet()) {
                    System.arraycopy(e.getValue(), 0, pixels, j * plane, plane);
                    labels[j++] = data.labelIdAt(dataset, order.get(from + e.getKey()));
                }
                return new Batch(pixels, labels, size);
            });
        }

        private float[] load(int entry, Random r) {
            int index = entry < 0 ? -entry - 1 : entry;
            Path path = dataset.images().get(index).path();
            RgbImage img = data.decode(path);
            if (img == null) {
                return null;
            }
            if (entry < 0) {
                img = data.synthesize(path, img, r);
            }
            RgbImage ready = augmenter != null ? augmenter.apply(img, r) : processor.resize(img);
            float[] out = new float[3 * size * size];
            processor.toChw(ready, out, 0);
            return out;
        }

        @Override
        public void close() {
            pool.shutdownNow();
        }
    }
}
