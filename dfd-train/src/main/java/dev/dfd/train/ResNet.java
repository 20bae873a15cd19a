package dev.dfd.train;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Activation;
import ai.djl.nn.convolutional.Conv2d;
import ai.djl.nn.core.Linear;
import ai.djl.nn.norm.BatchNorm;
import ai.djl.nn.pooling.Pool;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.dfd.family.resnet.ResNetConfig;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;

/**
 * transformers' {@code ResNetForImageClassification} with basic layers, as functional DJL ops over named weights:
 * <pre>
 * stem: conv 7x7/2 -> BN -> ReLU -> maxpool 3x3/2
 * stage s, layer j: relu(BN(conv3x3(relu(BN(conv3x3/stride(x))))) + shortcut(x)); shortcut = BN(conv1x1/stride) when
 *                   the width or stride changes
 * head: global average pool -> Linear ("classifier.1")
 * </pre>
 * With dfd's residual input ({@link ResNetConfig#residualInput()}), the stem sees the image concatenated with
 * {@code x - up2(down2(x))}, exactly as dfd-convert's ONNX graph computes it.
 * Initialised as transformers does: Kaiming normal (fan_out, ReLU) convolutions, BN weight 1 and bias 0, Linear
 * uniform(+-1/sqrt(in)).
 */
final class ResNet implements TrainableModel {
    static final float BN_EPS = 1e-5f;
    /** DJL's momentum (running = m * running + (1 - m) * batch), i.e. PyTorch's momentum 0.1. */
    static final float BN_MOMENTUM = 0.9f;

    private final ResNetConfig config;
    private final Weights w;
    private final NDManager manager;
    private final List<String> bnNames = new ArrayList<>();
    /** The basic layers in order, from the config. */
    private final List<Layer> layers;
    /** num_batches_tracked per BatchNorm, as PyTorch keeps it. */
    private long batchesTracked;

    ResNet(ResNetConfig config, long seed) {
        this.config = config;
        this.manager = NativeSetup.newManager();
        this.w = new Weights(manager);
        Random r = new Random(seed);
        this.layers = plan(config);
        convBn("resnet.embedder.embedder", config.embedding(), config.stemChannels(), 7, r);
        for (Layer l : layers) {
            if (l.shortcut()) {
                convBn(l.prefix() + "shortcut", l.out(), l.in(), 1, r);
            }
            convBn(l.prefix() + "layer.0", l.out(), l.in(), 3, r);
            convBn(l.prefix() + "layer.1", l.out(), l.out(), 3, r);
        }
        int in = config.hiddenSizes().get(config.hiddenSizes().size() - 1);
        int labels = config.labels().size();
        double bound = 1 / Math.sqrt(in);
        w.param("classifier.1.weight", manager.create(Init.uniform(r, labels * in, bound), new Shape(labels, in)));
        w.param("classifier.1.bias", manager.create(Init.uniform(r, labels, bound), new Shape(labels)));
    }

    /**
     * One basic layer.
     *
     * @param prefix   "resnet.encoder.stages.{s}.layers.{j}."
     * @param shortcut a 1x1 conv + BN shortcut, because the width or the stride changes
     */
    record Layer(String prefix, int in, int out, int stride, boolean shortcut) {
    }

    /** transformers' ResNetEncoder: stage s widens to hidden_sizes[s]; its first layer strides 2 (but stage 0's). */
    static List<Layer> plan(ResNetConfig c) {
        List<Layer> out = new ArrayList<>();
        int in = c.embedding();
        for (int s = 0; s < c.hiddenSizes().size(); s++) {
            int width = c.hiddenSizes().get(s);
            int stride = s > 0 || c.downsampleInFirstStage() ? 2 : 1;
            for (int j = 0; j < c.depths().get(s); j++) {
                int layerIn = j == 0 ? in : width;
                int layerStride = j == 0 ? stride : 1;
                out.add(new Layer("resnet.encoder.stages." + s + ".layers." + j + ".", layerIn, width, layerStride,
                        layerIn != width || layerStride != 1));
            }
            in = width;
        }
        return out;
    }

    private void convBn(String name, int out, int in, int k, Random r) {
        double std = Math.sqrt(2.0 / (out * k * k)); // kaiming_normal_(mode="fan_out", nonlinearity="relu")
        w.param(name + ".convolution.weight", manager.create(Init.normal(r, out * in * k * k, std), new Shape(out, in, k, k)));
        String bn = name + ".normalization";
        w.param(bn + ".weight", manager.create(Init.constant(out, 1f), new Shape(out)));
        w.param(bn + ".bias", manager.create(Init.constant(out, 0f), new Shape(out)));
        w.buffer(bn + ".running_mean", manager.create(Init.constant(out, 0f), new Shape(out)));
        w.buffer(bn + ".running_var", manager.create(Init.constant(out, 1f), new Shape(out)));
        bnNames.add(bn);
    }

    @Override
    public String modelType() {
        return "resnet";
    }

    @Override
    public Weights weights() {
        return w;
    }

    ResNetConfig config() {
        return config;
    }

    List<String> batchNorms() {
        return bnNames;
    }

    long batchesTracked() {
        return batchesTracked;
    }

    void setBatchesTracked(long n) {
        batchesTracked = n;
    }

    @Override
    public NDArray forward(NDArray x, boolean training) {
        if (training) {
            batchesTracked++;
        }
        if (config.residualInput()) {
            x = withResidual(x);
        }
        x = convBnAct(x, "resnet.embedder.embedder", 2, 3, training, true);
        x = Pool.maxPool2d(x, new Shape(3, 3), new Shape(2, 2), new Shape(1, 1), false);
        for (Layer l : layers) {
            NDArray residual = l.shortcut() ? convBnAct(x, l.prefix() + "shortcut", l.stride(), 0, training, false) : x;
            NDArray h = convBnAct(x, l.prefix() + "layer.0", l.stride(), 1, training, true);
            h = convBnAct(h, l.prefix() + "layer.1", 1, 1, training, false);
            x = Activation.relu(h.add(residual));
        }
        NDArray pooled = Pool.globalAvgPool2d(x); // (B, C)
        return Linear.linear(pooled, w.get("classifier.1.weight"), w.get("classifier.1.bias")).singletonOrThrow();
    }

    /**
     * (B, C, H, W) -> (B, 2C, H, W): the image, then {@code x[h][w] - x[2 floor(h/2)][2 floor(w/2)]} (every second
     * pixel repeated back by nearest neighbour, cut to the image's size).
     */
    static NDArray withResidual(NDArray x) {
        long h = x.getShape().get(2);
        long w = x.getShape().get(3);
        NDArray up = x.get(":, :, ::2, ::2").repeat(2, 2).repeat(3, 2).get(":, :, :" + h + ", :" + w);
        return x.concat(x.sub(up), 1);
    }

    private NDArray convBnAct(NDArray x, String name, int stride, int pad, boolean training, boolean relu) {
        NDArray y = Conv2d.conv2d(x, w.get(name + ".convolution.weight"), null, new Shape(stride, stride),
                new Shape(pad, pad), new Shape(1, 1), 1).singletonOrThrow();
        String bn = name + ".normalization";
        y = BatchNorm.batchNorm(y, w.get(bn + ".running_mean"), w.get(bn + ".running_var"), w.get(bn + ".weight"),
                w.get(bn + ".bias"), 1, BN_MOMENTUM, BN_EPS, training).singletonOrThrow();
        return relu ? Activation.relu(y) : y;
    }

    @Override
    public ObjectNode configJson() {
        return config.toJson();
    }

    @Override
    public List<String> labels() {
        return config.labels();
    }

    @Override
    public boolean decays(String name) {
        return name.endsWith("convolution.weight") || name.equals("classifier.1.weight");
    }

    @Override
    public List<String> head() {
        return List.of("classifier.1.weight", "classifier.1.bias");
    }

    @Override
    public void close() {
        manager.close();
    }
}
