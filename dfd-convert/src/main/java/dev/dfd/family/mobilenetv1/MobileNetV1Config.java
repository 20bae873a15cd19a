package dev.dfd.family.mobilenetv1;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.dfd.DfdException;
import dev.dfd.internal.Json;
import dev.dfd.internal.model.ModelConfig;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * transformers' {@code MobileNetV1Config} (the layout of {@code MobileNetV1ForImageClassification}, as
 * google/mobilenet_v1_1.0_224), with its defaults for absent fields.
 *
 * @param channels          input channels
 * @param depthMultiplier   width multiplier ("alpha") of every layer
 * @param minDepth          no layer narrower than this
 * @param hiddenAct         activation after every convolution (relu6)
 * @param tfPadding         TensorFlow's "SAME" padding (zero rows and columns added after, not before, when the total
 *                          is odd); otherwise k / 2 on each side
 * @param layerNormEps      BatchNorm's epsilon (transformers calls it layer_norm_eps)
 * @param labels            id2label in id order
 * @param batchNormFrozen   dfd's extension ({@code "dfd_batchnorm_frozen": true}): the BatchNorm statistics are not
 *                          measured ones (a checkpoint whose BatchNorm was folded into its convolutions, imported with
 *                          mean 0 and variance 1 - eps), so training keeps them and fits only BatchNorm's scale and
 *                          shift; inference is unaffected
 */
public record MobileNetV1Config(int channels, double depthMultiplier, int minDepth, String hiddenAct, boolean tfPadding,
                                double layerNormEps, List<String> labels, boolean batchNormFrozen) {
    /** The 13 depthwise-separable layers' strides (transformers' and Keras' MobileNet). */
    public static final int[] STRIDES = {1, 2, 1, 2, 1, 2, 1, 1, 1, 1, 1, 2, 1};
    static final List<String> ACTIVATIONS = List.of("relu6", "relu");

    public MobileNetV1Config {
        labels = List.copyOf(labels);
        if (channels <= 0 || !(depthMultiplier > 0) || minDepth <= 0 || !(layerNormEps > 0)) {
            throw new IllegalArgumentException("num_channels, depth_multiplier, min_depth and layer_norm_eps must be"
                    + " positive");
        }
        if (!ACTIVATIONS.contains(hiddenAct)) {
            throw new IllegalArgumentException("hidden_act " + hiddenAct + " is not supported " + ACTIVATIONS);
        }
    }

    /** MobileNet 1.0 as Keras and transformers build it: relu6, TensorFlow padding, eps 0.001. */
    public static MobileNetV1Config standard(double depthMultiplier, List<String> labels, boolean batchNormFrozen) {
        return new MobileNetV1Config(3, depthMultiplier, 8, "relu6", true, 1e-3, labels, batchNormFrozen);
    }

    public MobileNetV1Config withLabels(List<String> newLabels) {
        return new MobileNetV1Config(channels, depthMultiplier, minDepth, hiddenAct, tfPadding, layerNormEps,
                newLabels, batchNormFrozen);
    }

    public MobileNetV1Config withBatchNormFrozen(boolean frozen) {
        return new MobileNetV1Config(channels, depthMultiplier, minDepth, hiddenAct, tfPadding, layerNormEps, labels,
                frozen);
    }

    /** Width of the stem. */
    public int stemWidth() {
        return width(32);
    }

    /**
     * Output width of each depthwise-separable layer (its depthwise convolution keeps its input's width), as
     * transformers computes them: the base depth doubles at layer 0 and at every stride-2 layer.
     */
    public List<Integer> layerWidths() {
        List<Integer> out = new ArrayList<>();
        int depth = 32;
        for (int i = 0; i < STRIDES.length; i++) {
            if (STRIDES[i] == 2 || i == 0) {
                depth *= 2;
            }
            out.add(width(depth));
        }
        return out;
    }

    /** Width of the pooled features the classifier reads. */
    public int featureWidth() {
        return layerWidths().get(STRIDES.length - 1);
    }

    private int width(int depth) {
        return Math.max((int) (depth * depthMultiplier), minDepth);
    }

    public static MobileNetV1Config read(Path file) {
        ObjectNode o = Json.readObject(file);
        try {
            return new MobileNetV1Config((int) Json.number(o, "num_channels", 3, file),
                    Json.number(o, "depth_multiplier", 1.0, file),
                    (int) Json.number(o, "min_depth", 8, file),
                    Json.string(o, "hidden_act", "relu6", file),
                    Json.bool(o, "tf_padding", true, file),
                    Json.number(o, "layer_norm_eps", 1e-3, file),
                    ModelConfig.read(file).labels(),
                    Json.bool(o, "dfd_batchnorm_frozen", false, file));
        } catch (IllegalArgumentException e) {
            throw new DfdException(file + ": " + e.getMessage());
        }
    }

    /** config.json as transformers writes it for MobileNetV1ForImageClassification. */
    public ObjectNode toJson() {
        ObjectNode c = Json.MAPPER.createObjectNode();
        c.putArray("architectures").add("MobileNetV1ForImageClassification");
        c.put("model_type", "mobilenet_v1");
        c.put("num_channels", channels);
        c.put("depth_multiplier", depthMultiplier);
        c.put("min_depth", minDepth);
        c.put("hidden_act", hiddenAct);
        c.put("tf_padding", tfPadding);
        c.put("layer_norm_eps", layerNormEps);
        c.put("classifier_dropout_prob", 0.001);
        c.put("initializer_range", 0.02);
        if (batchNormFrozen) {
            c.put("dfd_batchnorm_frozen", true);
        }
        dev.dfd.family.Configs.putLabels(c, labels);
        c.put("torch_dtype", "float32");
        return c;
    }
}
