package dev.dfd;

/**
 * One preprocessed region, ready for the model.
 *
 * @param pixels (3, height, width) float32 pixel_values of one image or crop
 */
record ModelInput(float[] pixels, int height, int width) {
}
