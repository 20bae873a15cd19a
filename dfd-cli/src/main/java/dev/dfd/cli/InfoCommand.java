package dev.dfd.cli;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.dfd.DfdException;
import dev.dfd.convert.Converter;
import dev.dfd.internal.Json;
import dev.dfd.internal.Provenance;
import dev.dfd.internal.face.FaceCrop;
import dev.dfd.internal.model.ModelConfig;
import dev.dfd.internal.model.ModelFiles;
import dev.dfd.internal.model.OnnxClassifier;
import dev.dfd.internal.preprocess.PreprocessorConfig;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.stream.Stream;

@Command(name = "info", mixinStandardHelpOptions = true, versionProvider = Main.Version.class,
        usageHelpAutoWidth = true,
        description = {"What a model directory holds: model_type and architectures, labels, the image processor and"
                + " its output size, every ONNX variant (onnx/model_<variant>.onnx) with its size, external data and"
                + " input shape as ONNX Runtime reads it, whether the model takes face crops (dfd_faces.json) or"
                + " whole images, and the provenance dfd convert recorded (dfd_conversion.json: dtype, source"
                + " sha256, time, and whether the file still has the recorded sha256)."})
final class InfoCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Parameters(index = "0", paramLabel = "MODEL_DIR", description = "The model directory.")
    Path dir;

    @Option(names = "--json", description = "Print the description as one JSON object.")
    boolean json;

    @Override
    public Integer call() throws JsonProcessingException {
        ObjectNode d = describe(dir);
        PrintWriter out = spec.commandLine().getOut();
        out.print(json ? Json.MAPPER.writerWithDefaultPrettyPrinter().writeValueAsString(d) + "\n" : render(d));
        out.flush();
        return Main.OK;
    }

    /**
     * The description of a model directory, as {@code --json} prints it. Each ONNX file is opened by ONNX Runtime
     * (without prepacking) to read its input shape; one it cannot load is listed with the reason.
     */
    static ObjectNode describe(Path dir) {
        if (!Files.isDirectory(dir)) {
            throw new DfdException(dir + ": model directory not found");
        }
        ObjectNode d = Json.MAPPER.createObjectNode();
        d.put("dir", dir.toString());
        ModelConfig config = ModelConfig.read(dir.resolve(ModelConfig.FILE_NAME));
        d.put("model_type", config.modelType());
        config.architectures().forEach(d.putArray("architectures")::add);
        config.labels().forEach(d.putArray("labels")::add);
        d.set("processor", processor(dir.resolve(PreprocessorConfig.FILE_NAME)));
        d.set("variants", variants(dir));
        ArrayNode weights = d.putArray("source_weights");
        for (String name : List.of("model.safetensors", "model.safetensors.index.json", "pytorch_model.bin")) {
            Path p = dir.resolve(name);
            if (Files.isRegularFile(p)) {
                weights.addObject().put("file", name).put("bytes", size(p));
            }
        }
        d.set("faces", FaceCrop.read(dir).map(c -> (JsonNode) readTree(c.toJson(), dir.resolve(FaceCrop.FILE)))
                .orElse(Json.MAPPER.getNodeFactory().textNode("whole images")));
        Path provenance = dir.resolve(Converter.PROVENANCE_FILE);
        if (Files.isRegularFile(provenance)) {
            d.set("provenance", Json.readObject(provenance));
        }
        return d;
    }

    private static ObjectNode processor(Path file) {
        ObjectNode p = Json.MAPPER.createObjectNode();
        if (!Files.isRegularFile(file)) {
            throw new DfdException(file + ": file not found (an image classifier needs preprocessor_config.json)");
        }
        PreprocessorConfig c = PreprocessorConfig.read(file);
        p.put("type", c.processorType());
        p.put("resample", c.resample().name().toLowerCase(Locale.ROOT));
        int[] size = c.fixedOutputSize();
        if (size != null) {
            p.putArray("output_size").add(size[0]).add(size[1]);
        } else {
            p.put("output_size", c.shortestEdge() > 0 ? "shortest edge " + c.shortestEdge() + ", the other in"
                    + " proportion" : "the image's own size");
        }
        if (c.doCenterCrop()) {
            p.putArray("center_crop").add(c.cropHeight()).add(c.cropWidth());
        }
        if (c.doNormalize()) {
            ArrayNode mean = p.putArray("image_mean");
            ArrayNode std = p.putArray("image_std");
            for (int i = 0; i < c.imageMean().length; i++) {
                mean.add(c.imageMean()[i]);
                std.add(c.imageStd()[i]);
            }
        }
        return p;
    }

    /** Every *.onnx in onnx/ and beside config.json, the Hub's variant names first, in ModelFiles' order. */
    private static ArrayNode variants(Path dir) {
        List<Path> files = new ArrayList<>();
        for (Path folder : List.of(dir.resolve("onnx"), dir)) {
            if (!Files.isDirectory(folder)) {
                continue;
            }
            try (Stream<Path> s = Files.list(folder)) {
                s.filter(p -> p.getFileName().toString().endsWith(".onnx") && Files.isRegularFile(p)).sorted()
                        .forEach(files::add);
            } catch (IOException e) {
                throw new DfdException(folder + ": cannot list (" + e.getMessage() + ")");
            }
        }
        List<String> order = new ArrayList<>();
        order.add(null);
        order.addAll(ModelFiles.VARIANTS);
        files.sort((a, b) -> Integer.compare(rank(a, order), rank(b, order)));
        ArrayNode out = Json.MAPPER.createArrayNode();
        for (Path f : files) {
            String name = f.getFileName().toString();
            int r = rank(f, order);
            ObjectNode v = out.addObject();
            v.put("variant", r < order.size() ? (order.get(r) == null ? "default" : order.get(r)) : null);
            v.put("file", dir.relativize(f).toString());
            v.put("bytes", size(f));
            for (String data : List.of(name + "_data", name + ".data")) {
                Path p = f.resolveSibling(data);
                if (Files.isRegularFile(p)) {
                    v.put("external_data", dir.relativize(p).toString());
                    v.put("external_data_bytes", size(p));
                }
            }
            try (OnnxClassifier c = OnnxClassifier.open(f, 1, false)) {
                ArrayNode shape = v.putArray("input_shape");
                for (long s : c.inputShape()) {
                    shape.add(s);
                }
                v.put("input_type", c.float16Input() ? "float16" : "float32");
                v.put("output_classes", c.outputClasses());
            } catch (DfdException e) {
                v.put("load_error", e.getMessage());
            }
        }
        return out;
    }

    private static int rank(Path f, List<String> order) {
        for (int i = 0; i < order.size(); i++) {
            if (f.getFileName().toString().equals(ModelFiles.onnxFileName(order.get(i)))) {
                return i;
            }
        }
        return order.size();
    }

    private static long size(Path p) {
        try {
            return Files.size(p);
        } catch (IOException e) {
            throw new DfdException(p + ": cannot read its size (" + e.getMessage() + ")");
        }
    }

    private static JsonNode readTree(String s, Path file) {
        try {
            return Json.MAPPER.readTree(s);
        } catch (JsonProcessingException e) {
            throw new DfdException(file + ": " + e.getOriginalMessage());
        }
    }

    /** The description as text, one fact a line. */
    static String render(ObjectNode d) {
        StringBuilder b = new StringBuilder();
        line(b, "model", d.get("dir").asText());
        line(b, "type", d.path("model_type").asText("(no model_type)") + " " + list(d.get("architectures")));
        line(b, "labels", list(d.get("labels")));
        JsonNode p = d.get("processor");
        JsonNode size = p.get("output_size");
        line(b, "processor", p.get("type").asText() + ", " + p.get("resample").asText() + ", pixel_values "
                + (size.isArray() ? size.get(0).asInt() + "x" + size.get(1).asInt() + " (HxW)" : size.asText())
                + (p.has("image_mean") ? ", mean " + list(p.get("image_mean")) + " std " + list(p.get("image_std")) : ""));
        JsonNode variants = d.get("variants");
        if (variants.isEmpty()) {
            line(b, "variants", "none (no ONNX file; dfd convert writes one from model.safetensors)");
        }
        JsonNode provenance = d.path("provenance");
        for (JsonNode v : variants) {
            String file = v.get("file").asText();
            StringBuilder s = new StringBuilder(String.format(Locale.ROOT, "%-9s %s %s", v.get("variant").isNull()
                    ? "(other)" : v.get("variant").asText(), file, mb(v.get("bytes").asLong())));
            if (v.has("external_data")) {
                s.append(" + ").append(v.get("external_data").asText()).append(' ')
                        .append(mb(v.get("external_data_bytes").asLong()));
            }
            if (v.has("input_shape")) {
                s.append(", input ").append(shape(v.get("input_shape"))).append(' ').append(v.get("input_type").asText());
            } else {
                s.append(", ONNX Runtime cannot load it: ").append(v.get("load_error").asText());
            }
            line(b, "variant", s.toString());
            JsonNode prov = provenance.get(file);
            if (prov != null) {
                line(b, "", "converted by dfd " + prov.path("dfd_version").asText("?") + " at "
                        + prov.path("time").asText("?") + ", dtype " + prov.path("dtype").asText("?")
                        + nbits(prov.get("matmul_nbits")) + ", from " + prov.path("source_dir").asText("?")
                        + sources(prov.get("source_sha256")) + shaCheck(d, file, prov));
            }
        }
        for (JsonNode w : d.get("source_weights")) {
            line(b, "weights", w.get("file").asText() + " " + mb(w.get("bytes").asLong()));
        }
        JsonNode faces = d.get("faces");
        line(b, "input", faces.isTextual() ? "whole images (no dfd_faces.json)"
                : "face crops (dfd_faces.json): " + faces.toString());
        return b.toString();
    }

    private static String nbits(JsonNode n) {
        return n == null ? "" : " (" + n.path("bits").asInt() + "-bit, block " + n.path("block_size").asInt() + ", "
                + (n.path("symmetric").asBoolean() ? "symmetric" : "asymmetric") + ")";
    }

    private static String sources(JsonNode s) {
        if (s == null || !s.isObject()) {
            return "";
        }
        List<String> parts = new ArrayList<>();
        for (Iterator<Map.Entry<String, JsonNode>> it = s.fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> e = it.next();
            parts.add(e.getKey() + " sha256 " + e.getValue().asText().substring(0, Math.min(12, e.getValue().asText().length())));
        }
        return " (" + String.join(", ", parts) + ")";
    }

    /** Whether the file is still the one converted: its sha256 against the recorded one. */
    private static String shaCheck(JsonNode d, String file, JsonNode prov) {
        String recorded = prov.path("onnx_sha256").asText(null);
        if (recorded == null) {
            return "";
        }
        Path f = Path.of(d.get("dir").asText()).resolve(file);
        return Provenance.sha256(f).equals(recorded) ? "; file unchanged since"
                : "; file CHANGED since (sha256 differs from the recorded one)";
    }

    private static void line(StringBuilder b, String key, String value) {
        b.append(String.format(Locale.ROOT, "%-10s %s%n", key, value));
    }

    private static String list(JsonNode a) {
        List<String> s = new ArrayList<>();
        a.forEach(x -> s.add(x.asText()));
        return "[" + String.join(", ", s) + "]";
    }

    private static String shape(JsonNode a) {
        List<String> s = new ArrayList<>();
        a.forEach(x -> s.add(x.asLong() < 0 ? "?" : x.asText()));
        return "[" + String.join(", ", s) + "]";
    }

    private static String mb(long bytes) {
        return bytes < 1_000_000 ? String.format(Locale.ROOT, "%.1f kB", bytes / 1e3)
                : String.format(Locale.ROOT, "%.1f MB", bytes / 1e6);
    }
}
