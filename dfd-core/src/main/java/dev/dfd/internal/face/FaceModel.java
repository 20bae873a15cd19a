package dev.dfd.internal.face;

/**
 * The two BlazeFace detectors shipped in dfd-core's resources (see {@code dev/dfd/internal/face/SOURCE.md}), with the anchor
 * and decoding settings of MediaPipe's graphs for them (face_detection_front / face_detection_back: 4 SSD layers,
 * fixed-size anchors, one interpolated-scale anchor per aspect ratio, scales = input size).
 */
public enum FaceModel {
    /** MediaPipe's "front" (short range, selfie) model: 128x128 input, strides 8, 16, 16, 16. */
    SHORT_RANGE_128("face_detection_front_128x128_barracuda.onnx", 128, new int[] {8, 16, 16, 16}, 0.1484375f),
    /** MediaPipe's "back" (farther faces) model: 256x256 input, strides 16, 32, 32, 32. */
    FULL_RANGE_256("face_detection_back_256x256_barracuda.onnx", 256, new int[] {16, 32, 32, 32}, 0.15625f);

    final String resource;
    final int inputSize;
    final SsdAnchors.Options anchorOptions;

    FaceModel(String resource, int inputSize, int[] strides, float minScale) {
        this.resource = resource;
        this.inputSize = inputSize;
        this.anchorOptions = new SsdAnchors.Options(inputSize, inputSize, minScale, 0.75f, 0.5f, 0.5f, strides,
                new float[] {1.0f}, 1.0f, true, false);
    }

    /** The model's square input side in pixels. */
    public int inputSize() {
        return inputSize;
    }
}
