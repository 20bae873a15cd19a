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
import dev.dfd.family.mobilenetv1.MobileNetV1Config;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;

/**
 * transformers' {@code MobileNetV1ForImageClassification} as functional DJL ops over named weights, the same graph
 * as dfd-convert's MobileNetV1OnnxExporter:
 * <pre>
 * stem:    act(BN(conv 3x3/2(pad(x))))                    (B, 3, H, W) -> (B, 32a, ceil(H/2), ceil(W/2))
 * layer i: act(BN(conv1x1(act(BN(depthwise 3x3/s_i(pad(x)))))))
 * head:    global average pool -> Linear ("classifier")   (B, 1024a) -> (B, labels)
 * </pre>
 * TensorFlow's SAME padding is explicit zero padding before each 3x3 convolution, the odd row or column after.
 * With {@link MobileNetV1Config#batchNormFrozen()} (an imported checkpoint whose BatchNorm was folded), BatchNorm uses
 * its stored statistics in training too and only its weight and bias learn. Initialised as transformers does:
 * convolutions and the classifier normal(0, 0.02), BN weight 1 and bias 0.
 */
final class MobileNetV1 implements TrainableModel {
    /**
     * DJL's momentum (running = m * running + (1 - m) * batch), PyTorch's usual 0.1. transformers passes TensorFlow's
     * 0.9997 as PyTorch's momentum, which would make the running statistics those of the last batch.
     */
    static final float BN_MOMENTUM = 0.9f;

    private MobileNetV1Config config;
    /** Per BatchNorm: sums of the convolution's output and of its square per channel, while measuring; else null. */
    private java.util.Map<String, double[][]> measuring;
    /** Per BatchNorm: values per channel summed while measuring. */
    private final java.util.Map<String, Long> countPerChannel = new java.util.HashMap<>();
    private final Weights w;
    private final NDManager manager;
    private final List<String> bnNames = new ArrayList<>();

    MobileNetV1(MobileNetV1Config config, long seed) {
        this.config = config;
        this.manager = NativeSetup.newManager();
        this.w = new Weights(manager);
        Random r = new Random(seed);
        int in = config.stemWidth();
        convBn("mobilenet_v1.conv_stem", in, config.channels(), 3, r);
        List<Integer> widths = config.layerWidths();
        for (int i = 0; i < widths.size(); i++) {
            convBn("mobilenet_v1.layer." + (2 * i), in, 1, 3, r);
            convBn("mobilenet_v1.layer." + (2 * i + 1), widths.get(i), in, 1, r);
            in = widths.get(i);
        }
        int labels = config.labels().size();
        w.param("classifier.weight", manager.create(Init.normal(r, labels * in, 0.02), new Shape(labels, in)));
        w.param("classifier.bias", manager.create(Init.constant(labels, 0f), new Shape(labels)));
    }

    /** A convolution without bias, weight (out, inPerGroup, k, k), and its BatchNorm. */
    private void convBn(String name, int out, int inPerGroup, int k, Random r) {
        w.param(name + ".convolution.weight", manager.create(Init.normal(r, out * inPerGroup * k * k, 0.02),
                new Shape(out, inPerGroup, k, k)));
        String bn = name + ".normalization";
        w.param(bn + ".weight", manager.create(Init.constant(out, 1f), new Shape(out)));
        w.param(bn + ".bias", manager.create(Init.constant(out, 0f), new Shape(out)));
        w.buffer(bn + ".running_mean", manager.create(Init.constant(out, 0f), new Shape(out)));
        w.buffer(bn + ".running_var", manager.create(Init.constant(out, 1f), new Shape(out)));
        bnNames.add(bn);
    }

    @Override
    public String modelType() {
        return "mobilenet_v1";
    }

    @Override
    public Weights weights() {
        return w;
    }

    List<String> batchNorms() {
        return bnNames;
    }

    @Override
    public NDArray forward(NDArray x, boolean training) {
        boolean batchStatistics = training && !config.batchNormFrozen();
        int in = config.stemWidth();
        x = convBnAct(x, "mobilenet_v1.conv_stem", 3, 2, 1, batchStatistics);
        List<Integer> widths = config.layerWidths();
        for (int i = 0; i < widths.size(); i++) {
            x = convBnAct(x, "mobilenet_v1.layer." + (2 * i), 3, MobileNetV1Config.STRIDES[i], in, batchStatistics);
            x = convBnAct(x, "mobilenet_v1.layer." + (2 * i + 1), 1, 1, 1, batchStatistics);
            in = widths.get(i);
        }
        NDArray pooled = Pool.globalAvgPool2d(x); // (B, C)
        return Linear.linear(pooled, w.get("classifier.weight"), w.get("classifier.bias")).singletonOrThrow();
    }

    private NDArray convBnAct(NDArray x, String name, int k, int stride, int groups, boolean batchStatistics) {
        Shape pad = new Shape(0, 0);
        if (config.tfPadding()) {
            x = samePad(x, k, stride);
        } else {
            pad = new Shape(k / 2, k / 2);
        }
        NDArray y = Conv2d.conv2d(x, w.get(name + ".convolution.weight"), null, new Shape(stride, stride), pad,
                new Shape(1, 1), groups).singletonOrThrow(); // (B, C, H', W')
        String bn = name + ".normalization";
        if (measuring != null) {
            int channels = (int) y.getShape().get(1);
            double[][] sums = measuring.computeIfAbsent(bn, key -> new double[2][channels]);
            float[] sum = y.sum(new int[]{0, 2, 3}).toFloatArray();
            float[] squares = y.square().sum(new int[]{0, 2, 3}).toFloatArray();
            countPerChannel.merge(bn, y.getShape().get(0) * y.getShape().get(2) * y.getShape().get(3), Long::sum);
            for (int c = 0; c < sum.length; c++) {
                sums[0][c] += sum[c];
                sums[1][c] += squares[c];
            }
        }
        y = BatchNorm.batchNorm(y, w.get(bn + ".running_mean"), w.get(bn + ".running_var"), w.get(bn + ".weight"),
                w.get(bn + ".bias"), 1, BN_MOMENTUM, (float) config.layerNormEps(), batchStatistics).singletonOrThrow();
        return config.hiddenAct().equals("relu") ? Activation.relu(y) : Activation.relu6(y);
    }

    @Override
    public boolean needsBatchNormStatistics() {
        return config.batchNormFrozen();
    }

    /**
     * Replaces BatchNorm statistics that were not measured (an import's mean 0, variance 1 - eps) by those of these
     * training batches, changing BatchNorm's weight and bias so that the function stays the same:
     * {@code gamma' = gamma s'/s}, {@code beta' = beta + (m' - m) gamma / s} with {@code s = sqrt(var + eps)}. Then
     * BatchNorm trains as usual, on batch statistics: with frozen statistics, fine-tuning at ordinary learning rates
     * shifts the unnormalised activations until ReLU6 saturates (measured: every output constant after 6 steps).
     *
     * @param batches float32 (B, 3, H, W) each, preprocessed
     */
    @Override
    public void measureBatchNorm(List<NDArray> batches) {
        measuring = new java.util.HashMap<>();
        countPerChannel.clear();
        try {
            for (NDArray x : batches) {
                try (ai.djl.ndarray.NDManager scope = x.getManager().newSubManager()) {
                    NDArray in = x.duplicate();
                    in.attach(scope);
                    forward(in, false);
                }
            }
        } finally {
            java.util.Map<String, double[][]> sums = measuring;
            measuring = null;
            double eps = config.layerNormEps();
            for (var e : sums.entrySet()) {
                String bn = e.getKey();
                double[][] s = e.getValue();
                float[] mean = w.get(bn + ".running_mean").toFloatArray();
                float[] var = w.get(bn + ".running_var").toFloatArray();
                float[] gamma = w.get(bn + ".weight").toFloatArray();
                float[] beta = w.get(bn + ".bias").toFloatArray();
                double n = countPerChannel.get(bn);
                for (int c = 0; c < mean.length; c++) {
                    double m = s[0][c] / n;
                    double v = Math.max(s[1][c] / n - m * m, 0);
                    double oldScale = Math.sqrt(var[c] + eps);
                    double newScale = Math.sqrt(v + eps);
                    beta[c] = (float) (beta[c] + (m - mean[c]) * gamma[c] / oldScale);
                    gamma[c] = (float) (gamma[c] * newScale / oldScale);
                    mean[c] = (float) m;
                    var[c] = (float) v;
                }
                w.get(bn + ".running_mean").set(mean);
                w.get(bn + ".running_var").set(var);
                w.get(bn + ".weight").set(gamma);
                w.get(bn + ".bias").set(beta);
            }
            config = config.withBatchNormFrozen(false);
        }
    }

    @Override
    public void useBatchStatistics() {
        config = config.withBatchNormFrozen(false);
    }

    /**
     * TensorFlow's SAME padding of (B, C, H, W) for a k x k kernel at this stride: in total
     * {@code max((ceil(n / s) - 1) s + k - n, 0)} per axis, half before, the rest after.
     */
    static NDArray samePad(NDArray x, int k, int stride) {
        long h = x.getShape().get(2);
        long wd = x.getShape().get(3);
        long ph = Math.max((Math.floorDiv(h + stride - 1, stride) - 1) * stride + k - h, 0);
        long pw = Math.max((Math.floorDiv(wd + stride - 1, stride) - 1) * stride + k - wd, 0);
        if (ph == 0 && pw == 0) {
            return x;
        }
        // torch's pad order: the last axis first (left, right), then top, bottom
        return x.pad(new Shape(pw / 2, pw - pw / 2, ph / 2, ph - ph / 2), 0);
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
        return name.endsWith("convolution.weight") || name.equals("classifier.weight");
    }

    @Override
    public List<String> head() {
        return List.of("classifier.weight", "classifier.bias");
    }

    @Override
    public void close() {
        manager.close();
    }
}
