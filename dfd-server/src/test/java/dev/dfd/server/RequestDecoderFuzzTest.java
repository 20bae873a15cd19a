package dev.dfd.server;

import com.code_intelligence.jazzer.junit.FuzzTest;
import dev.dfd.FuzzChecks;
import jakarta.servlet.MultipartConfigElement;
import jakarta.servlet.http.Part;
import org.eclipse.jetty.server.MultiPartFormInputStream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A request body of any bytes, under each content type the server reads (multipart parsed by Jetty's own multipart
 * parser with the server's limits, as Javalin hands it over; JSON with base64 images; a raw image body; anything
 * else), through {@link RequestDecoder}: a 4xx {@link ApiException} with a one-line message, or 1..maxImages images
 * holding no more bytes than the body.
 *
 * <p>Input layout (so that seeds can be written by hand): one byte choosing the content type (low 3 bits: 0
 * multipart, 1 JSON, 2 image/png, 3 octet-stream, else the line below as the raw Content-Type; 0x80: no declared
 * length; 0x40: a declared length over the limit), one line (the multipart boundary, a charset, X-Filename or the
 * Content-Type; HTTP header values cannot hold CR or LF, so neither does the line), then the body.
 */
class RequestDecoderFuzzTest {
    private static final long MAX_BODY = 1 << 20;
    private static final int MAX_IMAGES = 4;
    private static final RequestDecoder DECODER = new RequestDecoder(MAX_BODY, MAX_IMAGES, null);
    private static Path uploads;

    @BeforeAll
    static void uploadDirectory() throws IOException {
        uploads = Files.createTempDirectory("fuzz-uploads");
    }

    @AfterAll
    static void removeUploads() throws IOException {
        try (var files = Files.list(uploads)) {
            for (Path f : files.toList()) {
                Files.deleteIfExists(f);
            }
        }
        Files.deleteIfExists(uploads);
    }

    @FuzzTest(maxDuration = "3s")
    void decode(byte[] input) {
        if (input.length == 0) {
            return;
        }
        int kind = input[0] & 0xFF;
        int newline = indexOf(input, (byte) '\n', 1);
        String line = new String(input, 1, newline - 1, StandardCharsets.ISO_8859_1).replace("\r", "");
        byte[] body = newline < input.length ? Arrays.copyOfRange(input, newline + 1, input.length) : new byte[0];
        String contentType = switch (kind & 0x07) {
            case 0 -> "multipart/form-data; boundary=" + line;
            case 1 -> "application/json" + (line.isEmpty() ? "" : "; charset=" + line);
            case 2 -> "image/png";
            case 3 -> "application/octet-stream";
            default -> line.isEmpty() ? null : line;
        };
        long declared = (kind & 0x80) != 0 ? -1 : (kind & 0x40) != 0 ? MAX_BODY + 1 : body.length;
        FuzzedRequest request = new FuzzedRequest(contentType, declared, line, body);
        try {
            List<RequestDecoder.Input> images = DECODER.decode(request);
            assertTrue(!images.isEmpty() && images.size() <= MAX_IMAGES, images.size() + " images");
            long total = 0;
            for (RequestDecoder.Input image : images) {
                assertNotNull(image.name());
                total += image.bytes().length;
            }
            assertTrue(total <= body.length, total + " bytes of images from a body of " + body.length);
        } catch (ApiException refused) {
            assertTrue(refused.status >= 400 && refused.status < 500, "status " + refused.status);
            FuzzChecks.requireOneLine(refused.getMessage(), refused);
        } finally {
            request.deleteParts();
        }
    }

    private static int indexOf(byte[] b, byte value, int from) {
        for (int i = from; i < b.length; i++) {
            if (b[i] == value) {
                return i;
            }
        }
        return b.length;
    }

    /** The request as DfdServer's Javalin adapter presents it, multipart parsed by Jetty 11 as in the server. */
    private static final class FuzzedRequest implements RequestDecoder.Request {
        private final String contentType;
        private final long contentLength;
        private final String fileName;
        private final byte[] body;
        private MultiPartFormInputStream multipart;

        FuzzedRequest(String contentType, long contentLength, String fileName, byte[] body) {
            this.contentType = contentType;
            this.contentLength = contentLength;
            this.fileName = fileName;
            this.body = body;
        }

        @Override
        public String contentType() {
            return contentType;
        }

        @Override
        public long contentLength() {
            return contentLength;
        }

        @Override
        public String header(String name) {
            return name.equals("X-Filename") ? fileName : null;
        }

        @Override
        public InputStream body() {
            return new ByteArrayInputStream(body);
        }

        /** Javalin's uploadedFiles(): the parts that carry a file name; Jetty's size refusals become 413. */
        @Override
        public List<RequestDecoder.Part> files() throws IOException {
            MultipartConfigElement limits = new MultipartConfigElement(uploads.toString(), MAX_BODY, MAX_BODY,
                    (int) MAX_BODY);
            multipart = new MultiPartFormInputStream(new ByteArrayInputStream(body), contentType, limits,
                    uploads.toFile());
            List<RequestDecoder.Part> parts = new ArrayList<>();
            try {
                for (Part p : multipart.getParts()) {
                    if (p.getSubmittedFileName() != null) {
                        parts.add(new RequestDecoder.Part(p.getSubmittedFileName(), p.getInputStream()));
                    }
                }
            } catch (IllegalStateException e) {
                throw RequestDecoder.tooLarge("upload over the limit of " + MAX_BODY + " bytes");
            }
            return parts;
        }

        void deleteParts() {
            if (multipart != null) {
                multipart.deleteParts();
            }
        }
    }
}
