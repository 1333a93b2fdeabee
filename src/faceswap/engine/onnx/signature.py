"""The input and output names and shapes each model role is expected to have.

Names are those of the public files (InsightFace exports as repackaged by FaceFusion, OpenCV Zoo for YuNet,
FaceFusion's 2dfan4 and fan_68_5; every swapper takes ``target`` and ``source``, the CrossFace converters
``input``);
they live here only, so the stand-ins in :mod:`faceswap.testing.standins` and the checks agree. Where the
code feeds a model by position (a detector's single input) the name is not checked, only the shape.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from faceswap.choices import ModelName
from faceswap.errors import ModelSignatureError
from faceswap.models.catalog import names_for_role
from faceswap.models.catalog import spec as catalog_spec
from faceswap.models.swappers import SWAPPERS, SwapperSpec

Dim = int | str | None
"""A declared tensor dimension: a size, a symbolic name (dynamic) or unknown."""

SCRFD_INPUT = "input.1"
SCRFD_OUTPUTS = ("448", "471", "494", "451", "474", "497", "454", "477", "500")
"""det_10g's names, in the order scores 8/16/32, boxes 8/16/32, key points 8/16/32 (the order is used)."""
SCRFD_STRIDES = (8, 16, 32)
SCRFD_ANCHORS = 2

YUNET_INPUT = "input"
YUNET_STRIDES = (8, 16, 32)
YUNET_OUTPUTS = tuple(
    f"{kind}_{stride}" for kind in ("cls", "obj", "bbox", "kps") for stride in YUNET_STRIDES
)

ARCFACE_INPUT = "input.1"
ARCFACE_OUTPUT = "683"
EMBEDDING_SIZE = 512

SWAPPER_TARGET = "target"
SWAPPER_SOURCE = "source"
SWAPPER_OUTPUT = "output"
"""Every swapper's input names (the crop, the identity) and the first output's name in the exports."""
HYPERSWAP_MASK = "mask"
"""HyperSwap's second output, a face mask the swap does not use."""
CONVERTER_INPUT = "input"
CONVERTER_OUTPUT = "output"

ENHANCER_INPUT = "input"
ENHANCER_WEIGHT = "weight"
"""CodeFormer's fidelity input (double, shape ``[1]``)."""
ENHANCER_OUTPUT = "output"

FRAME_ENHANCER_INPUT = "input"
FRAME_ENHANCER_OUTPUT = "output"

FAN_INPUT = "input"
FAN_SIZE = 256
FAN_HEATMAP_SIZE = 64
LANDMARK_COUNT = 68
FAN_68_5_INPUT = "input"

FAIRFACE_INPUT = "input"
FAIRFACE_SIZE = 224
FAIRFACE_OUTPUTS = 3
"""fairface's outputs, in order: race id, gender id, age id (int64 class ids, argmax taken in the graph)."""


@dataclass(frozen=True)
class TensorSpec:
    """An expected tensor: ``name`` None means any name; ``None`` dims match anything."""

    name: str | None
    shape: tuple[int | None, ...] | None


@dataclass(frozen=True)
class Signature:
    inputs: tuple[TensorSpec, ...]
    outputs: tuple[TensorSpec, ...]
    optional_inputs: tuple[str, ...] = ()
    exact_outputs: bool = True
    """False: the model may have more outputs than listed (only the listed leading ones are used)."""


_DETECTOR_INPUT = TensorSpec(None, (None, 3, None, None))


def _enhancer(name: ModelName) -> Signature:
    """A face restorer: its catalog crop size in and out, CodeFormer's ``weight`` optional."""
    width, height = catalog_spec(name).input_size
    return Signature(
        inputs=(TensorSpec(None, (None, 3, height, width)),),
        outputs=(TensorSpec(None, (None, 3, height, width)),),
        optional_inputs=(ENHANCER_WEIGHT,),
        exact_outputs=False,
    )


def _frame_enhancer(name: ModelName) -> Signature:
    """A super-resolution model: an NCHW tile in (the catalog's tile size where the file fixes it), the
    tile ``scale`` times as wide and high out."""
    model = catalog_spec(name)
    assert model.tiling is not None, f"{name} has no tiling"
    width, height = model.input_size
    scale = model.tiling.scale
    return Signature(
        inputs=(TensorSpec(FRAME_ENHANCER_INPUT, (None, 3, height, width)),),
        outputs=(TensorSpec(None, (None, 3, height * scale, width * scale)),),
        exact_outputs=False,
    )


def swapper_signature(spec: SwapperSpec) -> Signature:
    """``target`` Nx3xSxS and ``source`` Nx512 (an image source: Nx3xsxs) in, the swapped Nx3xSxS crop
    out first (HyperSwap: then its mask)."""
    crop = (None, 3, spec.size, spec.size)
    source: tuple[int | None, ...] = (None, EMBEDDING_SIZE)
    if spec.source_size is not None:
        source = (None, 3, spec.source_size, spec.source_size)
    return Signature(
        inputs=(TensorSpec(SWAPPER_TARGET, crop), TensorSpec(SWAPPER_SOURCE, source)),
        outputs=(TensorSpec(None, crop),),
        exact_outputs=not spec.extra_outputs,
    )


_CONVERTER = Signature(
    inputs=(TensorSpec(CONVERTER_INPUT, (None, EMBEDDING_SIZE)),),
    outputs=(TensorSpec(None, (None, EMBEDDING_SIZE)),),
)
"""CrossFace: a 512-d ArcFace embedding in, 512 out."""
OCCLUDER_SIZE = 256
_OCCLUDER = Signature(
    inputs=(TensorSpec(None, (None, OCCLUDER_SIZE, OCCLUDER_SIZE, 3)),),
    outputs=(TensorSpec(None, (None, OCCLUDER_SIZE, OCCLUDER_SIZE, 1)),),
)
"""XSeg: NHWC, a BGR crop in [0, 1] in, the probability that each pixel is face (not occluded) out."""
FACE_PARSER_SIZE = 512
FACE_PARSER_CLASSES = 19
_FACE_PARSER = Signature(
    inputs=(TensorSpec(None, (None, 3, FACE_PARSER_SIZE, FACE_PARSER_SIZE)),),
    outputs=(TensorSpec(None, (None, FACE_PARSER_CLASSES, FACE_PARSER_SIZE, FACE_PARSER_SIZE)),),
)
"""BiSeNet: NCHW, an RGB crop with ImageNet's mean and std in, 19 class logits per pixel out."""
_CLASSIFIER = Signature(
    inputs=(TensorSpec(FAIRFACE_INPUT, (None, 3, FAIRFACE_SIZE, FAIRFACE_SIZE)),),
    outputs=tuple(TensorSpec(None, None) for _ in range(FAIRFACE_OUTPUTS)),
)
"""fairface: NCHW, an RGB crop with ImageNet's mean and std in, the race, gender and age ids out (their
shapes are not published: any shape holding one id per face is read)."""
_SCRFD = Signature(inputs=(_DETECTOR_INPUT,), outputs=tuple(TensorSpec(None, None) for _ in SCRFD_OUTPUTS))

SIGNATURES: dict[ModelName, Signature] = {
    "scrfd_2.5g": _SCRFD,
    "retinaface_10g": _SCRFD,
    "yunet": Signature(
        inputs=(_DETECTOR_INPUT,), outputs=tuple(TensorSpec(name, None) for name in YUNET_OUTPUTS)
    ),
    "arcface_w600k_r50": Signature(
        inputs=(TensorSpec(None, (None, 3, 112, 112)),), outputs=(TensorSpec(None, (None, EMBEDDING_SIZE)),)
    ),
    **{name: swapper_signature(spec) for name, spec in SWAPPERS.items()},
    "crossface_simswap": _CONVERTER,
    "crossface_ghost": _CONVERTER,
    "crossface_hififace": _CONVERTER,
    **{name: _enhancer(name) for name in names_for_role("enhancer")},
    **{name: _frame_enhancer(name) for name in names_for_role("frame_enhancer")},
    "xseg_1": _OCCLUDER,
    "xseg_2": _OCCLUDER,
    "xseg_3": _OCCLUDER,
    "bisenet_resnet_18": _FACE_PARSER,
    "bisenet_resnet_34": _FACE_PARSER,
    "2dfan4": Signature(
        inputs=(TensorSpec(FAN_INPUT, (None, 3, FAN_SIZE, FAN_SIZE)),),
        outputs=(
            TensorSpec(None, (None, LANDMARK_COUNT, 3)),
            TensorSpec(None, (None, LANDMARK_COUNT, FAN_HEATMAP_SIZE, FAN_HEATMAP_SIZE)),
        ),
    ),
    "fan_68_5": Signature(
        inputs=(TensorSpec(FAN_68_5_INPUT, (None, 5, 2)),),
        outputs=(TensorSpec(None, (None, LANDMARK_COUNT, 2)),),
    ),
    "fairface": _CLASSIFIER,
}


def _shape_matches(declared: Sequence[Dim], expected: tuple[int | None, ...] | None) -> bool:
    if expected is None:
        return True
    if len(declared) != len(expected):
        return False
    return all(not isinstance(d, int) or e is None or d == e for d, e in zip(declared, expected, strict=True))


def _check(
    model: str, what: str, declared: Sequence[tuple[str, Sequence[Dim]]], expected: Sequence[TensorSpec]
) -> None:
    by_name = dict(declared)
    for position, spec in enumerate(expected):
        if spec.name is not None:
            if spec.name not in by_name:
                names = ", ".join(n for n, _ in declared)
                raise ModelSignatureError(f"model {model!r} has no {what} {spec.name!r} (it has: {names})")
            shape = by_name[spec.name]
        elif position < len(declared):
            shape = declared[position][1]
        else:
            raise ModelSignatureError(
                f"model {model!r} has {len(declared)} {what}s; expected {len(expected)}"
            )
        if not _shape_matches(shape, spec.shape):
            label = spec.name or f"#{position}"
            raise ModelSignatureError(
                f"model {model!r} {what} {label} has shape {list(shape)}; expected {list(spec.shape or ())} "
                "(None: any size)"
            )


def check_signature(
    model: ModelName,
    inputs: Sequence[tuple[str, Sequence[Dim]]],
    outputs: Sequence[tuple[str, Sequence[Dim]]],
) -> None:
    """Raises :class:`ModelSignatureError` unless the declared inputs/outputs fit ``model``'s role."""
    signature = SIGNATURES[model]
    allowed = len(signature.inputs) + len(
        [n for n in signature.optional_inputs if n in {name for name, _ in inputs}]
    )
    if len(inputs) != allowed:
        names = ", ".join(n for n, _ in inputs)
        raise ModelSignatureError(
            f"model {model!r} has inputs ({names}); expected {len(signature.inputs)} input(s)"
            + (f" plus optional {', '.join(signature.optional_inputs)}" if signature.optional_inputs else "")
        )
    main_inputs = [item for item in inputs if item[0] not in signature.optional_inputs]
    _check(model, "input", main_inputs, signature.inputs)
    if signature.exact_outputs and len(outputs) != len(signature.outputs):
        raise ModelSignatureError(
            f"model {model!r} has {len(outputs)} outputs; expected {len(signature.outputs)}"
        )
    _check(model, "output", outputs, signature.outputs)
