package dev.dfd.postprocess;

/** One entry of the pipeline's answer: {@code {"label": ..., "score": ...}}. */
public record LabelScore(String label, float score) {
}
