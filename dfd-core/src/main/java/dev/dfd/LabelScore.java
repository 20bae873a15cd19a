package dev.dfd;

/**
 * One entry of the pipeline's answer: {@code {"label": ..., "score": ...}}.
 *
 * <pre>{@code
 * for (LabelScore ls : detector.predict(image).predictions()) {
 *     System.out.println(ls.label() + " " + ls.score());   // like transformers' pipeline: [{label, score}, ...]
 * }
 * }</pre>
 */
public record LabelScore(String label, float score) {
}
