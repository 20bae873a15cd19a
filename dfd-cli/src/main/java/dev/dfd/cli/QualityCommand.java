package dev.dfd.cli;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.dfd.Decision;
import dev.dfd.Detector;
import dev.dfd.DetectorOptions;
import dev.dfd.Dfd;
import dev.dfd.DfdException;
import dev.dfd.eval.Bootstrap;
import dev.dfd.eval.Dataset;
import dev.dfd.eval.Evaluation;
import dev.dfd.eval.LabelMapping;
import dev.dfd.eval.Perturbation;
import dev.dfd.eval.Protocol;
import dev.dfd.internal.Json;
import dev.dfd.internal.Provenance;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;

/**
 * The generalisation protocol: one table that judges a candidate model on data it was and was not trained for,
 * with a threshold chosen on held-out real faces only (never on a test split).
 */
@Command(name = "quality", mixinStandardHelpOptions = true, versionProvider = Main.Version.class,
        sortOptions = false, usageHelpAutoWidth = true,
        description = {"Judge a model by the generalisation protocol: ROC AUC with bootstrap 95%% intervals on DFDC"
                + " test (in-domain, or an unseen manipulation for a model trained without DFDC fakes), its"
                + " perturbed copies, and GAN faces it never saw; the threshold is chosen on DFDC validation real"
                + " faces at --fpr, and every set's false-positive rate on real faces is given at it.",
                "Data: DIR/dfdc-faces/{val,test}/{Real,Fake} and DIR/gan-faces/{Real,Fake} (default DIR: the"
                        + " shared data folder beside the project, ../shared/data)."})
final class QualityCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Mixin
    ModelOptions model;

    @Option(names = "--data", paramLabel = "DIR", description = "Folder holding dfdc-faces/ and gan-faces/.")
    Path data;

    @Option(names = "--fpr", paramLabel = "RATE", defaultValue = "0.05",
            description = "False-positive rate on validation real faces that sets the threshold. Default:"
                    + " ${DEFAULT-VALUE}.")
    double fpr;

    @Option(names = "--threshold", paramLabel = "T", description = "Use this threshold instead of choosing one.")
    Double threshold;

    @Option(names = "--perturb", paramLabel = "LIST", defaultValue = "jpeg:50,blur:1.5,downscale:0.5",
            description = "Perturbed copies of DFDC test (jpeg:Q, blur:SIGMA, downscale:F, noise:SIGMA); 'none' for"
                    + " none. Default: ${DEFAULT-VALUE}.")
    String perturb;

    @Option(names = "--resamples", paramLabel = "N", defaultValue = "1000",
            description = "Bootstrap resamples per interval. Default: ${DEFAULT-VALUE}.")
    int resamples;

    @Mixin
    FaceOptions face;

    @Option(names = "--json", paramLabel = "FILE.json", description = "Write the table and provenance as JSON.")
    Path json;

    @Override
    public Integer call() throws IOException {
        if (!(fpr > 0 && fpr < 1) || resamples < 1) {
            throw new DfdException("--fpr must be in (0, 1) and --resamples at least 1");
        }
        List<Perturbation> perturbations = "none".equalsIgnoreCase(perturb.trim()) ? List.of()
                : Perturbation.parseList(perturb);
        Path root = data != null ? data : Dfd.home().resolve("../shared/data").normalize();
        Dataset val = Dataset.open(root.resolve("dfdc-faces"), "val");
        Dataset test = Dataset.open(root.resolve("dfdc-faces"), "test");
        Dataset gan = Dataset.open(root.resolve("gan-faces"), null);
        long images = val.images().size() + (long) test.images().size() * (1 + perturbations.size())
                + gan.images().size();
        PrintWriter out = spec.commandLine().getOut();
        PrintWriter err = spec.commandLine().getErr();
        DetectorOptions options = face.withFaceLimits(model.options(images, 0, 0))
                .withDecision(Decision.DEFAULT.withFaces(face.faces()));
        try (Detector detector = Detector.load(model.modelDir(), options)) {
            int positive = detector.model().labels().indexOf(detector.defaultDecision().positiveLabel());
            List<Protocol.Row> rows = new ArrayList<>();
            Evaluation.Pass valPass = pass(detector, val, null, "dfdc-val", err);
            boolean[] vy = Protocol.labels(valPass.scored(), positive);
            double[] vs = Protocol.scores(valPass.scored(), positive);
            double[] valReal = Protocol.negativeScores(vy, vs);
            if (threshold == null && valReal.length == 0) {
                throw new DfdException(root.resolve("dfdc-faces/val") + ": no real image was scored (" + valPass
                        .noFace().size() + " without a face, " + valPass.failures().size() + " failed), so no threshold"
                        + " can be chosen; give --threshold");
            }
            double t = threshold != null ? threshold : Protocol.thresholdForFpr(valReal, fpr);
            long seed = 0;
            rows.add(Protocol.row("dfdc-val (threshold)", vy, vs, t, resamples, seed++));
            rows.add(row("dfdc-test", pass(detector, test, null, "dfdc-test", err), positive, t, seed++));
            for (Perturbation p : perturbations) {
                rows.add(row("dfdc-test " + p.name(), pass(detector, test, (img, src) -> p.apply(img, src.hashCode()),
                        "dfdc-test " + p.name(), err), positive, t, seed++));
            }
            rows.add(row("gan-faces", pass(detector, gan, null, "gan-faces", err), positive, t, seed++));
            String table = Protocol.render(rows);
            out.printf(Locale.ROOT, "%s (%s); threshold %.4f %s%n", detector.model().id(),
                    detector.model().files().onnx().getFileName(), t, threshold != null ? "(given)"
                            : String.format(Locale.ROOT, "(FPR %.2f on DFDC validation real faces)", fpr));
            out.print(table);
            out.flush();
            if (json != null) {
                writeJson(detector, rows, t);
            }
        }
        return Main.OK;
    }

    private Protocol.Row row(String name, Evaluation.Pass pass, int positive, double t, long seed) {
        boolean[] y = Protocol.labels(pass.scored(), positive);
        return Protocol.row(name, y, Protocol.scores(pass.scored(), positive), t, resamples, seed);
    }

    private static Evaluation.Pass pass(Detector detector, Dataset set, dev.dfd.ImageTransform transform,
                                        String name, PrintWriter err) {
        LabelMapping mapping = LabelMapping.of(set.labels(), detector.model().labels(), Map.of());
        long start = System.nanoTime();
        Evaluation.Pass pass = Evaluation.score(detector, null, set, mapping, transform);
        err.printf(Locale.ROOT, "dfd: %s: %d images in %.1f s%s%s%n", name, set.images().size(),
                (System.nanoTime() - start) / 1e9, pass.noFace().isEmpty() ? ""
                        : ", no face in " + pass.noFace().size() + " (excluded)", pass.failures().isEmpty() ? ""
                        : ", " + pass.failures().size() + " failed (first: " + pass.failures().get(0).source() + ": "
                        + pass.failures().get(0).error() + ")");
        err.flush();
        return pass;
    }

    private void writeJson(Detector detector, List<Protocol.Row> rows, double t) throws IOException {
        ObjectNode o = Json.MAPPER.createObjectNode();
        o.putPOJO("provenance", Provenance.of(detector));
        o.put("threshold", t);
        o.put("threshold_rule", threshold != null ? "given" : "fpr " + fpr + " on dfdc-faces val real");
        o.put("resamples", resamples);
        ArrayNode a = o.putArray("rows");
        for (Protocol.Row r : rows) {
            ObjectNode row = a.addObject().put("set", r.name()).put("fake", r.positives()).put("real", r.negatives());
            interval(row.putObject("roc_auc"), r.auc());
            interval(row.putObject("fpr_real"), r.fpr());
            interval(row.putObject("fake_recall"), r.tpr());
        }
        Files.writeString(json, Json.MAPPER.writerWithDefaultPrettyPrinter().writeValueAsString(o) + "\n");
    }

    private static void interval(ObjectNode o, Bootstrap.Interval i) {
        o.put("estimate", i.estimate()).put("low", i.low()).put("high", i.high());
    }
}
