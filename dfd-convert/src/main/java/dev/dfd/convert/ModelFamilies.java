package dev.dfd.convert;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.dfd.DfdException;
import dev.dfd.family.ModelFamily;
import dev.dfd.family.beit.BeitFamily;
import dev.dfd.family.clip.ClipFamily;
import dev.dfd.family.convnext.ConvNextFamily;
import dev.dfd.family.dinov2.Dinov2Family;
import dev.dfd.family.efficientnet.EfficientNetFamily;
import dev.dfd.family.mobilenetv1.MobileNetV1Family;
import dev.dfd.family.resnet.ResNetFamily;
import dev.dfd.family.swin.SwinFamily;
import dev.dfd.family.vit.VitFamily;
import dev.dfd.internal.Json;

import java.nio.file.Path;
import java.util.List;
import java.util.stream.Collectors;

/** The families {@link Converter} converts, chosen by config.json's {@code model_type}. A new family is one line here. */
public final class ModelFamilies {
    public static final List<ModelFamily<?>> ALL = List.of(
            new VitFamily(),
            new ResNetFamily(),
            new ConvNextFamily(),
            new ClipFamily(),
            new Dinov2Family(),
            new BeitFamily(),
            new SwinFamily(),
            new EfficientNetFamily(),
            new MobileNetV1Family());

    private ModelFamilies() {
    }

    /** The family for this config.json, by its {@code model_type}; one line naming the file and the known types. */
    public static ModelFamily<?> of(Path configFile) {
        ObjectNode config = Json.readObject(configFile);
        String type = Json.string(config, "model_type", "", configFile);
        String arch = config.path("architectures").path(0).asText("");
        for (ModelFamily<?> f : ALL) {
            if (f.modelTypes().contains(type)) {
                return f;
            }
        }
        for (ModelFamily<?> f : ALL) { // an old config without model_type: by its architecture
            if (type.isEmpty() && !arch.isEmpty() && List.of(f.architectures().split(", ")).contains(arch)) {
                return f;
            }
        }
        throw new DfdException(configFile + ": model_type \"" + type + "\" (" + (arch.isEmpty() ? "no architectures"
                : arch) + ") is not one dfd converts; it converts " + architectures());
    }

    /** Every model_type, comma-separated. */
    public static String modelTypes() {
        return ALL.stream().flatMap(f -> f.modelTypes().stream()).collect(Collectors.joining(", "));
    }

    /** Every architecture, comma-separated. */
    public static String architectures() {
        return ALL.stream().map(ModelFamily::architectures).collect(Collectors.joining(", "));
    }
}
