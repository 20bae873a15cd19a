package dev.dfd.internal.postprocess;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import dev.dfd.LabelScore;
import dev.dfd.Prediction;
import dev.dfd.ScoreFunction;
import dev.dfd.internal.model.ModelConfig;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

class PostprocessorTest {
    private static final List<String> REAL_FAKE = List.of("Real", "Fake");

    @Test
    void tiesKeepLabelIdOrderAndTopKIsCapped() {
        Postprocessor p = new Postprocessor(List.of("a", "b", "c"), ScoreFunction.NONE, 5, null, null);
        Prediction r = p.apply(new float[]{1f, 3f, 3f});
        assertEquals(List.of(new LabelScore("b", 3f), new LabelScore("c", 3f), new LabelScore("a", 1f)), r.predictions());
        assertEquals("b", r.label());
        Postprocessor top1 = new Postprocessor(List.of("a", "b", "c"), ScoreFunction.NONE, 1, null, null);
        assertEquals(1, top1.apply(new float[]{1f, 2f, 3f}).predictions().size());
    }

    @Test
    void positiveLabelIsFoundByName() {
        assertEquals(1, Postprocessor.defaultPositive(REAL_FAKE));
        assertEquals(0, Postprocessor.defaultPositive(List.of("Deepfake", "Realism")));
        assertEquals(1, Postprocessor.defaultPositive(List.of("human", "AI")));
        assertEquals(0, Postprocessor.defaultPositive(List.of("ai_generated", "photo")));
        assertEquals(1, Postprocessor.defaultPositive(List.of("cat", "dog")));
        assertEquals(0, Postprocessor.defaultPositive(List.of("only")));
    }

    @Test
    void thresholdDecidesOnThePositiveScore() {
        Postprocessor p = new Postprocessor(REAL_FAKE, ScoreFunction.SOFTMAX, 5, null, 0.9);
        Prediction lowFake = p.apply(new float[]{0f, 1f}); // Fake 0.731 < 0.9
        assertEquals("Real", lowFake.label());
        assertEquals(0.7310586f, lowFake.positiveScore(), 1e-6f);
        assertEquals("Fake", p.apply(new float[]{0f, 3f}).label()); // 0.953
        Postprocessor lenient = new Postprocessor(REAL_FAKE, ScoreFunction.SOFTMAX, 5, "fake", 0.2);
        assertEquals("Fake", lenient.apply(new float[]{1f, 0f}).label()); // Fake 0.269 >= 0.2
    }

    @Test
    void unknownPositiveLabelIsAnError() {
        dev.dfd.DfdException e = assertThrows(dev.dfd.DfdException.class,
                () -> new Postprocessor(REAL_FAKE, ScoreFunction.SOFTMAX, 5, "Forged", null));
        assertEquals("unknown label 'Forged', the model's labels are [Real, Fake]", e.getMessage());
    }

    @Test
    void functionFollowsThePipelineRules() {
        assertEquals(ScoreFunction.SOFTMAX, ScoreFunction.defaultFor(config(REAL_FAKE, null)));
        assertEquals(ScoreFunction.SOFTMAX, ScoreFunction.defaultFor(config(REAL_FAKE, "single_label_classification")));
        assertEquals(ScoreFunction.SIGMOID, ScoreFunction.defaultFor(config(REAL_FAKE, "multi_label_classification")));
        assertEquals(ScoreFunction.SIGMOID, ScoreFunction.defaultFor(config(List.of("Fake"), null)));
    }

    @Test
    void softmaxIsStableForLargeLogits() {
        float[] s = ScoreFunction.SOFTMAX.apply(new float[]{1000f, 1000f, -1000f});
        assertEquals(0.5f, s[0]);
        assertEquals(0.5f, s[1]);
        assertEquals(0f, s[2]);
    }

    private static ModelConfig config(List<String> labels, String problemType) {
        return new ModelConfig("vit", List.of(), labels, problemType, JsonNodeFactory.instance.objectNode());
    }
}
