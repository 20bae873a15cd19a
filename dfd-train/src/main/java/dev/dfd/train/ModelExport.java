package dev.dfd.train;

import ai.djl.ndarray.NDArray;
import dev.dfd.DfdException;
import dev.dfd.convert.Converter;
import dev.dfd.graph.WeightEncoding;
import dev.dfd.internal.Json;
import dev.dfd.internal.preprocess.PreprocessorConfig;
import dev.dfd.safetensors.SafetensorsWriter;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;

/** A trained model as a Hugging Face directory: config.json, preprocessor_config.json, model.safetensors, onnx/. */
final class ModelExport {
    private ModelExport() {
    }

    /** Weights and buffers by transformers' names (BatchNorm's num_batches_tracked included, as int64). */
    static void writeWeights(TrainableModel model, Path file) {
        Map<String, SafetensorsWriter.FloatTensor> tensors = new LinkedHashMap<>();
        for (Map.Entry<String, NDArray> e : model.weights().all().entrySet()) {
            NDArray a = e.getValue();
            tensors.put(e.getKey(), new SafetensorsWriter.FloatTensor(a.toFloatArray(), a.getShape().getShape()));
        }
        Map<String, Long> counters = new LinkedHashMap<>();
        if (model instanceof ResNet r) {
            for (String bn : r.batchNorms()) {
                counters.put(bn + ".num_batches_tracked", r.batchesTracked());
            }
        }
        SafetensorsWriter.write(file, tensors, counters, Map.of("format", "pt"));
    }

    /**
     * Writes the model directory and converts it to ONNX with dfd-convert (the same exporter users run); with
     * {@code faceCrop}, declares the face crops the model was trained on (dfd_faces.json), so dfd detect cuts the same
     * crops from photos.
     */
    static void writeModelDir(TrainableModel model, PreprocessorConfig pre, Path dir, dev.dfd.internal.face.FaceCrop faceCrop) {
        try {
            Files.createDirectories(dir);
            Path faces = dir.resolve(dev.dfd.internal.face.FaceCrop.FILE);
            if (faceCrop != null) {
                Files.writeString(faces, faceCrop.toJson());
            } else {
                Files.deleteIfExists(faces);
            }
            Files.writeString(dir.resolve("config.json"),
                    Json.MAPPER.writerWithDefaultPrettyPrinter().writeValueAsString(model.configJson()));
            Files.writeString(dir.resolve(PreprocessorConfig.FILE_NAME), preprocessorJson(pre));
            writeWeights(model, dir.resolve("model.safetensors"));
        } catch (IOException e) {
            throw new DfdException(dir + ": cannot write (" + e.getMessage() + ")");
        }
        Converter.convert(dir, dir, WeightEncoding.FP32, false);
    }

    static String preprocessorJson(PreprocessorConfig p) {
        var o = Json.MAPPER.createObjectNode();
        o.put("do_normalize", p.doNormalize());
        o.put("do_rescale", p.doRescale());
        o.put("do_resize", p.doResize());
        var mean = o.putArray("image_mean");
        for (double v : p.imageMean()) {
            mean.add(v);
        }
        o.put("image_processor_type", "ViTImageProcessor");
        var std = o.putArray("image_std");
        for (double v : p.imageStd()) {
            std.add(v);
        }
        o.put("resample", p.resample().pillowId);
        o.put("rescale_factor", p.rescaleFactor());
        o.putObject("size").put("height", p.height()).put("width", p.width());
        try {
            return Json.MAPPER.writerWithDefaultPrettyPrinter().writeValueAsString(o);
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    static String fmt(double v) {
        return String.format(Locale.ROOT, "%.4f", v);
    }
}
