package dev.dfd.internal.face;

import com.code_intelligence.jazzer.api.FuzzedDataProvider;
import com.code_intelligence.jazzer.junit.FuzzTest;
import dev.dfd.Face;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The face detector's post-processing fed fuzzed raw tensors instead of BlazeFace's outputs, for windows of the
 * real plan of a fuzzed image size: decoding against the real anchors of the 256 model, the tile filters, the
 * mapping to pixels, weighted NMS and the face filters. Any
 * floats (NaN, infinities, huge values) must give well-formed faces (finite boxes of size >= 0, scores in [0, 1],
 * 6 keypoints, at most maxFaces) or none, never an exception.
 */
class FacePostprocessFuzzTest {
    private static final FaceModel MODEL = FaceModel.FULL_RANGE_256;
    private static final float[] ANCHORS = SsdAnchors.generate(MODEL.anchorOptions); // (896, 4)
    private static final int N = ANCHORS.length / 4;

    @FuzzTest(maxDuration = "3s")
    void decodeAndSelect(FuzzedDataProvider data) {
        int width = data.consumeInt(1, 20_000);
        int height = data.consumeInt(1, 20_000);
        FaceDetectorOptions options = FaceDetectorOptions.DEFAULT.withMinScore(data.consumeInt(0, 99) / 100f)
                .withMaxFaces(data.consumeInt(1, 64)).withMinFaceSize(data.consumeInt(0, 4096));
        List<FaceDetector.Window> plan = FaceDetector.plan(width, height, options);
        List<Candidate> all = new ArrayList<>();
        int windows = data.consumeInt(1, 4);
        for (int k = 0; k < windows && data.remainingBytes() > 0; k++) {
            FaceDetector.Window w = plan.get(data.consumeInt(0, plan.size() - 1));
            float[] raw = new float[N * Candidate.SIZE]; // (896, 16)
            float[] logits = new float[N]; // (896)
            Arrays.fill(logits, -100f); // anchors the input does not mention find nothing
            int anchors = data.consumeInt(0, 32);
            for (int a = 0; a < anchors && data.remainingBytes() > 0; a++) {
                int i = data.consumeInt(0, N - 1);
                logits[i] = data.consumeFloat();
                for (int j = 0; j < Candidate.SIZE; j++) {
                    raw[i * Candidate.SIZE + j] = data.consumeFloat();
                }
            }
            all.addAll(FaceDetector.windowCandidates(raw, logits, ANCHORS, MODEL.inputSize, w, width, height,
                    options.minScore()));
        }
        List<Face> faces = FaceDetector.selectFaces(all, options);
        assertTrue(faces.size() <= options.maxFaces());
        for (Face f : faces) {
            Face.Box b = f.box();
            assertTrue(Float.isFinite(b.x()) && Float.isFinite(b.y()) && Float.isFinite(b.width())
                    && Float.isFinite(b.height()) && b.width() > 0 && b.height() > 0, "box " + b);
            assertTrue(f.score() >= 0 && f.score() <= 1, "score " + f.score());
            assertEquals(Face.Keypoint.values().length, f.keypoints().size());
            f.keypoints().forEach(p -> assertTrue(Float.isFinite(p.x()) && Float.isFinite(p.y()), "keypoint " + p));
        }
    }
}
