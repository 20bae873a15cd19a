package dev.dfd.internal.face;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * SSD anchor generation as MediaPipe's {@code SsdAnchorsCalculator} describes it: consecutive layers with the same
 * stride share one feature map; each layer contributes one anchor per aspect ratio at its scale (scales linearly
 * spaced from min to max over the layers) plus, when {@code interpolatedScaleAspectRatio > 0}, one at the geometric
 * mean of its scale and the next layer's (1 after the last); anchors are laid out feature map by feature map, then
 * row, column, anchor. With {@code fixedAnchorSize} every anchor is 1x1 (BlazeFace's decoding then only uses the
 * centres).
 */
final class SsdAnchors {
    private SsdAnchors() {
    }

    /** MediaPipe's {@code SsdAnchorsCalculatorOptions} (the fields the face graphs set). */
    record Options(int inputWidth, int inputHeight, float minScale, float maxScale, float offsetX, float offsetY,
                   int[] strides, float[] aspectRatios, float interpolatedScaleAspectRatio, boolean fixedAnchorSize,
                   boolean reduceBoxesInLowestLayer) {
        Options {
            if (inputWidth <= 0 || inputHeight <= 0 || strides.length == 0 || aspectRatios.length == 0) {
                throw new IllegalArgumentException("need a positive input size, strides and aspect ratios");
            }
            strides = strides.clone();
            aspectRatios = aspectRatios.clone();
        }
    }

    private static float scale(float min, float max, int layer, int layers) {
        return layers == 1 ? (min + max) / 2 : min + (max - min) * layer / (layers - 1f);
    }

    /** The anchors as (n, 4): x centre, y centre, width, height, normalised to [0, 1]. */
    static float[] generate(Options o) {
        int layers = o.strides.length;
        List<float[]> out = new ArrayList<>();
        int layer = 0;
        while (layer < layers) {
            List<Float> ratios = new ArrayList<>();
            List<Float> scales = new ArrayList<>();
            int last = layer;
            while (last < layers && o.strides[last] == o.strides[layer]) {
                float s = scale(o.minScale, o.maxScale, last, layers);
                if (last == 0 && o.reduceBoxesInLowestLayer) {
                    ratios.addAll(List.of(1.0f, 2.0f, 0.5f));
                    scales.addAll(List.of(0.1f, s, s));
                } else {
                    for (float r : o.aspectRatios) {
                        ratios.add(r);
                        scales.add(s);
                    }
                    if (o.interpolatedScaleAspectRatio > 0) {
                        float next = last == layers - 1 ? 1.0f : scale(o.minScale, o.maxScale, last + 1, layers);
                        scales.add((float) Math.sqrt(s * next));
                        ratios.add(o.interpolatedScaleAspectRatio);
                    }
                }
                last++;
            }
            int stride = o.strides[layer];
            int rows = (int) Math.ceil((double) o.inputHeight / stride);
            int cols = (int) Math.ceil((double) o.inputWidth / stride);
            for (int y = 0; y < rows; y++) {
                for (int x = 0; x < cols; x++) {
                    for (int a = 0; a < scales.size(); a++) {
                        float sqrtRatio = (float) Math.sqrt(ratios.get(a));
                        float w = o.fixedAnchorSize ? 1 : scales.get(a) * sqrtRatio;
                        float h = o.fixedAnchorSize ? 1 : scales.get(a) / sqrtRatio;
                        out.add(new float[] {(x + o.offsetX) / cols, (y + o.offsetY) / rows, w, h});
                    }
                }
            }
            layer = last;
        }
        float[] flat = new float[out.size() * 4]; // (n, 4)
        for (int i = 0; i < out.size(); i++) {
            System.arraycopy(out.get(i), 0, flat, i * 4, 4);
        }
        return flat;
    }

    /** Number of anchors per feature-map cell of each distinct stride, in order (face models: [2, 6]). */
    static int[] anchorsPerCell(Options o) {
        int[] counts = new int[o.strides.length];
        int n = 0;
        for (int layer = 0; layer < o.strides.length; ) {
            int last = layer;
            int perCell = 0;
            while (last < o.strides.length && o.strides[last] == o.strides[layer]) {
                perCell += (last == 0 && o.reduceBoxesInLowestLayer) ? 3
                        : o.aspectRatios.length + (o.interpolatedScaleAspectRatio > 0 ? 1 : 0);
                last++;
            }
            counts[n++] = perCell;
            layer = last;
        }
        return Arrays.copyOf(counts, n);
    }
}
