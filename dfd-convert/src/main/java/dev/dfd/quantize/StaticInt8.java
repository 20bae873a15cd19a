package dev.dfd.quantize;

import dev.dfd.DfdException;

import java.nio.file.Path;

/**
 * How to quantise statically: the calibration images and how many of them to use.
 *
 * @param images  a directory of images like the model's input (face crops for a face model), searched recursively;
 *                never the test split
 * @param count   images used, evenly spaced over the directory's sorted files
 * @param threads ONNX Runtime threads while calibrating (0: one per core)
 */
public record StaticInt8(Path images, int count, int threads) {
    public static final int DEFAULT_COUNT = 256;

    public StaticInt8 {
        if (count <= 0) {
            throw new DfdException("--calibration-images: expected a positive number, got " + count);
        }
    }
}
