/**
 * dfd's library API: load a Hugging Face image-classification model directory, run images through the one data
 * path (decode, regions, preprocess, model, postprocess, decision) and get results.
 *
 * <pre>{@code
 * try (Detector detector = Detector.load(Path.of("models/default"))) {
 *     if (detector.detect(Path.of("photo.jpg")) instanceof DetectionResult.Detection d) {
 *         System.out.println(d.label() + " " + d.score() + " over " + d.faces().size() + " face(s)");
 *     }
 * }
 * }</pre>
 *
 * <p>The API is this package ({@link dev.dfd.Detector}, its {@link dev.dfd.DetectorOptions} and per-call
 * {@link dev.dfd.Decision}, the {@link dev.dfd.DetectionResult}s, {@link dev.dfd.DfdException}) and
 * {@code dev.dfd.eval} (evaluation and scikit-learn's metrics). Types under {@code dev.dfd.internal} are public only
 * so that dfd's own shells (CLI, server, Spark, training, conversion) can reach them; they may change at any time.
 */
package dev.dfd;
