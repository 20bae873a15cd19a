package dev.dfd.internal;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.dfd.DfdException;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;

/** Reading the JSON files of a model directory, with errors that name the file and the field. */
public final class Json {
    public static final ObjectMapper MAPPER = new ObjectMapper();
    /** Config files are small; anything bigger is not a config. */
    private static final long MAX_CONFIG_BYTES = 16L << 20;

    private Json() {
    }

    /** Reads a JSON object from a file; a missing, oversized, unparsable or non-object file is a DfdException. */
    public static ObjectNode readObject(Path file) {
        try {
            long size = Files.size(file);
            if (size > MAX_CONFIG_BYTES) {
                throw new DfdException(file + ": " + size + " bytes is too large for a config file");
            }
            return parseObject(Files.readAllBytes(file), file);
        } catch (NoSuchFileException e) {
            throw new DfdException(file + ": file not found");
        } catch (IOException e) {
            throw new DfdException(file + ": cannot read (" + e.getMessage() + ")");
        }
    }

    /** The JSON object in {@code json}, the contents of {@code file}; anything else is a one-line DfdException. */
    public static ObjectNode parseObject(byte[] json, Path file) {
        JsonNode node;
        try {
            node = MAPPER.readTree(json);
        } catch (JsonProcessingException e) {
            throw new DfdException(file + ": invalid JSON (" + oneLine(e.getOriginalMessage())
                    + (e.getLocation() == null ? "" : " at line " + e.getLocation().getLineNr()) + ")");
        } catch (IOException e) {
            throw new DfdException(file + ": cannot read (" + oneLine(e.getMessage()) + ")");
        }
        if (node == null || !node.isObject()) {
            throw new DfdException(file + ": expected a JSON object");
        }
        return (ObjectNode) node;
    }

    /** A value quoted from a file, for a message: line breaks flattened, long values cut. */
    public static String oneLine(Object value) {
        String s = String.valueOf(value).replaceAll("\\s+", " ").trim();
        return s.length() > 200 ? s.substring(0, 200) + "..." : s;
    }

    /** A boolean field, {@code fallback} when absent or null. */
    public static boolean bool(ObjectNode o, String field, boolean fallback, Path file) {
        JsonNode n = o.get(field);
        if (n == null || n.isNull()) {
            return fallback;
        }
        if (!n.isBoolean()) {
            throw new DfdException(file + ": \"" + field + "\" must be true or false, found " + n);
        }
        return n.booleanValue();
    }

    /** A number field, {@code fallback} when absent or null. */
    public static double number(ObjectNode o, String field, double fallback, Path file) {
        JsonNode n = o.get(field);
        if (n == null || n.isNull()) {
            return fallback;
        }
        if (!n.isNumber()) {
            throw new DfdException(file + ": \"" + field + "\" must be a number, found " + n);
        }
        return n.doubleValue();
    }

    /** A string field, {@code fallback} when absent or null. */
    public static String string(ObjectNode o, String field, String fallback, Path file) {
        JsonNode n = o.get(field);
        if (n == null || n.isNull()) {
            return fallback;
        }
        if (!n.isTextual()) {
            throw new DfdException(file + ": \"" + field + "\" must be a string, found " + n);
        }
        return n.textValue();
    }

    public static String write(Object value) {
        try {
            return MAPPER.writeValueAsString(value);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("cannot serialise " + value.getClass(), e);
        }
    }
}
