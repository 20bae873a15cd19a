package dev.dfd.cli;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.dfd.family.vit.VitConfig;
import dev.dfd.family.vit.VitInit;
import dev.dfd.internal.Json;
import dev.dfd.safetensors.SafetensorsFile;
import dev.dfd.safetensors.TensorInfo;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

import java.nio.file.Path;
import java.util.Locale;
import java.util.concurrent.Callable;

@Command(name = "init", mixinStandardHelpOptions = true, versionProvider = Main.Version.class,
        usageHelpAutoWidth = true,
        description = {"Write a randomly initialised ViTForImageClassification in Hugging Face layout (config.json,"
                + " preprocessor_config.json, model.safetensors), initialised as transformers does.",
                "Fields absent from --config take ViTConfig's defaults (ViT-base: image 224, patch 16, hidden 768,"
                        + " 12 layers, 12 heads, mlp 3072); labels default to Real, Fake."})
final class InitCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Option(names = "--config", paramLabel = "FILE", description = "A (partial) ViT config.json. Default: ViT-base.")
    Path config;

    @Parameters(paramLabel = "OUT_DIR", description = "Where to write the model.")
    Path out;

    @Option(names = "--seed", paramLabel = "N", defaultValue = "0", description = "Random seed. Default: ${DEFAULT-VALUE}.")
    long seed;

    @Override
    public Integer call() {
        ObjectNode user = config == null ? Json.MAPPER.createObjectNode() : Json.readObject(config);
        VitConfig c = VitInit.writeModelDir(user, out, seed);
        long params;
        try (SafetensorsFile written = SafetensorsFile.open(out.resolve("model.safetensors"))) {
            params = written.tensors().values().stream().mapToLong(TensorInfo::elements).sum();
        }
        spec.commandLine().getErr().printf(Locale.ROOT, "wrote %s: ViT %dx%d patch %d, hidden %d, %d layers, %d heads,"
                        + " mlp %d, labels %s, %,d parameters%n", out, c.imageHeight(), c.imageWidth(), c.patchSize(),
                c.hidden(), c.layers(), c.heads(), c.intermediate(), c.labels(), params);
        spec.commandLine().getErr().flush();
        return Main.OK;
    }
}
