package dev.dfd.server;

import com.fasterxml.jackson.databind.JsonNode;

import java.util.Iterator;
import java.util.Map;

/** A readable HTML page of the OpenAPI document, rendered on the server (no script, no CDN). */
final class ApiDocs {
    private ApiDocs() {
    }

    static String render(JsonNode api) {
        StringBuilder h = new StringBuilder("<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\">"
                + "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\"><title>dfd API</title>"
                + "<link rel=\"stylesheet\" href=\"/static/style.css\"></head><body><main class=\"docs\">");
        h.append("<h1>").append(esc(api.at("/info/title").asText())).append("</h1><p>")
                .append(esc(api.at("/info/description").asText())).append("</p><p><a href=\"/openapi.json\">openapi.json</a>"
                        + " &middot; <a href=\"/\">web page</a></p>");
        for (Iterator<Map.Entry<String, JsonNode>> paths = api.get("paths").fields(); paths.hasNext(); ) {
            Map.Entry<String, JsonNode> path = paths.next();
            for (Iterator<Map.Entry<String, JsonNode>> ops = path.getValue().fields(); ops.hasNext(); ) {
                Map.Entry<String, JsonNode> op = ops.next();
                JsonNode o = op.getValue();
                h.append("<section class=\"op\"><h2><span class=\"method\">").append(op.getKey().toUpperCase())
                        .append("</span> <code>").append(esc(path.getKey())).append("</code></h2><p>")
                        .append(esc(o.path("summary").asText())).append("</p>");
                if (o.has("description")) {
                    h.append("<p class=\"muted\">").append(esc(o.get("description").asText())).append("</p>");
                }
                if (o.has("parameters")) {
                    h.append("<table><tr><th>parameter</th><th>in</th><th>meaning</th></tr>");
                    for (JsonNode p : o.get("parameters")) {
                        h.append("<tr><td><code>").append(esc(p.path("name").asText())).append("</code></td><td>")
                                .append(esc(p.path("in").asText())).append("</td><td>")
                                .append(esc(p.path("description").asText())).append("</td></tr>");
                    }
                    h.append("</table>");
                }
                if (o.has("responses")) {
                    h.append("<table><tr><th>status</th><th>meaning</th></tr>");
                    for (Iterator<Map.Entry<String, JsonNode>> rs = o.get("responses").fields(); rs.hasNext(); ) {
                        Map.Entry<String, JsonNode> r = rs.next();
                        h.append("<tr><td>").append(esc(r.getKey())).append("</td><td>")
                                .append(esc(r.getValue().path("description").asText())).append("</td></tr>");
                    }
                    h.append("</table>");
                }
                if (o.has("x-example")) {
                    h.append("<pre>").append(esc(o.get("x-example").asText())).append("</pre>");
                }
                h.append("</section>");
            }
        }
        return h.append("</main></body></html>").toString();
    }

    private static String esc(String s) {
        return s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace("\"", "&quot;");
    }
}
