package dev.dfd;

import dev.dfd.internal.Provenance;
import dev.dfd.internal.model.ModelConfig;
import dev.dfd.internal.model.ModelFiles;
import dev.dfd.internal.preprocess.PreprocessorConfig;

import java.util.List;

/**
 * What a {@link Detector} has loaded: the model's files and configs, its defaults, and how it runs.
 *
 * <pre>{@code
 * ModelInfo m = detector.model();
 * System.out.println(m.labels() + " positive " + m.defaultPositiveLabel() + ", " + m.policy());
 * }</pre>
 *
 * @param files                 where the configs and ONNX weights are
 * @param config                config.json: labels, architecture, problem type
 * @param preprocessor          preprocessor_config.json as dfd reads it
 * @param defaultPositiveIndex  id of the label a score is about when a decision names none
 * @param defaultFunction       the score function transformers' pipeline picks for this model
 * @param policy                batch size, workers, threads and prepacking, as chosen at load
 * @param faceCrop              the face crops the model was trained on (its dfd_faces.json), or null when it takes
 *                              whole images
 */
public record ModelInfo(ModelFiles files, ModelConfig config, PreprocessorConfig preprocessor,
                        int defaultPositiveIndex, ScoreFunction defaultFunction, RunPolicy policy,
                        dev.dfd.internal.face.FaceCrop faceCrop) {
    /** Labels in id order. */
    public List<String> labels() {
        return config.labels();
    }

    public String defaultPositiveLabel() {
        return config.labels().get(defaultPositiveIndex);
    }

    /** A short, stable id: the directory's name and the first 12 hex digits of the weights' sha256. */
    public String id() {
        return Provenance.modelId(files);
    }
}
