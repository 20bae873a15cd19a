/**
 * transformers' image processors with Pillow's resampling: {@link dev.dfd.RgbImage} to pixel_values.
 *
 * <p>Internal to dfd (see {@link dev.dfd.internal}): not an API.
 */
package dev.dfd.internal.preprocess;
