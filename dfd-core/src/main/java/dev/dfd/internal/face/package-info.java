/**
 * The face stage: finding faces in a decoded image and cutting them the way a model was trained on.
 *
 * <h2>Finding faces</h2>
 * {@link dev.dfd.internal.face.FaceDetector} runs MediaPipe BlazeFace in ONNX Runtime (the models ship in dfd-core's
 * resources, {@code dev/dfd/internal/face/SOURCE.md}). Anchors ({@code SsdAnchors}), decoding ({@code BlazeFaceDecoder})
 * and weighted non-maximum suppression ({@code WeightedNms}) follow MediaPipe's calculators as its face graphs
 * configure them. Each image is read through square windows sampled straight from the {@link dev.dfd.RgbImage}
 * (area-averaged, at most 4x4 samples per input pixel, so a 12 MP photo costs no full-size copy): the whole image
 * letterboxed, the whole image in a canvas three times its size (tight crops: the full-range model misses faces filling
 * most of its input), and up to two levels of overlapping tiles (half and a quarter of the longer side) for small
 * faces in large photos. {@link dev.dfd.Face} boxes and keypoints are in the original image's pixels.
 *
 * <h2>{@code dfd_faces.json}</h2>
 * A model directory that takes face crops declares their geometry in {@code dfd_faces.json} beside
 * {@code config.json}; {@link dev.dfd.internal.face.FaceCrop#read} returns empty when the file is absent (a whole-image
 * model). All keys:
 * <pre>
 * {
 *   "detector": "full_range_256",  // whose boxes the numbers refer to: full_range_256 (default) or short_range_128
 *   "square": true,                // square crop of side scale * max(box w, h); false: scale * w by scale * h
 *   "scale": 1.11,                 // crop side / detector box side (required)
 *   "center_y": 0.54,              // the box centre's height in the crop, 0 = top, 1 = bottom (required)
 *   "rotate": false,               // rotate about the box centre so the eyes are level
 *   "width": 224, "height": 224,   // output size in pixels (required)
 *   "fill": "edge"                 // outside the image: "black" (default) or "edge" (nearest edge pixel)
 * }
 * </pre>
 * The box centre is always at half the crop's width. Unknown keys are an error. {@link dev.dfd.internal.face.FaceCrop#cut}
 * averages a k x k grid of bilinear samples per output pixel (k = source pixels per output pixel, at most 8).
 *
 * <p>{@code models/default/dfd_faces.json} reproduces the DFDC training crops: detected with the default options on
 * DFDC validation crops set in an edge-padded canvas, re-cutting with scale 1.10-1.12 and centre 0.54 gives the
 * smallest mean pixel difference to the originals (300 crops; the box side is 1.06 x the crop's in the median of
 * crops in black canvases where the face spans 11-36% of the model input).
 *
 * <p>Internal to dfd (see {@link dev.dfd.internal}): not an API; faces reach users as {@link dev.dfd.Face}.
 */
package dev.dfd.internal.face;
