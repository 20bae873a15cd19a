package dev.dfd.internal.report;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.dfd.DetectionResult.Detection;
import dev.dfd.DetectionResult.FaceVerdict;
import dev.dfd.DetectionResult.Failure;
import dev.dfd.DetectionResult;
import dev.dfd.Face;
import dev.dfd.LabelScore;
import dev.dfd.Prediction;
import dev.dfd.internal.Json;

/**
 * One image's result as JSON, the same for {@code dfd detect --format json} and the HTTP API:
 * <ul>
 *   <li>{@code {"path", "status": "ok", "label", "score", "predictions": [{"label", "score"}], "logits"}}, plus
 *       {@code "faces": [{"box": [x, y, w, h], "keypoints": [[x, y]...], "face_score", "label", "score",
 *       "predictions"}]} when the model judged faces (boxes and keypoints in the original image's pixels);</li>
 *   <li>{@code {"path", "status": "no_face", "label": null, "score": null, "faces": []}};</li>
 *   <li>{@code {"path", "status": "error", "error"}}.</li>
 * </ul>
 */
public final class DetectionJson {
    private DetectionJson() {
    }

    public static ObjectNode of(DetectionResult r) {
        ObjectNode o = Json.MAPPER.createObjectNode();
        o.put("path", r.source());
        if (r instanceof Failure f) {
            o.put("status", "error");
            o.put("error", f.error());
            return o;
        }
        if (!(r instanceof Detection d)) {
            o.put("status", "no_face");
            o.putNull("label");
            o.putNull("score");
            o.putArray("faces");
            return o;
        }
        o.put("status", "ok");
        prediction(o, d.prediction(), true);
        if (!d.faces().isEmpty()) {
            ArrayNode faces = o.putArray("faces");
            for (FaceVerdict v : d.faces()) {
                ObjectNode f = faces.addObject();
                Face.Box b = v.face().box();
                f.putArray("box").add(b.x()).add(b.y()).add(b.width()).add(b.height());
                ArrayNode k = f.putArray("keypoints");
                for (Face.Point p : v.face().keypoints()) {
                    k.addArray().add(p.x()).add(p.y());
                }
                f.put("face_score", v.face().score());
                prediction(f, v.prediction(), false);
            }
        }
        return o;
    }

    private static void prediction(ObjectNode o, Prediction p, boolean logits) {
        o.put("label", p.label());
        o.put("score", p.positiveScore());
        ArrayNode preds = o.putArray("predictions");
        for (LabelScore ls : p.predictions()) {
            preds.addObject().put("label", ls.label()).put("score", ls.score());
        }
        if (logits) {
            ArrayNode l = o.putArray("logits");
            for (float v : p.logits()) {
                l.add(v);
            }
        }
    }
}
