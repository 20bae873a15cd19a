package dev.dfd.internal.face;

/**
 * Settings of a {@link FaceDetector}.
 *
 * @param model          which BlazeFace model runs every pass
 * @param minScore       faces scoring below are dropped (MediaPipe's graphs use 0.5 to 0.75)
 * @param iouThreshold   detections overlapping more than this are merged by weighted non-maximum suppression
 *                       (MediaPipe: 0.3)
 * @param maxFaces       at most this many faces, the best-scoring ones, are returned
 * @param minFaceSize    faces whose box is smaller (larger side, original pixels) are dropped; the image is also
 *                       searched in tiles until faces of this size are large enough for the model, or the tile
 *                       levels run out
 * @param tileLevels     at most this many levels of overlapping tiles (half, a quarter, ... of the image's longer
 *                       side) besides the whole-image passes, so small faces in large photos are found; 0 = none
 * @param tightPass      run a second whole-image pass with the image shrunk into the middle of a canvas three times
 *                       its size, so faces filling the frame (tight crops) are found
 * @param intraOpThreads ONNX Runtime threads per inference; 0 lets ONNX Runtime choose (one per core)
 */
public record FaceDetectorOptions(FaceModel model, float minScore, float iouThreshold, int maxFaces, int minFaceSize,
                                  int tileLevels, boolean tightPass, int intraOpThreads) {
    public static final FaceDetectorOptions DEFAULT = new FaceDetectorOptions(FaceModel.FULL_RANGE_256, 0.6f, 0.3f,
            64, 48, 2, true, 0);

    public FaceDetectorOptions {
        if (model == null) {
            throw new IllegalArgumentException("model must be given");
        }
        if (!(minScore >= 0 && minScore < 1)) {
            throw new IllegalArgumentException("minScore must be in [0, 1), got " + minScore);
        }
        if (!(iouThreshold > 0 && iouThreshold < 1)) {
            throw new IllegalArgumentException("iouThreshold must be in (0, 1), got " + iouThreshold);
        }
        if (maxFaces < 1) {
            throw new IllegalArgumentException("maxFaces must be >= 1, got " + maxFaces);
        }
        if (minFaceSize < 0) {
            throw new IllegalArgumentException("minFaceSize must be >= 0 px, got " + minFaceSize);
        }
        if (tileLevels < 0 || tileLevels > 6) {
            throw new IllegalArgumentException("tileLevels must be in [0, 6], got " + tileLevels);
        }
        if (intraOpThreads < 0) {
            throw new IllegalArgumentException("intraOpThreads must be >= 0, got " + intraOpThreads);
        }
    }

    public FaceDetectorOptions withModel(FaceModel m) {
        return new FaceDetectorOptions(m, minScore, iouThreshold, maxFaces, minFaceSize, tileLevels, tightPass,
                intraOpThreads);
    }

    public FaceDetectorOptions withMinScore(float s) {
        return new FaceDetectorOptions(model, s, iouThreshold, maxFaces, minFaceSize, tileLevels, tightPass,
                intraOpThreads);
    }

    public FaceDetectorOptions withMaxFaces(int n) {
        return new FaceDetectorOptions(model, minScore, iouThreshold, n, minFaceSize, tileLevels, tightPass,
                intraOpThreads);
    }

    public FaceDetectorOptions withMinFaceSize(int px) {
        return new FaceDetectorOptions(model, minScore, iouThreshold, maxFaces, px, tileLevels, tightPass,
                intraOpThreads);
    }

    public FaceDetectorOptions withPasses(int levels, boolean tight) {
        return new FaceDetectorOptions(model, minScore, iouThreshold, maxFaces, minFaceSize, levels, tight,
                intraOpThreads);
    }

    public FaceDetectorOptions withIntraOpThreads(int n) {
        return new FaceDetectorOptions(model, minScore, iouThreshold, maxFaces, minFaceSize, tileLevels, tightPass, n);
    }
}
