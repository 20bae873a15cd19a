package dev.dfd.report;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.dfd.DetectionResult;
import dev.dfd.DetectionResult.Detection;
import dev.dfd.DetectionResult.Failure;
import dev.dfd.Json;
import dev.dfd.postprocess.LabelScore;
import dev.dfd.postprocess.Prediction;

/**
 * One image's result as JSON, the same for {@code dfd detect --format json} and the HTTP API:
 * {@code {"path", "label", "score", "predictions": [{"label", "score"}], "logits"}} or {@code {"path", "error"}}.
 */
public final class DetectionJson {
    private DetectionJson() {
    }

    public static ObjectNode of(DetectionResult r) {
        ObjectNode o = Json.MAPPER.createObjectNode();
        o.put("path", r.source());
        if (r instanceof Failure f) {
            o.put("error", f.error());
            return o;
        }
        return of(r.source(), ((Detection) r).prediction());
    }

    public static ObjectNode of(String path, Prediction p) {
        ObjectNode o = Json.MAPPER.createObjectNode();
        o.put("path", path);
        o.put("label", p.label());
        o.put("score", p.positiveScore());
        ArrayNode preds = o.putArray("predictions");
        for (LabelScore ls : p.predictions()) {
            preds.addObject().put("label", ls.label()).put("score", ls.score());
        }
        ArrayNode logits = o.putArray("logits");
        for (float v : p.logits()) {
            logits.add(v);
        }
        return o;
    }
}
