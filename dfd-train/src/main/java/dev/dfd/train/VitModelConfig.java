package dev.dfd.train;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.dfd.DfdException;
import dev.dfd.family.vit.VitConfig;
import dev.dfd.family.vit.VitInit;

import java.nio.file.Path;
import java.util.List;

/** A ViT to train: the architecture from a config.json (dfd-convert's VitConfig), with the data's labels. */
record VitModelConfig(VitConfig arch, ObjectNode json) {
    static VitModelConfig of(ObjectNode config, Path file, List<String> labels, int imageSize) {
        ObjectNode full = VitInit.fullConfig(config);
        full.remove("id2label");
        dev.dfd.family.Configs.putLabels(full, labels);
        VitConfig arch = VitConfig.read(file).withLabels(labels);
        if (!arch.family().equals("vit")) {
            throw new DfdException(file + ": dfd trains ViTForImageClassification; " + arch.family() + " is converted only");
        }
        if (arch.imageHeight() != imageSize || arch.imageWidth() != imageSize) {
            throw new DfdException(file + ": image_size " + arch.imageHeight() + " differs from --image-size " + imageSize);
        }
        return new VitModelConfig(arch, full);
    }
}
