package dev.dfd.server;

import dev.dfd.Decision;
import dev.dfd.Detector;
import dev.dfd.internal.face.FaceCrop;
import dev.dfd.internal.io.ImageHeader;
import dev.dfd.internal.preprocess.PreprocessorConfig;

import java.util.Locale;

/**
 * What a request costs in memory before it is read or decoded, for {@link MemoryBudget}: its body from the declared
 * length, an image from its header (decoding, regions, preprocessing), and the model inputs it leaves queued.
 */
final class MemoryCost {
    /** Readers, parsers and buffers of one request beside its body. */
    static final long REQUEST_OVERHEAD = 256 << 10;
    /** Face detection: its (256, 256, 3) float input, anchors and outputs. */
    static final long FACE_DETECTOR_BYTES = 2L << 20;
    /** Resampling tables, row buffers and other small arrays of preprocessing. */
    static final long PREPROCESS_OVERHEAD = 512 << 10;

    private final PreprocessorConfig preprocessor;
    /** The crops faces are cut to, or null when the model judges whole images. */
    private final FaceCrop faces;
    private final int maxFaces;

    MemoryCost(PreprocessorConfig preprocessor, FaceCrop faces, int maxFaces) {
        this.preprocessor = preprocessor;
        this.faces = faces;
        this.maxFaces = maxFaces;
    }

    static MemoryCost of(Detector detector) {
        boolean judgesFaces = detector.defaultDecision().faces() == Decision.Faces.ON;
        FaceCrop crop = detector.model().faceCrop() != null ? detector.model().faceCrop() : FaceCrop.DFDC;
        return new MemoryCost(detector.model().preprocessor(), judgesFaces ? crop : null,
                detector.options().maxFaces());
    }

    /**
     * Reading a body: the bytes themselves and the copies made of them (multipart parts buffered, then read out;
     * JSON parsed into text, stripped of line breaks, then base64-decoded).
     *
     * @param declaredLength Content-Length, or -1 when not declared (the body limit is assumed)
     */
    long body(long declaredLength, String contentType, long maxBodyBytes) {
        long length = declaredLength >= 0 ? Math.min(declaredLength, maxBodyBytes) : maxBodyBytes;
        String type = contentType == null ? "" : contentType.toLowerCase(Locale.ROOT);
        int copies = type.startsWith("application/json") ? 5 : 3;
        return REQUEST_OVERHEAD + copies * length;
    }

    /**
     * Decoding an image and making its model inputs: the peak while it is prepared. Faces are cut and preprocessed
     * one after the other, so one crop's intermediates count once and every face's model input (up to
     * --max-faces) stays.
     */
    long image(ImageHeader header) {
        long decode = header.decodeBytes();
        if (faces == null) {
            return decode + preprocess(header.width(), header.height());
        }
        long crop = 3L * faces.width() * faces.height();
        return decode + FACE_DETECTOR_BYTES + crop + preprocess(faces.width(), faces.height())
                + (maxFaces - 1) * tensor(faces.width(), faces.height());
    }

    /**
     * The model inputs an image leaves in the inference queue when their size depends on the image (for a fixed
     * input size the queue's own bound is counted once, in {@link #queue}); 0 otherwise.
     */
    long queued(ImageHeader header) {
        return fixedInputBytes() > 0 ? 0 : Math.max(tensor(header.width(), header.height()),
                tensor(header.height(), header.width()));
    }

    /** Model inputs a full queue holds, when every input has the same size; 0 when it depends on the image. */
    long queue(int queueCapacity) {
        return (long) queueCapacity * fixedInputBytes();
    }

    private long fixedInputBytes() {
        if (faces != null) {
            return tensor(faces.width(), faces.height());
        }
        int[] fixed = preprocessor.fixedOutputSize();
        return fixed == null ? 0 : 4L * 3 * fixed[0] * fixed[1];
    }

    /**
     * Resize and crop, then the float input: the resize's horizontal pass (output width x source height), the resized
     * and cropped images, and the (3, H, W) floats. Either orientation, as EXIF may turn the image first.
     */
    private long preprocess(int width, int height) {
        return PREPROCESS_OVERHEAD + Math.max(resizeAndTensor(width, height), resizeAndTensor(height, width));
    }

    private long resizeAndTensor(int width, int height) {
        int[] out = preprocessor.outputSize(width, height); // (height, width)
        long resized = 3L * out[0] * out[1];
        long horizontalPass = 3L * out[1] * height;
        return horizontalPass + 2 * resized + 4 * resized;
    }

    private long tensor(int width, int height) {
        int[] out = preprocessor.outputSize(width, height);
        return 4L * 3 * out[0] * out[1];
    }

    /** "512 MB", or "0.3 MB" below 10 MB. */
    static String megabytes(long bytes) {
        double mb = bytes / 1048576.0;
        return String.format(Locale.ROOT, mb < 10 ? "%.1f MB" : "%.0f MB", mb);
    }
}
