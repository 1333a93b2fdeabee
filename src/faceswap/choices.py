"""Every closed set of choices as a ``Literal``; lists (CLI, API schema, UI, catalog) derive from these."""

from __future__ import annotations

from typing import Literal, get_args

DetectorName = Literal["scrfd_2.5g", "retinaface_10g", "yunet"]
RecognizerName = Literal["arcface_w600k_r50"]
SwapperName = Literal[
    "inswapper_128",
    "inswapper_128_fp16",
    "hyperswap_1a_256",
    "hyperswap_1b_256",
    "hyperswap_1c_256",
    "simswap_256",
    "simswap_unofficial_512",
    "ghost_1_256",
    "ghost_2_256",
    "ghost_3_256",
    "hififace_unofficial_256",
    "blendswap_256",
    "uniface_256",
]
"""The face swapper models; each is also an engine name (``faceswap.models.swappers`` says how each is fed)."""
SwapperFamily = Literal["inswapper", "hyperswap", "simswap", "ghost", "hififace", "blendswap", "uniface"]
"""Swapper architectures: the models of one family share their input conventions."""
SwapperSource = Literal["emap", "embedding", "converted", "converted_raw", "image"]
"""What a swapper's ``source`` input is: emap (the ArcFace embedding through inswapper's emap matrix,
re-normalised), embedding (the L2-normalised ArcFace embedding), converted (the embedding through an
embedding converter, L2-normalised), converted_raw (the converter's output as it is), image (an aligned
crop of the source face, RGB in [0, 1])."""
EmbeddingConverterName = Literal["crossface_simswap", "crossface_ghost", "crossface_hififace"]
"""FaceFusion Labs' CrossFace models: ArcFace w600k embeddings into the identity space a swapper family was
trained with (512 in, 512 out)."""
EnhancerModelName = Literal[
    "gfpgan_1.4",
    "codeformer",
    "restoreformer_plus_plus",
    "gfpgan_1.2",
    "gfpgan_1.3",
    "gpen_bfr_256",
    "gpen_bfr_512",
    "gpen_bfr_1024",
    "gpen_bfr_2048",
]
"""Face restorers: an aligned face crop in, the same crop restored out; each model's alignment template and
crop size are catalog data (:class:`faceswap.models.catalog.ModelSpec`)."""
FrameEnhancerName = Literal[
    "real_esrgan_x2", "real_esrgan_x2_fp16", "real_esrgan_x4", "real_esrgan_x4_fp16", "span_kendata_x4"
]
"""Whole-frame super-resolution models: a frame in, the frame 2 or 4 times as wide and high out (tiled)."""
OccluderName = Literal["xseg_1", "xseg_2", "xseg_3"]
FaceParserName = Literal["bisenet_resnet_18", "bisenet_resnet_34"]
LandmarkerModelName = Literal["2dfan4", "fan_68_5"]
"""68-point landmark models: 2dfan4 finds 68 points in a face crop; fan_68_5 lifts 5 key points to 68."""
ClassifierName = Literal["fairface"]
"""Face classifiers: fairface tells a face's gender, age bucket and race (for the face filters)."""
ModelName = Literal[
    DetectorName,
    RecognizerName,
    SwapperName,
    EmbeddingConverterName,
    EnhancerModelName,
    FrameEnhancerName,
    OccluderName,
    FaceParserName,
    LandmarkerModelName,
    ClassifierName,
]
"""Every model of the catalog: the role Literals above, flattened."""
ModelRole = Literal[
    "detector",
    "recognizer",
    "swapper",
    "enhancer",
    "occluder",
    "face_parser",
    "landmarker",
    "frame_enhancer",
    "embedding_converter",
    "classifier",
]
ModelStatus = Literal["installed", "missing", "corrupt"]
"""installed: file present (and, when checked deeply, matching its sidecar); corrupt: empty, bad sidecar or
CRC32 mismatch."""
VerifyOutcome = Literal["ok", "mismatch", "missing_sidecar", "missing"]
WarpTemplateName = Literal["arcface_112_v2", "arcface_128", "ffhq_512", "arcface_112_v1", "mtcnn_512"]
Normalisation = Literal[
    "scrfd", "arcface", "unit", "unit_bgr", "symmetric", "imagenet", "raw", "points", "embedding"
]
"""How pixels become model input: scrfd ``(x-127.5)/128`` RGB; arcface ``(x-127.5)/127.5`` RGB;
unit ``x/255`` RGB in [0,1]; unit_bgr ``x/255`` BGR in [0,1] (XSeg NHWC, 2dfan4 NCHW); symmetric
``x/127.5-1`` RGB in [-1,1]; imagenet ``(x/255 - mean)/std`` RGB with ImageNet's mean and std (BiSeNet);
raw BGR 0..255 as is (YuNet); points: no pixels, key points normalised through a template (fan_68_5);
embedding: no pixels, a 512-d ArcFace embedding (the embedding converters)."""

ConcreteEngineName = Literal["classic", SwapperName]
"""An engine that runs: the classic one, or the neural one named after its swapper."""
EngineName = Literal["auto", ConcreteEngineName]
"""auto: the best installed engine (``faceswap.engine.factory.resolve_engine_name``)."""
EnhancerName = Literal["none", EnhancerModelName]
UpscaleName = Literal["none", FrameEnhancerName]
"""The frame enhancer that upscales a whole photo or every frame of a video after the swap; none: the
output keeps the target's size."""
LandmarkerName = Literal["none", "2dfan4"]
"""The 68-point landmarker that refines the detector's 5 key points before alignment (2dfan4, with fan_68_5
for the faces it is unsure of); none: the detector's points as they are."""
DetectorAngle = Literal[0, 90, 180, 270]
"""Clockwise rotations of the frame the detector also runs on, to find faces lying on their side or upside
down."""
FaceMode = Literal["one", "many", "reference"]
FaceOrder = Literal[
    "left-right",
    "right-left",
    "top-bottom",
    "bottom-top",
    "small-large",
    "large-small",
    "best-worst",
    "worst-best",
]
"""How a target's faces are ordered before one is taken (``one``) or they are numbered (``mapping``): by
the centre of the box across (left-right) or down (top-bottom), by the box's area, or by the detector's
score. None given: ``one`` takes the largest face (large-small), faces are numbered left to right."""
FaceGender = Literal["female", "male"]
"""The gender a face filter keeps (fairface's classes)."""
FaceRace = Literal["white", "black", "latino", "asian", "indian", "arabic"]
"""The race a face filter keeps (fairface's 7 classes, East and Southeast Asian both ``asian``)."""
MaskType = Literal["box", "occlusion", "region", "area"]
"""What the paste-back mask of a swapped face is made of; several combine by their minimum: box (a
feathered box with padding per side), occlusion (XSeg: what covers the face, hands, hair, glasses),
region (BiSeNet face parsing: the regions chosen), area (the 68 landmarks' upper face, lower face or
mouth)."""
FaceRegion = Literal[
    "skin",
    "left-eyebrow",
    "right-eyebrow",
    "left-eye",
    "right-eye",
    "glasses",
    "nose",
    "mouth",
    "upper-lip",
    "lower-lip",
]
"""BiSeNet's face regions a ``region`` mask may keep."""
FaceArea = Literal["upper-face", "lower-face", "mouth"]
"""Parts of the face outlined by the 68 landmarks, for an ``area`` mask."""
PixelBoost = Literal["native", "128", "256", "512", "768", "1024"]
"""The size the aligned crop is swapped at: the model's own (native) or a multiple of it, split into
interleaved model-sized sub-images and put back together."""
ImageFormat = Literal["jpeg", "png", "webp", "bmp", "gif"]
VideoFormat = Literal["mp4", "mov", "webm", "mkv", "avi"]
MediaType = Literal[ImageFormat, VideoFormat]
"""A file's type as told by its content (magic bytes), never by its name."""
ExecutionProvider = Literal["tensorrt", "cuda", "coreml", "directml", "cpu"]
"""ONNX Runtime execution providers, in the default order of preference: TensorRT (taken only where the
``tensorrt`` package is importable) before CUDA on NVIDIA GPUs."""
TensorrtFp16 = Literal["auto", "on", "off"]
"""Whether the TensorRT provider builds fp16 engines: auto for models saved in fp16 (``*_fp16``), on for
every model, off never."""
DynamicBatch = Literal["auto", "on", "off"]
"""Whether a model saved with a batch of 1 is opened with a symbolic batch (checked, else kept at 1):
auto on a GPU execution provider only, on always, off never."""
CudnnAlgoSearch = Literal["EXHAUSTIVE", "HEURISTIC", "DEFAULT"]
"""cuDNN convolution algorithm search of the CUDA execution provider: EXHAUSTIVE benchmarks every algorithm
once per shape (slow first call, fastest after), HEURISTIC asks cuDNN's heuristics, DEFAULT takes the first."""
ArenaExtendStrategy = Literal["kNextPowerOfTwo", "kSameAsRequested"]
"""How the CUDA execution provider's memory arena grows (onnxruntime's names)."""
GpuGeometry = Literal["auto", "on", "off"]
"""Alignment and paste back as ONNX graphs on the engine's execution provider, with crops kept on the device
between them and the swapper: auto on a GPU execution provider only, on always (the CPU too), off never."""
VideoContainer = Literal["mp4", "mov", "mkv", "webm", "gif"]
"""Video outputs, named by the output file's suffix."""
VideoPreset = Literal[
    "ultrafast", "superfast", "veryfast", "faster", "fast", "medium", "slow", "slower", "veryslow"
]
"""Encoder speed/size trade-off (x264 names; mapped to VP9 ``cpu-used``)."""
VideoEncoderName = Literal["libx264", "libx265", "h264_nvenc", "hevc_nvenc"]
"""Encoders of MP4/MOV/MKV outputs: H.264 (x264) or HEVC (x265) on the CPU, or either on an NVIDIA GPU's
NVENC; each takes the same quality controls (``crf``, ``preset``), mapped to its own."""
AudioMode = Literal["copy", "encode", "none"]
"""What happened to a video's audio track: stream copy, re-encode, or there was none."""

TaskStatus = Literal["PENDING", "PROCESSING", "COMPLETED", "FAILED", "CANCELLED"]
"""A task's state in the unified task format; the legacy routes show the same states in lowercase."""
LegacyTaskStatus = Literal["pending", "processing", "completed", "failed", "cancelled"]
Workflow = Literal["face_swap", "face_enhance", "face_detect", "face_preview"]
"""Task workflows the processor registry knows (image, multi-face and video swaps are all ``face_swap``;
``face_detect`` finds the faces of a target for the web page's mapping; ``face_preview`` swaps one frame
for ``POST /api/preview``, which alone creates it)."""
TaskEnvironment = Literal["face_swap", "comm"]
TaskStage = Literal[
    "reading", "loading_engine", "detecting", "swapping", "enhancing", "upscaling", "encoding", "saving"
]
"""What a running task is doing now (its progress detail): reading its inputs, loading the engine, finding
faces, swapping (a video: frame by frame), enhancing faces, upscaling, encoding the output, storing it."""
MediaKind = Literal["image", "video"]
"""What an input is used as: a still image, or a video (animated GIF/WebP count as videos there)."""
StorageDownloads = Literal["direct", "api"]
"""How clients download stored objects: direct (a presigned or public URL of the backend, where it has
one) or api (always through the API's ``/api/download``)."""
StorageProvider = Literal["local", "r2", "s3", "gcs", "cf-images"]
"""The legacy ``STORAGE_PROVIDER`` names; a storage URL (``FACESWAP_STORAGE__URL``) says the same and more."""


def choices(literal: object) -> tuple[str, ...]:
    """The values of a ``Literal`` type, in declaration order."""
    values = get_args(literal)
    if not values or not all(isinstance(v, str) for v in values):
        raise TypeError(f"{literal!r} is not a Literal of strings")
    return tuple(values)


def angle_choices() -> tuple[int, ...]:
    """The detector angles (:data:`DetectorAngle`), in declaration order."""
    return tuple(int(value) for value in get_args(DetectorAngle))


def parse_choice(literal: object, value: str, what: str) -> str:
    """Checks ``value`` against a ``Literal``; raises :class:`BadOptionError` naming the allowed values."""
    from faceswap.errors import BadOptionError

    allowed = choices(literal)
    if value not in allowed:
        raise BadOptionError(f"{what} must be one of {', '.join(allowed)}; got {value!r}")
    return value
