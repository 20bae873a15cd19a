package dev.dfd.eval;

import dev.dfd.DfdException;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Matches a data set's labels to a model's {@code id2label}: exactly, then ignoring case, then through an explicit
 * map ({@code --label-map real=Real,ai=Fake}). Every unknown label is reported at once, before any inference.
 *
 * <pre>{@code
 * // a data set labelled real/deepfake, a model labelled Real/Fake
 * LabelMapping mapping = LabelMapping.of(List.of("deepfake", "real"), List.of("Real", "Fake"),
 *         LabelMapping.parse("deepfake=Fake"));
 * int fakeId = mapping.id("deepfake");   // 1
 * }</pre>
 */
public final class LabelMapping {
    private final Map<String, Integer> ids = new LinkedHashMap<>();

    private LabelMapping() {
    }

    public static LabelMapping of(List<String> dataLabels, List<String> modelLabels, Map<String, String> explicit) {
        LabelMapping m = new LabelMapping();
        List<String> unknown = new ArrayList<>();
        for (String label : dataLabels) {
            String target = explicit.getOrDefault(label, label);
            for (Map.Entry<String, String> e : explicit.entrySet()) {
                if (e.getKey().equalsIgnoreCase(label)) {
                    target = e.getValue();
                }
            }
            int id = modelLabels.indexOf(target);
            if (id < 0) {
                for (int i = 0; i < modelLabels.size(); i++) {
                    if (modelLabels.get(i).equalsIgnoreCase(target)) {
                        id = i;
                    }
                }
            }
            if (id < 0) {
                unknown.add(label);
            } else {
                m.ids.put(label, id);
            }
        }
        if (!unknown.isEmpty()) {
            throw new DfdException("data set label" + (unknown.size() > 1 ? "s " : " ") + unknown
                    + " not among the model's labels " + modelLabels + "; map them with --label-map "
                    + unknown.get(0).toLowerCase(Locale.ROOT) + "=" + modelLabels.get(0) + ",...");
        }
        return m;
    }

    /** Parses {@code a=A,b=B}. */
    public static Map<String, String> parse(String spec) {
        Map<String, String> map = new LinkedHashMap<>();
        if (spec == null || spec.isBlank()) {
            return map;
        }
        for (String pair : spec.split(",")) {
            int eq = pair.indexOf('=');
            if (eq <= 0 || eq == pair.length() - 1) {
                throw new dev.dfd.DfdException("--label-map expects data=model pairs like real=Real,ai=Fake, found '"
                        + pair + "'");
            }
            map.put(pair.substring(0, eq).trim(), pair.substring(eq + 1).trim());
        }
        return map;
    }

    public int id(String dataLabel) {
        Integer id = ids.get(dataLabel);
        if (id == null) {
            throw new dev.dfd.DfdException("unmapped label " + dataLabel);
        }
        return id;
    }
}
