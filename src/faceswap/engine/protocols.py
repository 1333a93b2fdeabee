"""The interfaces an engine is made of. Both the neural (ONNX) and the classic (dlib) engines fill them."""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass
from typing import Protocol

from faceswap.choices import ConcreteEngineName
from faceswap.engine.mask_models import NO_MASK_MODELS, MaskModels
from faceswap.engine.options import DEFAULT_OPTIONS, SwapOptions
from faceswap.engine.types import Face, Identity, ImageBGR


class FaceAnalyser(Protocol):
    """Finds faces with their 5 key points and identity embeddings."""

    @property
    def default_reference_threshold(self) -> float:
        """Face distance (1 - cosine of the embeddings) below which two faces are the same person."""
        ...

    def analyse(self, image: ImageBGR) -> list[Face]:
        """Every face in ``image`` with box, key points, score and an L2-normalised embedding."""
        ...


class FaceSwapper(Protocol):
    def swap(
        self,
        frame: ImageBGR,
        target: Face,
        source: Identity,
        options: SwapOptions = DEFAULT_OPTIONS,
        mask_models: MaskModels = NO_MASK_MODELS,
    ) -> ImageBGR:
        """A copy of ``frame`` with ``target`` replaced by ``source`` as ``options`` say (the mask's
        models in ``mask_models``); pixels far from the face unchanged. ``bad_option`` for an option
        the engine cannot honour."""
        ...


class FaceEnhancer(Protocol):
    def enhance(self, frame: ImageBGR, face: Face, blend: float) -> ImageBGR:
        """A copy of ``frame`` with ``face`` restored, blended back with weight ``blend`` in [0, 1]."""
        ...


@dataclass(frozen=True)
class Engine:
    """A ready engine: sessions are loaded once here and reused for every image or frame."""

    name: ConcreteEngineName
    analyser: FaceAnalyser
    swapper: FaceSwapper
    models: tuple[str, ...]
    batch_size: int = 8
    """Frames per model call that suit the engine's device (videos): 32 on a GPU provider, 8 on a CPU."""
    batch_scope: Callable[[], AbstractContextManager[None]] = nullcontext
    """Opened around each batch of frames that are analysed and then swapped unchanged (but by the
    engine's own in-place writes): lets the engine share work between those steps (the ONNX engine
    uploads the frames to the GPU once)."""
    check_options: Callable[[SwapOptions], None] = lambda options: None
    """Raises ``bad_option`` for swap options the engine cannot honour, before any work is done."""
    device: tuple[str, int] = ("cpu", 0)
    """Where the models run, as ``(device_type, device_id)``: ``("cuda", 0)`` for the first NVIDIA GPU (a
    video is then decoded there too, with NVDEC, where it can be)."""
    thread_safe: bool = True
    """Whether one instance may run for several threads at once. When False, a process running tasks
    concurrently gives each running task an instance of its own (``service.processors.engines``)."""
