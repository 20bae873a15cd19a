package dev.dfd.cli;

import dev.dfd.Decision;
import dev.dfd.DfdException;
import picocli.CommandLine.Option;

/** Which regions a model judges and the face stage's limits, shared by detect, eval, serve and quality. */
final class FaceOptions {
    @Option(names = "--faces", paramLabel = "WHEN", defaultValue = "auto",
            description = "auto: judge every face found when the model declares face input (dfd_faces.json, as"
                    + " models/default does), else the whole image; on: always faces; off: the whole image."
                    + " Default: ${DEFAULT-VALUE}.")
    String faces;

    @Option(names = "--max-faces", paramLabel = "N", defaultValue = "16",
            description = "Faces judged per image at most, the most confident ones. Default: ${DEFAULT-VALUE}.")
    int maxFaces;

    @Option(names = "--min-face-size", paramLabel = "PX", defaultValue = "48",
            description = "Ignore faces smaller than this (box side in the image's pixels); large photos are searched"
                    + " in tiles until faces of this size are found. Default: ${DEFAULT-VALUE}.")
    int minFaceSize;

    /** {@code options} with the face limits given. */
    dev.dfd.DetectorOptions withFaceLimits(dev.dfd.DetectorOptions options) {
        if (maxFaces < 1 || maxFaces > 1000) {
            throw new DfdException("--max-faces must be 1 to 1000, got " + maxFaces);
        }
        if (minFaceSize < 0 || minFaceSize > 100_000) {
            throw new DfdException("--min-face-size must be 0 to 100000, got " + minFaceSize);
        }
        return options.withMaxFaces(maxFaces).withMinFaceSize(minFaceSize);
    }

    /** --faces as a Decision setting, or a one-line usage error. */
    Decision.Faces faces() {
        try {
            return Decision.Faces.parse(faces);
        } catch (DfdException e) {
            throw new DfdException("--faces: unknown value '" + faces + "', expected auto, on or off");
        }
    }
}
