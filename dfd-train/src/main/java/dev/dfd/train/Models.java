package dev.dfd.train;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.dfd.DfdException;
import dev.dfd.family.resnet.ResNetConfig;
import dev.dfd.internal.Json;

import java.nio.file.Path;
import java.util.List;

/** Chooses and builds the architecture a run trains. */
final class Models {
    private Models() {
    }

    /**
     * From {@code --init} (its config.json), else {@code --config}, else the compact ResNet; labels from the data.
     */
    static TrainableModel create(TrainOptions o, List<String> labels) {
        Path configFile = o.init() != null ? o.init().resolve("config.json") : o.configFile();
        if (configFile == null) {
            return new ResNet(ResNetConfig.compact(labels), o.seed());
        }
        ObjectNode c = Json.readObject(configFile);
        String type = c.path("model_type").asText("");
        return switch (type) {
            case "resnet" -> {
                ResNetConfig rc = ResNetConfig.read(configFile);
                if (rc.bottleneck() || !rc.hiddenAct().equals("relu")) {
                    throw new DfdException(configFile + ": dfd trains ResNets with layer_type \"basic\" and hidden_act"
                            + " \"relu\" (bottleneck ResNets are converted only)");
                }
                yield new ResNet(rc.withLabels(labels), o.seed());
            }
            case "mobilenet_v1" -> new MobileNetV1(
                    dev.dfd.family.mobilenetv1.MobileNetV1Config.read(configFile).withLabels(labels), o.seed());
            case "vit" -> new Vit(VitModelConfig.of(c, configFile, labels, o.imageSize()), o.seed());
            default -> throw new DfdException(configFile + ": dfd trains model_type resnet (basic layers) or vit, found \""
                    + type + "\"");
        };
    }
}
