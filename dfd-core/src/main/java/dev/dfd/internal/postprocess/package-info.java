/**
 * Logits to {@link dev.dfd.Prediction}s with a {@link dev.dfd.Decision}, as transformers' pipeline.
 *
 * <p>Internal to dfd (see {@link dev.dfd.internal}): not an API.
 */
package dev.dfd.internal.postprocess;
