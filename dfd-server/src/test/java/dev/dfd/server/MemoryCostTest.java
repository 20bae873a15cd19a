package dev.dfd.server;

import dev.dfd.Detector;
import dev.dfd.DetectorOptions;
import dev.dfd.Fixtures;
import dev.dfd.internal.face.FaceCrop;
import dev.dfd.internal.io.ImageFormat;
import dev.dfd.internal.io.ImageHeader;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;

class MemoryCostTest {
    @Test
    void imagesCostTheirDecodeAndTheirModelInputs() {
        try (Detector tiny = Detector.load(Fixtures.tinyModel(), DetectorOptions.DEFAULTS.withThreads(1))) {
            MemoryCost whole = MemoryCost.of(tiny); // a 16x16 model without faces
            ImageHeader photo = new ImageHeader(ImageFormat.JPEG, 3000, 2000, 80_000_000);
            long tensor = 4L * 3 * 16 * 16;
            // the decode, the resize's 16 x 2000 horizontal pass (the larger orientation), resized images, input
            assertEquals(80_000_000 + MemoryCost.PREPROCESS_OVERHEAD + 3L * 16 * 3000 + 2 * 3 * 16 * 16 + tensor,
                    whole.image(photo));
            assertEquals(64 * tensor, whole.queue(64), "a full queue of fixed-size inputs");
            assertEquals(0, whole.queued(photo), "counted in the queue's share already");

            MemoryCost faces = new MemoryCost(tiny.model().preprocessor(), FaceCrop.DFDC, 16);
            long crop = 3L * FaceCrop.DFDC.width() * FaceCrop.DFDC.height(); // 224x224, preprocessed to 16x16
            assertEquals(80_000_000 + MemoryCost.FACE_DETECTOR_BYTES + crop + MemoryCost.PREPROCESS_OVERHEAD
                            + 3L * 16 * 224 + 2 * 3 * 16 * 16 + tensor + 15 * tensor, faces.image(photo),
                    "one crop cut and preprocessed at a time, every face's model input kept");
            assertEquals(64 * tensor, faces.queue(64));

            assertEquals(MemoryCost.REQUEST_OVERHEAD + 5 * 1000, whole.body(1000, "application/json", 1 << 20));
            assertEquals(MemoryCost.REQUEST_OVERHEAD + 3 * (1 << 20), whole.body(-1, "image/png", 1 << 20),
                    "no declared length: the body limit");
        }
    }
}
