package dev.dfd.train;

import ai.djl.ndarray.NDArray;
import com.fasterxml.jackson.databind.node.ObjectNode;

import java.util.List;

/** A classifier the trainer can optimise, with transformers' parameter names so checkpoints load both ways. */
interface TrainableModel extends AutoCloseable {
    /** transformers' model_type: "resnet", "vit". */
    String modelType();

    Weights weights();

    /**
     * @param pixels   float32 (batch, 3, H, W), preprocessed as the model's preprocessor_config.json says
     * @param training BatchNorm uses batch statistics and updates its running statistics
     * @return logits (batch, num_labels)
     */
    NDArray forward(NDArray pixels, boolean training);

    /** config.json for this model. */
    ObjectNode configJson();

    List<String> labels();

    /** Parameters excluded from weight decay: biases, normalisation, tokens and position embeddings. */
    boolean decays(String name);

    /** The classifier head's parameter names (re-initialised when fine-tuning on other labels). */
    List<String> head();

    /**
     * Whether BatchNorm's statistics must be measured on training images before the first step: a checkpoint whose
     * BatchNorm was folded into its convolutions (an import) has none.
     */
    default boolean needsBatchNormStatistics() {
        return false;
    }

    /**
     * Measures BatchNorm's statistics on these batches, keeping the function (see MobileNetV1); afterwards BatchNorm
     * trains on batch statistics.
     *
     * @param batches float32 (B, 3, H, W) each, preprocessed
     */
    default void measureBatchNorm(List<NDArray> batches) {
    }

    /** A resumed run: the checkpoint holds statistics measured when the run began, so BatchNorm trains as usual. */
    default void useBatchStatistics() {
    }

    @Override
    void close();
}
