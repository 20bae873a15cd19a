package dev.dfd.internal.face;

import ai.onnxruntime.NodeInfo;
import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtLoggingLevel;
import ai.onnxruntime.OrtSession;
import ai.onnxruntime.TensorInfo;
import dev.dfd.DfdException;
import dev.dfd.Face;
import dev.dfd.RgbImage;

import java.io.IOException;
import java.io.InputStream;
import java.nio.FloatBuffer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;

/**
 * Finds faces with MediaPipe BlazeFace in ONNX Runtime. {@link #detect} reads the image through one or more square
 * windows, each sampled straight from the {@link RgbImage} to the model's input size (no full-size copy):
 * <ol>
 *   <li>the whole image letterboxed into a square (black padding, aspect kept);</li>
 *   <li>with {@link FaceDetectorOptions#tightPass()}, the whole image in the middle of a black square three times its
 *       longer side, for faces that fill the frame (the model misses or misplaces faces filling most of its input;
 *       on DFDC validation crops a 3x canvas finds 98.3%, 2x 96.6%);</li>
 *   <li>with {@link FaceDetectorOptions#tileLevels()} &gt; 0, overlapping tiles of half, a quarter, ... of the longer
 *       side (never below the model's input size), until a face of {@link FaceDetectorOptions#minFaceSize()} spans
 *       {@link #SMALLEST_FACE} of a tile or the levels run out.</li>
 * </ol>
 * Every window's anchors are decoded, mapped back to the original pixels, and merged by MediaPipe's weighted
 * non-maximum suppression. One instance owns one session; {@code detect} may be called from many threads; {@link
 * #close} is idempotent and never closes the process-wide OrtEnvironment.
 */
public final class FaceDetector implements AutoCloseable {
    /** The smallest face, as a fraction of the model input's side, that the tiling plan relies on finding. */
    static final float SMALLEST_FACE = 0.08f;
    /** Tiles overlap by this fraction of their side (larger than the smallest face of the next coarser level). */
    static final float TILE_OVERLAP = 0.25f;
    /** A tile's detection within this fraction of its box side of an inner tile edge is dropped (cut faces). */
    static final float EDGE_MARGIN = 0.25f;

    /**
     * Faces larger than this fraction of a window are dropped when a coarser window covers them too: the model finds
     * them there, while its boxes for faces filling most of its input are unreliable (too small, or partial).
     */
    static final float LARGEST_FACE = 0.5f;
    /** The tight pass's canvas side, in multiples of the image's longer side. */
    static final double TIGHT_CANVAS = 3;
    /** A face with more than this fraction of its box inside a better-scoring face's box is dropped. */
    static final float CONTAINED = 0.5f;

    static final String INPUT = "input:0";
    /** Scores and regressors of the 16x16x2 grid, then of the 8x8x6 grid. */
    static final String[] SCORES = {"Identity:0", "Identity_1:0"};
    static final String[] BOXES = {"Identity_2:0", "Identity_3:0"};

    private final FaceDetectorOptions options;
    private final OrtEnvironment env;
    private final OrtSession session;
    private final float[] anchors; // (896, 4)
    private volatile boolean closed;

    /** Opens the model named in {@code options} from dfd-core's resources. */
    public FaceDetector(FaceDetectorOptions options) {
        this.options = options;
        this.env = OrtEnvironment.getEnvironment();
        FaceModel model = options.model();
        byte[] bytes = modelBytes(model);
        try (OrtSession.SessionOptions so = new OrtSession.SessionOptions()) {
            so.setOptimizationLevel(OrtSession.SessionOptions.OptLevel.ALL_OPT);
            so.setIntraOpNumThreads(options.intraOpThreads());
            so.setInterOpNumThreads(1);
            so.setSessionLogLevel(OrtLoggingLevel.ORT_LOGGING_LEVEL_ERROR); // the models' unused initializers
            session = env.createSession(bytes, so);
        } catch (OrtException e) {
            throw new DfdException("cannot load face model " + model.resource + ": " + e.getMessage(), e);
        }
        anchors = SsdAnchors.generate(model.anchorOptions);
        try {
            checkSignature(model);
        } catch (RuntimeException | OrtException e) {
            close();
            throw e instanceof DfdException d ? d : new DfdException("face model " + model.resource + ": " + e, e);
        }
    }

    public FaceDetector() {
        this(FaceDetectorOptions.DEFAULT);
    }

    public FaceDetectorOptions options() {
        return options;
    }

    /** The bytes of a shipped model file (resource {@code /dev/dfd/internal/face/<file>}). */
    static byte[] modelBytes(FaceModel model) {
        try (InputStream in = FaceDetector.class.getResourceAsStream(model.resource)) {
            if (in == null) {
                throw new DfdException("face model resource dev/dfd/internal/face/" + model.resource + " is missing");
            }
            return in.readAllBytes();
        } catch (IOException e) {
            throw new DfdException("cannot read face model resource " + model.resource + ": " + e.getMessage(), e);
        }
    }

    private void checkSignature(FaceModel model) throws OrtException {
        int n = model.inputSize;
        expectShape(session.getInputInfo(), INPUT, new long[] {1, n, n, 3});
        int[] perCell = SsdAnchors.anchorsPerCell(model.anchorOptions);
        int total = 0;
        for (int layer = 0; layer < 2; layer++) {
            int grid = (int) Math.ceil((double) n / model.anchorOptions.strides()[layer == 0 ? 0 : 1]);
            long count = (long) grid * grid * perCell[layer];
            expectShape(session.getOutputInfo(), SCORES[layer], new long[] {1, count, 1});
            expectShape(session.getOutputInfo(), BOXES[layer], new long[] {1, count, 16});
            total += (int) count;
        }
        if (total * 4 != anchors.length) {
            throw new DfdException(model.resource + ": outputs cover " + total + " anchors, the graph's settings make "
                    + anchors.length / 4);
        }
    }

    private void expectShape(Map<String, NodeInfo> nodes, String name, long[] shape) {
        NodeInfo node = nodes.get(name);
        if (node == null) {
            throw new DfdException(options.model().resource + ": expected a node " + name + ", found "
                    + nodes.keySet());
        }
        long[] found = ((TensorInfo) node.getInfo()).getShape();
        if (!Arrays.equals(found, shape)) {
            throw new DfdException(options.model().resource + ": " + name + " has shape " + Arrays.toString(found)
                    + ", expected " + Arrays.toString(shape));
        }
    }

    /** A square window of the source image, in source pixels; {@code tile} windows drop faces cut by inner edges. */
    record Window(double x0, double y0, double side, boolean tile, boolean coarser) {
    }

    /** The windows {@link #detect} reads for a {@code width} x {@code height} image, whole-image passes first. */
    List<Window> plan(int width, int height) {
        return plan(width, height, options);
    }

    static List<Window> plan(int width, int height, FaceDetectorOptions options) {
        List<Window> windows = new ArrayList<>();
        double longer = Math.max(width, height);
        windows.add(new Window((width - longer) / 2, (height - longer) / 2, longer, false, options.tightPass()));
        if (options.tightPass()) {
            double canvas = TIGHT_CANVAS * longer;
            windows.add(new Window((width - canvas) / 2, (height - canvas) / 2, canvas, false, false));
        }
        double side = longer;
        // a window of side s finds faces from about SMALLEST_FACE * s: refine until minFaceSize is covered
        for (int level = 0; level < options.tileLevels() && SMALLEST_FACE * side > options.minFaceSize()
                && side / 2 >= options.model().inputSize; level++) {
            side /= 2;
            addTiles(windows, width, height, side);
        }
        return windows;
    }

    private static void addTiles(List<Window> windows, int width, int height, double side) {
        double step = side * (1 - TILE_OVERLAP);
        int nx = width <= side ? 1 : (int) Math.ceil((width - side) / step) + 1;
        int ny = height <= side ? 1 : (int) Math.ceil((height - side) / step) + 1;
        for (int iy = 0; iy < ny; iy++) {
            double y0 = ny == 1 ? (height - side) / 2 : iy * (height - side) / (ny - 1);
            for (int ix = 0; ix < nx; ix++) {
                double x0 = nx == 1 ? (width - side) / 2 : ix * (width - side) / (nx - 1);
                windows.add(new Window(x0, y0, side, true, true));
            }
        }
    }

    /**
     * Every face in {@code image}, best score first, boxes and keypoints in the image's pixel coordinates.
     *
     * @throws DfdException when ONNX Runtime fails or the detector is closed
     */
    public List<Face> detect(RgbImage image) {
        if (closed) {
            throw new IllegalStateException("FaceDetector is closed");
        }
        int n = options.model().inputSize;
        float[] input = new float[n * n * 3]; // (1, n, n, 3) NHWC, RGB in [-1, 1]
        List<Candidate> all = new ArrayList<>();
        for (Window w : plan(image.width(), image.height())) {
            WindowSampler.sample(image, w.x0(), w.y0(), w.side(), n, input, 0);
            float[][] out = runRaw(input);
            all.addAll(windowCandidates(out[0], out[1], anchors, n, w, image.width(), image.height(),
                    options.minScore()));
        }
        return selectFaces(all, options);
    }

    /**
     * One window's raw outputs decoded, the cut and oversized faces of tiles dropped, mapped to the image's pixels.
     *
     * @param raw    (anchors, 16) regressors
     * @param logits (anchors) score logits
     */
    static List<Candidate> windowCandidates(float[] raw, float[] logits, float[] anchors, int inputSize, Window w,
                                            int width, int height, float minScore) {
        List<Candidate> out = new ArrayList<>();
        for (Candidate c : BlazeFaceDecoder.decode(raw, logits, anchors, inputSize, minScore)) {
            if (w.tile() && cutByTileEdge(c, w, width, height)
                    || w.coarser() && Math.max(c.width(), c.height()) > LARGEST_FACE) {
                continue;
            }
            Candidate mapped = c.mapped((float) w.side(), (float) w.x0(), (float) w.y0());
            if (mapped.isFinite()) { // a huge regressor can overflow float once scaled to pixels
                out.add(mapped);
            }
        }
        return out;
    }

    /**
     * Every window's candidates merged by weighted non-maximum suppression, then the faces smaller than
     * {@code minFaceSize}, empty or mostly inside a better face dropped: at most {@code maxFaces}, best first.
     */
    static List<Face> selectFaces(List<Candidate> all, FaceDetectorOptions options) {
        List<Face> faces = new ArrayList<>();
        List<Candidate> kept = new ArrayList<>();
        for (Candidate c : WeightedNms.apply(all, options.iouThreshold(), Integer.MAX_VALUE)) {
            if (!c.isFinite() || Math.max(c.width(), c.height()) < options.minFaceSize() || c.width() <= 0
                    || c.height() <= 0 || insideBetter(c, kept)) {
                continue;
            }
            kept.add(c);
            faces.add(toFace(c));
            if (faces.size() == options.maxFaces()) {
                break;
            }
        }
        return faces;
    }

    /**
     * Whether more than {@link #CONTAINED} of {@code c}'s box lies inside a better face's box: the model's partial
     * detections of a face that fills its input (an eye and cheek, a mouth and chin) overlap the whole-face box
     * by less than the IoU threshold and would otherwise come out as extra faces.
     */
    static boolean insideBetter(Candidate c, List<Candidate> better) {
        float[] a = c.g();
        float area = c.width() * c.height();
        for (Candidate b : better) {
            float iw = Math.min(a[2], b.g()[2]) - Math.max(a[0], b.g()[0]);
            float ih = Math.min(a[3], b.g()[3]) - Math.max(a[1], b.g()[1]);
            if (iw > 0 && ih > 0 && iw * ih > CONTAINED * area) {
                return true;
            }
        }
        return false;
    }

    /**
     * Whether a tile's candidate comes within {@link #EDGE_MARGIN} of its box side of an edge of the tile that is
     * not the image's: the face may be cut there (a partial box), and the neighbouring tile, overlapping by
     * {@link #TILE_OVERLAP}, or the coarser level sees it whole.
     */
    private static boolean cutByTileEdge(Candidate c, Window w, int width, int height) {
        float[] g = c.g();
        float m = EDGE_MARGIN * Math.max(c.width(), c.height());
        return (g[0] - m < 0 && w.x0() > 0.5) || (g[1] - m < 0 && w.y0() > 0.5)
                || (g[2] + m > 1 && w.x0() + w.side() < width - 0.5)
                || (g[3] + m > 1 && w.y0() + w.side() < height - 0.5);
    }

    static Face toFace(Candidate c) {
        float[] g = c.g();
        List<Face.Point> kps = new ArrayList<>(6);
        for (int k = 4; k < Candidate.SIZE; k += 2) {
            kps.add(new Face.Point(g[k], g[k + 1]));
        }
        return new Face(new Face.Box(g[0], g[1], g[2] - g[0], g[3] - g[1]), kps,
                Math.max(0, Math.min(1, c.score())));
    }

    /**
     * One inference on a prepared (1, n, n, 3) input: {regressors (896, 16), logits (896)}, the two anchor grids
     * concatenated in anchor order.
     */
    float[][] runRaw(float[] input) {
        int n = options.model().inputSize;
        try (OnnxTensor t = OnnxTensor.createTensor(env, FloatBuffer.wrap(input), new long[] {1, n, n, 3});
             OrtSession.Result r = session.run(Map.of(INPUT, t))) {
            int anchorsCount = anchors.length / 4;
            float[] raw = new float[anchorsCount * 16];
            float[] logits = new float[anchorsCount];
            int at = 0;
            for (int layer = 0; layer < 2; layer++) {
                FloatBuffer s = ((OnnxTensor) r.get(SCORES[layer]).orElseThrow()).getFloatBuffer();
                FloatBuffer b = ((OnnxTensor) r.get(BOXES[layer]).orElseThrow()).getFloatBuffer();
                int count = s.remaining();
                s.get(logits, at, count);
                b.get(raw, at * 16, count * 16);
                at += count;
            }
            return new float[][] {raw, logits};
        } catch (OrtException e) {
            throw new DfdException("face detection failed: " + e.getMessage(), e);
        }
    }

    @Override
    public synchronized void close() {
        if (closed) {
            return;
        }
        closed = true;
        try {
            session.close();
        } catch (OrtException e) {
            throw new DfdException("cannot close the face model session: " + e.getMessage(), e);
        }
    }
}
