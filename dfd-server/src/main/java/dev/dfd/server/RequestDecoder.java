package dev.dfd.server;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.StreamReadConstraints;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import java.io.IOException;
import java.io.InputStream;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Locale;

/**
 * Turns an HTTP request into the images it carries: a multipart upload (every file part), a raw {@code image/*} or
 * {@code application/octet-stream} body, or JSON {@code {"image": base64}}, {@code {"images": [...]}},
 * {@code {"url": ...}}, {@code {"urls": [...]}} (URLs only when fetching is allowed). Bounded: the body limit is
 * applied to the declared length before anything is read and to the bytes actually read, and the image count per
 * request is capped. Every refusal is an {@link ApiException} with its status and code.
 *
 * <pre>{@code
 * List<RequestDecoder.Input> images = new RequestDecoder(maxBody, 32, fetcher).decode(request);
 * }</pre>
 */
final class RequestDecoder {
    /** One image of a request: the name results carry (file name, "body", "image", the URL) and its bytes. */
    record Input(String name, byte[] bytes) {
    }

    /** The parts of an HTTP request the decoder reads; the server adapts its framework's request to it. */
    interface Request {
        /** The Content-Type header, or null. */
        String contentType();

        /** The declared Content-Length, or -1. */
        long contentLength();

        String header(String name);

        /** The body as a stream (not for multipart). */
        InputStream body() throws IOException;

        /** The file parts of a multipart request: file name (or null) and content. */
        List<Part> files() throws IOException;
    }

    record Part(String fileName, InputStream content) {
    }

    private final long maxBodyBytes;
    private final int maxImages;
    /** null: fetching images by URL is off. */
    private final UrlFetcher fetcher;
    /** JSON bodies: a string may be as long as the body (Jackson's default stops at 20 million characters). */
    private final ObjectMapper json;

    RequestDecoder(long maxBodyBytes, int maxImages, UrlFetcher fetcher) {
        this.maxBodyBytes = maxBodyBytes;
        this.maxImages = maxImages;
        this.fetcher = fetcher;
        this.json = new ObjectMapper(JsonFactory.builder().streamReadConstraints(StreamReadConstraints.builder()
                .maxStringLength((int) Math.min(Integer.MAX_VALUE, Math.max(maxBodyBytes,
                        StreamReadConstraints.DEFAULT_MAX_STRING_LEN))).build()).build());
    }

    /** The images of a request, at least one, at most {@code maxImages}, none empty. */
    List<Input> decode(Request request) {
        long length = request.contentLength();
        if (length > maxBodyBytes) {
            throw tooLarge("request body is " + length + " bytes, over the limit of " + maxBodyBytes);
        }
        String type = request.contentType() == null ? "" : request.contentType().toLowerCase(Locale.ROOT);
        List<Input> inputs = new ArrayList<>();
        if (type.startsWith("multipart/form-data")) {
            List<Part> parts;
            try {
                parts = request.files();
            } catch (IOException | IllegalArgumentException e) {
                // Jetty's parser refuses a malformed body, or a media type not spelled in lower case, this way
                throw new ApiException(400, "bad_request", "cannot read the upload (" + oneLine(e) + ")");
            }
            for (Part f : parts) {
                try (InputStream in = f.content()) {
                    inputs.add(new Input(f.fileName() == null || f.fileName().isBlank() ? "upload" : f.fileName(),
                            in.readAllBytes()));
                } catch (IOException e) {
                    throw new ApiException(400, "bad_request", "cannot read the upload (" + oneLine(e) + ")");
                }
            }
        } else if (type.startsWith("application/json")) {
            JsonNode json;
            try {
                json = this.json.readTree(body(request));
            } catch (IOException e) {
                throw new ApiException(400, "bad_json", "the body is not valid JSON");
            }
            if (json == null || !json.isObject()) {
                throw new ApiException(400, "bad_json", "expected a JSON object like {\"image\": \"<base64>\"}");
            }
            addJson(json.get("image"), "image", inputs);
            addJson(json.get("url"), "url", inputs);
            addJsonArray(json.get("images"), "image", inputs);
            addJsonArray(json.get("urls"), "url", inputs);
        } else if (type.startsWith("image/") || type.startsWith("application/octet-stream")) {
            String name = request.header("X-Filename");
            inputs.add(new Input(name != null && !name.isBlank() ? name : "body", body(request)));
        } else {
            throw new ApiException(415, "unsupported_media_type", "send the image as multipart/form-data, as an"
                    + " image/* body, or as JSON {\"image\": \"<base64>\"}; got "
                    + (type.isEmpty() ? "no content type" : type));
        }
        if (inputs.isEmpty()) {
            throw new ApiException(400, "no_image", "the request holds no image");
        }
        if (inputs.size() > maxImages) {
            throw new ApiException(413, "too_many_images", inputs.size() + " images, over the limit of " + maxImages
                    + " per request");
        }
        return inputs;
    }

    private void addJsonArray(JsonNode array, String kind, List<Input> inputs) {
        if (array == null || array.isNull()) {
            return;
        }
        if (!array.isArray()) {
            throw new ApiException(400, "bad_json", "\"" + kind + "s\" must be an array of "
                    + (kind.equals("url") ? "strings" : "base64 strings"));
        }
        for (JsonNode item : array) {
            if (inputs.size() >= maxImages) { // stop decoding base64 once the request is refused anyway
                throw new ApiException(413, "too_many_images", "over the limit of " + maxImages
                        + " images per request");
            }
            addJson(item, kind, inputs);
        }
    }

    private void addJson(JsonNode node, String kind, List<Input> inputs) {
        if (node == null || node.isNull()) {
            return;
        }
        if (!node.isTextual()) {
            throw new ApiException(400, "bad_json", "\"" + kind + "\" must be a string");
        }
        if (kind.equals("url")) {
            if (fetcher == null) {
                throw new ApiException(403, "url_fetch_disabled", "fetching images by URL is off (start the server"
                        + " with --allow-url-fetch)");
            }
            inputs.add(new Input(node.asText(), fetcher.fetch(node.asText())));
            return;
        }
        String b64 = node.asText();
        int comma = b64.startsWith("data:") ? b64.indexOf(',') : -1; // data URLs too
        try {
            String data = (comma >= 0 ? b64.substring(comma + 1) : b64).replaceAll("\\s", ""); // line breaks allowed
            inputs.add(new Input("image", Base64.getDecoder().decode(data)));
        } catch (IllegalArgumentException e) {
            throw new ApiException(400, "bad_base64", "\"image\" is not valid base64");
        }
    }

    /** The body, read with the bound even when no Content-Length was sent. */
    private byte[] body(Request request) {
        try (InputStream in = request.body()) {
            byte[] data = in.readNBytes((int) Math.min(Integer.MAX_VALUE - 8, maxBodyBytes + 1));
            if (data.length > maxBodyBytes) {
                throw tooLarge("request body over the limit of " + maxBodyBytes + " bytes");
            }
            return data;
        } catch (IOException e) {
            throw new ApiException(400, "bad_request", "cannot read the body (" + oneLine(e) + ")");
        }
    }

    static ApiException tooLarge(String message) {
        return new ApiException(413, "too_large", message);
    }

    private static String oneLine(Exception e) {
        String m = e.getMessage();
        return m == null ? "connection closed" : m.replaceAll("\\s+", " ").trim();
    }
}
