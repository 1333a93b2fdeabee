"""The model catalog: typed data only, no logic beyond look-up.

Files and their ``.hash`` sidecars (8 hex chars, zlib CRC32 of the file) are published as FaceFusion's
``models-3.0.0`` release assets (YuNet: ``models-3.4.0``), with a Hugging Face mirror per release. Sizes
are the published file sizes, rounded; they are shown to users before a download and are not used for
verification.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import cast, get_args

from faceswap.choices import ModelName, ModelRole, Normalisation, SwapperName, WarpTemplateName
from faceswap.models.swappers import SWAPPERS

ASSETS_ROOT = "https://github.com/facefusion/facefusion-assets/releases/download"
MIRROR_ROOT = "https://huggingface.co/facefusion"
DEFAULT_RELEASE = "models-3.0.0"
RELEASE_BASE = f"{ASSETS_ROOT}/{DEFAULT_RELEASE}"
MIRROR_BASE = f"{MIRROR_ROOT}/{DEFAULT_RELEASE}/resolve/main"


def release_bases(release: str) -> tuple[str, str]:
    """The release-asset and mirror base URLs of one FaceFusion model release tag."""
    return (f"{ASSETS_ROOT}/{release}", f"{MIRROR_ROOT}/{release}/resolve/main")


@dataclass(frozen=True)
class Tiling:
    """How a frame enhancer covers a frame: ``input_size`` tiles, ``overlap`` input pixels shared by
    neighbouring tiles (blended there), each tile's output ``scale`` times as wide and high."""

    scale: int
    overlap: int


@dataclass(frozen=True)
class ModelSpec:
    name: ModelName
    role: ModelRole
    file: str
    size_bytes: int
    input_size: tuple[int, int]  # width, height
    template: WarpTemplateName | None  # alignment template for crop-based models
    normalisation: Normalisation
    licence: str
    commercial_use: bool
    summary: str
    release: str = DEFAULT_RELEASE  # the FaceFusion assets release tag that publishes the file
    tiling: Tiling | None = None  # frame enhancers: input_size is the tile, see Tiling

    @property
    def urls(self) -> tuple[str, ...]:
        """Where the file can be downloaded, in order of preference."""
        return tuple(f"{base}/{self.file}" for base in release_bases(self.release))

    @property
    def hash_file(self) -> str:
        return self.file.rsplit(".", 1)[0] + ".hash"

    @property
    def hash_urls(self) -> tuple[str, ...]:
        return tuple(f"{base}/{self.hash_file}" for base in release_bases(self.release))


NON_COMMERCIAL = "non-commercial research (InsightFace)"
GPEN_LICENCE = "non-commercial (GPEN, yangxy / Alibaba DAMO)"
RESEARCH_RAIL = "ResearchRAIL (FaceFusion HyperSwap; research use)"
SIMSWAP = "non-commercial (neuralchen SimSwap)"
GHOST = "Apache-2.0 (ai-forever GHOST)"
HYPERSWAP = "HyperSwap 256 (FaceFusion Labs), fp16 weights; trained on ArcFace w600k embeddings"

CATALOG: dict[ModelName, ModelSpec] = {
    spec.name: spec
    for spec in (
        ModelSpec(
            name="scrfd_2.5g",
            role="detector",
            file="scrfd_2.5g.onnx",
            size_bytes=3_300_000,
            input_size=(640, 640),
            template=None,
            normalisation="scrfd",
            licence=NON_COMMERCIAL,
            commercial_use=False,
            summary="SCRFD 2.5 GFLOP face detector with 5 key points (InsightFace)",
        ),
        ModelSpec(
            name="retinaface_10g",
            role="detector",
            file="retinaface_10g.onnx",
            size_bytes=16_900_000,
            input_size=(640, 640),
            template=None,
            normalisation="scrfd",
            licence=NON_COMMERCIAL,
            commercial_use=False,
            summary="RetinaFace/SCRFD 10 GFLOP face detector with 5 key points (InsightFace det_10g)",
        ),
        ModelSpec(
            name="yunet",
            role="detector",
            file="yunet_2023_mar.onnx",
            size_bytes=230_000,
            input_size=(640, 640),
            template=None,
            normalisation="raw",
            licence="MIT",
            commercial_use=True,
            summary="YuNet lightweight face detector with 5 key points (OpenCV Zoo)",
            release="models-3.4.0",
        ),
        ModelSpec(
            name="arcface_w600k_r50",
            role="recognizer",
            file="arcface_w600k_r50.onnx",
            size_bytes=174_000_000,
            input_size=(112, 112),
            template="arcface_112_v2",
            normalisation="arcface",
            licence=NON_COMMERCIAL,
            commercial_use=False,
            summary="ArcFace ResNet-50 trained on WebFace600K; 512-d identity embedding",
        ),
        ModelSpec(
            name="inswapper_128",
            role="swapper",
            file="inswapper_128.onnx",
            size_bytes=554_000_000,
            input_size=(128, 128),
            template="arcface_128",
            normalisation="unit",
            licence=NON_COMMERCIAL,
            commercial_use=False,
            summary="InsightFace inswapper 128x128 one-shot face swapper (fp32)",
        ),
        ModelSpec(
            name="inswapper_128_fp16",
            role="swapper",
            file="inswapper_128_fp16.onnx",
            size_bytes=277_000_000,
            input_size=(128, 128),
            template="arcface_128",
            normalisation="unit",
            licence=NON_COMMERCIAL,
            commercial_use=False,
            summary="InsightFace inswapper 128x128, half-precision weights",
        ),
        ModelSpec(
            name="gfpgan_1.4",
            role="enhancer",
            file="gfpgan_1.4.onnx",
            size_bytes=340_000_000,
            input_size=(512, 512),
            template="ffhq_512",
            normalisation="symmetric",
            licence="Apache-2.0",
            commercial_use=True,
            summary="GFPGAN v1.4 blind face restoration (Tencent ARC)",
        ),
        ModelSpec(
            name="codeformer",
            role="enhancer",
            file="codeformer.onnx",
            size_bytes=377_000_000,
            input_size=(512, 512),
            template="ffhq_512",
            normalisation="symmetric",
            licence="S-Lab License 1.0 (non-commercial)",
            commercial_use=False,
            summary="CodeFormer face restoration with a fidelity weight input",
        ),
        ModelSpec(
            name="restoreformer_plus_plus",
            role="enhancer",
            file="restoreformer_plus_plus.onnx",
            size_bytes=292_000_000,
            input_size=(512, 512),
            template="ffhq_512",
            normalisation="symmetric",
            licence="Apache-2.0",
            commercial_use=True,
            summary="RestoreFormer++ face restoration",
        ),
        *(
            ModelSpec(
                name=name,
                role="occluder",
                file=f"{name}.onnx",
                size_bytes=size,
                input_size=(256, 256),
                template="ffhq_512",
                normalisation="unit_bgr",
                licence="GPL-3.0 (DeepFaceLab XSeg; copyleft)",
                commercial_use=False,
                summary="XSeg occlusion mask: what covers the face (hands, hair, glasses); NHWC input",
                release=release,
            )
            for name, size, release in cast(
                tuple[tuple[ModelName, int, str], ...],
                (
                    ("xseg_1", 70_000_000, "models-3.1.0"),
                    ("xseg_2", 70_000_000, "models-3.1.0"),
                    ("xseg_3", 70_000_000, "models-3.2.0"),
                ),
            )
        ),
        *(
            ModelSpec(
                name=name,
                role="face_parser",
                file=f"{name}.onnx",
                size_bytes=size,
                input_size=(512, 512),
                template="ffhq_512",
                normalisation="imagenet",
                licence="MIT",
                commercial_use=True,
                summary="BiSeNet face parsing into 19 classes (skin, brows, eyes, glasses, nose, mouth, lips ...)",
                release=release,
            )
            for name, size, release in cast(
                tuple[tuple[ModelName, int, str], ...],
                (
                    ("bisenet_resnet_18", 53_000_000, "models-3.1.0"),
                    ("bisenet_resnet_34", 93_000_000, "models-3.0.0"),
                ),
            )
        ),
        ModelSpec(
            name="2dfan4",
            role="landmarker",
            file="2dfan4.onnx",
            size_bytes=98_000_000,
            input_size=(256, 256),
            template=None,  # a box crop (larger side 195 px, centred), not a template alignment
            normalisation="unit_bgr",
            licence="MIT",
            commercial_use=True,
            summary="2D-FAN-4 68-point face landmarks with heatmaps (breadbread1984's port of Bulat's FAN)",
        ),
        ModelSpec(
            name="fan_68_5",
            role="landmarker",
            file="fan_68_5.onnx",
            size_bytes=1_000_000,
            input_size=(5, 2),  # 5 points (x, y), not pixels
            template="ffhq_512",
            normalisation="points",
            licence="OpenRAIL-M (use-based restrictions)",
            commercial_use=True,
            summary="lifts 5 key points (normalised through the ffhq_512 template) to 68 landmarks (FaceFusion)",
        ),
        *(
            ModelSpec(
                name=name,
                role="enhancer",
                file=f"{name}.onnx",
                size_bytes=340_000_000,
                input_size=(512, 512),
                template="ffhq_512",
                normalisation="symmetric",
                licence="Apache-2.0",
                commercial_use=True,
                summary=f"GFPGAN v{version} blind face restoration (Tencent ARC)",
            )
            for name, version in cast(
                tuple[tuple[ModelName, str], ...], (("gfpgan_1.2", "1.2"), ("gfpgan_1.3", "1.3"))
            )
        ),
        *(
            ModelSpec(
                name=name,
                role="enhancer",
                file=f"{name}.onnx",
                size_bytes=size_bytes,
                input_size=(size, size),
                template=template,
                normalisation="symmetric",
                licence=GPEN_LICENCE,
                commercial_use=False,
                summary=f"GPEN blind face restoration at {size}x{size} (GAN prior embedded network)",
            )
            for name, size, template, size_bytes in cast(
                tuple[tuple[ModelName, int, WarpTemplateName, int], ...],
                (
                    ("gpen_bfr_256", 256, "arcface_128", 79_000_000),
                    ("gpen_bfr_512", 512, "ffhq_512", 284_000_000),
                    ("gpen_bfr_1024", 1024, "ffhq_512", 285_000_000),
                    ("gpen_bfr_2048", 2048, "ffhq_512", 285_000_000),
                ),
            )
        ),
        *(
            ModelSpec(
                name=name,
                role="frame_enhancer",
                file=f"{name}.onnx",
                size_bytes=size_bytes,
                input_size=(256, 256),
                template=None,
                normalisation="unit",
                licence="BSD-3-Clause",
                commercial_use=True,
                summary=f"Real-ESRGAN x{scale} super-resolution of the whole frame (xinntao)"
                + (", half-precision weights" if name.endswith("_fp16") else ""),
                tiling=Tiling(scale=scale, overlap=16),
            )
            for name, scale, size_bytes in cast(
                tuple[tuple[ModelName, int, int], ...],
                (
                    ("real_esrgan_x2", 2, 67_000_000),
                    ("real_esrgan_x2_fp16", 2, 34_000_000),
                    ("real_esrgan_x4", 4, 67_000_000),
                    ("real_esrgan_x4_fp16", 4, 34_000_000),
                ),
            )
        ),
        ModelSpec(
            name="span_kendata_x4",
            role="frame_enhancer",
            file="span_kendata_x4.onnx",
            size_bytes=2_000_000,
            input_size=(128, 128),
            template=None,
            normalisation="unit",
            licence="non-commercial (SPAN, Kendata weights by terrainer)",
            commercial_use=False,
            summary="SPAN x4 super-resolution of the whole frame, small and fast (Kendata training)",
            tiling=Tiling(scale=4, overlap=8),
        ),
        *(
            ModelSpec(
                name=name,
                role="swapper",
                file=f"{name}.onnx",
                size_bytes=size,
                input_size=(SWAPPERS[name].size, SWAPPERS[name].size),
                template=SWAPPERS[name].template,
                normalisation=normalisation,
                licence=licence,
                commercial_use=licence.startswith("Apache-2.0"),
                summary=summary,
                release=release,
            )
            for name, size, normalisation, licence, summary, release in cast(
                tuple[tuple[SwapperName, int, Normalisation, str, str, str], ...],
                (
                    ("hyperswap_1a_256", 403_000_000, "symmetric", RESEARCH_RAIL, HYPERSWAP, "models-3.3.0"),
                    ("hyperswap_1b_256", 403_000_000, "symmetric", RESEARCH_RAIL, HYPERSWAP, "models-3.3.0"),
                    ("hyperswap_1c_256", 403_000_000, "symmetric", RESEARCH_RAIL, HYPERSWAP, "models-3.3.0"),
                    (
                        "simswap_256",
                        220_000_000,
                        "imagenet",
                        SIMSWAP,
                        "SimSwap 256 (neuralchen)",
                        "models-3.0.0",
                    ),
                    (
                        "simswap_unofficial_512",
                        239_000_000,
                        "unit",
                        SIMSWAP,
                        "SimSwap 512, unofficial weights",
                        "models-3.0.0",
                    ),
                    (
                        "ghost_1_256",
                        515_000_000,
                        "symmetric",
                        GHOST,
                        "GHOST, 1-block U-Net (ai-forever)",
                        "models-3.0.0",
                    ),
                    (
                        "ghost_2_256",
                        739_000_000,
                        "symmetric",
                        GHOST,
                        "GHOST, 2-block U-Net (ai-forever)",
                        "models-3.0.0",
                    ),
                    (
                        "ghost_3_256",
                        856_000_000,
                        "symmetric",
                        GHOST,
                        "GHOST, 3-block U-Net (ai-forever)",
                        "models-3.0.0",
                    ),
                    (
                        "hififace_unofficial_256",
                        445_000_000,
                        "symmetric",
                        "unknown (GuijiAI HifiFace, unofficial port; not cleared)",
                        "HifiFace 256, unofficial port (GuijiAI)",
                        "models-3.1.0",
                    ),
                    (
                        "blendswap_256",
                        250_000_000,
                        "unit",
                        "non-commercial (mapooon BlendFace)",
                        "BlendSwap 256: takes a 112 px crop of the source face, not an embedding",
                        "models-3.0.0",
                    ),
                    (
                        "uniface_256",
                        407_000_000,
                        "symmetric",
                        "unknown (xc-csc101 UniFace; not cleared)",
                        "UniFace 256: takes a 256 px crop of the source face, not an embedding",
                        "models-3.0.0",
                    ),
                ),
            )
        ),
        *(
            ModelSpec(
                name=name,
                role="embedding_converter",
                file=f"{name}.onnx",
                size_bytes=22_000_000,
                input_size=(512, 1),  # an embedding, not pixels
                template=None,
                normalisation="embedding",
                licence="OpenRAIL-MS (FaceFusion Labs CrossFace; use-based restrictions)",
                commercial_use=True,
                summary=f"CrossFace: ArcFace w600k embeddings into {family}'s identity space",
                release="models-3.4.0",
            )
            for name, family in cast(
                tuple[tuple[ModelName, str], ...],
                (
                    ("crossface_simswap", "SimSwap"),
                    ("crossface_ghost", "GHOST"),
                    ("crossface_hififace", "HifiFace"),
                ),
            )
        ),
        ModelSpec(
            name="fairface",
            role="classifier",
            file="fairface.onnx",
            size_bytes=85_000_000,
            input_size=(224, 224),
            template="arcface_112_v2",
            normalisation="imagenet",
            licence="CC-BY-4.0 (FairFace, dchen236)",
            commercial_use=True,
            summary="FairFace ResNet-34: a face's gender, age bucket and race, for the face filters",
        ),
    )
}


def spec(name: ModelName) -> ModelSpec:
    return CATALOG[name]


def names_for_role(role: ModelRole) -> tuple[ModelName, ...]:
    return tuple(name for name in get_args(ModelName) if CATALOG[name].role == role)
