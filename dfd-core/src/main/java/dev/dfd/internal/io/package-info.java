/**
 * Decoding image bytes into {@link dev.dfd.RgbImage} as Pillow does (formats, EXIF orientation, limits, headers).
 *
 * <p>Internal to dfd (see {@link dev.dfd.internal}): not an API.
 */
package dev.dfd.internal.io;
