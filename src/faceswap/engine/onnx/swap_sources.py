"""A swapper's ``source`` input: the identity to paste in, as its family takes it.

One :class:`SourceFeed` per :data:`faceswap.choices.SwapperSource`, chosen by the swapper's spec
(:func:`source_feed`):

* ``emap`` (inswapper): ``normalise(normalise(e) @ emap)``, ``emap`` the graph's last initializer;
* ``embedding`` (HyperSwap): the L2-normalised ArcFace embedding ``e``;
* ``converted`` (SimSwap, HifiFace): ``normalise(convert(e))`` through the family's CrossFace model;
* ``converted_raw`` (GHOST): ``convert(e)`` as the converter gives it;
* ``image`` (BlendSwap, UniFace): an aligned crop of the source face (:func:`prepare_source_crops`), made
  once per identity (:class:`faceswap.engine.onnx.identity_cache.IdentityCache`).

The identity weight ``w`` < 1 blends the source's and the target's identity in the family's own space:
the normalised ArcFace embeddings for ``emap`` and ``embedding`` (then projected), the normalised
converted vectors for ``converted``, the raw ones for ``converted_raw`` (re-normalised after the blend
wherever the space is normalised). An image has no such space: ``bad_option``.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

import numpy as np
import onnx
from google.protobuf.message import DecodeError  # type: ignore[import-untyped]
from numpy.typing import NDArray
from onnx import numpy_helper

from faceswap.choices import SwapperSource
from faceswap.engine.onnx.identity_cache import IdentityCache
from faceswap.engine.onnx.recognizer import normalize_embeddings
from faceswap.engine.onnx.session import ModelSession, run_batched
from faceswap.engine.onnx.signature import CONVERTER_INPUT, EMBEDDING_SIZE
from faceswap.engine.onnx.swap_pixels import prepare_source_crops
from faceswap.engine.types import Face, Identity
from faceswap.errors import BadOptionError, ModelSignatureError
from faceswap.models.swappers import SwapperSpec

Vectors = Callable[[NDArray[np.float32]], NDArray[np.float32]]
"""Rows in, rows out (N x 512 -> N x 512)."""


class SourceFeed(Protocol):
    def inputs(
        self, sources: Sequence[Identity], targets: Sequence[Face], weight: float = 1.0
    ) -> NDArray[np.float32]:
        """Item i's ``source`` input: ``sources[i]`` swapped onto ``targets[i]`` with identity ``weight``
        (possibly read-only: a feed may hand out rows it keeps)."""
        ...


def read_emap(path: Path) -> NDArray[np.float32]:
    """inswapper's 512x512 ``emap`` matrix: the graph's last initializer (fp16 files are cast to float32)."""
    try:
        graph = onnx.load(str(path)).graph
    except (OSError, ValueError, DecodeError) as exc:
        raise ModelSignatureError(f"cannot read the ONNX graph of {path}: {exc}") from exc
    if not graph.initializer:
        raise ModelSignatureError(f"{path} has no initializers; expected the emap matrix last")
    emap = numpy_helper.to_array(graph.initializer[-1]).astype(np.float32)
    if emap.shape != (EMBEDDING_SIZE, EMBEDDING_SIZE):
        raise ModelSignatureError(
            f"{path}: the last initializer has shape {emap.shape}; expected 512x512 emap"
        )
    return emap


def prepare_latents(embeddings: NDArray[Any], emap: NDArray[np.float32]) -> NDArray[np.float32]:
    """Nx512 inswapper ``source`` input: normalise(normalise(embedding) @ emap), as InsightFace does."""
    return normalize_embeddings(normalize_embeddings(np.atleast_2d(embeddings)) @ emap)


@dataclass(frozen=True)
class EmbeddingConverter:
    """A CrossFace model: ArcFace embeddings into a swapper family's identity space."""

    model: ModelSession

    def convert(self, embeddings: NDArray[np.float32]) -> NDArray[np.float32]:
        """Nx512 in, Nx512 out (one call when the batch dim is dynamic, else one per row)."""
        return np.asarray(run_batched(self.model, {CONVERTER_INPUT: np.atleast_2d(embeddings)}), np.float32)


def _distinct(sources: Sequence[Identity]) -> tuple[list[Identity], list[int]]:
    """The distinct identities (a video swaps the same person into every frame) and each item's row."""
    distinct = list({id(source): source for source in sources}.values())
    rows = {id(source): row for row, source in enumerate(distinct)}
    return distinct, [rows[id(source)] for source in sources]


def _same(vectors: NDArray[np.float32]) -> NDArray[np.float32]:
    return vectors


@dataclass(frozen=True)
class EmbeddingFeed:
    """An identity-vector source: ``finish(space(e))``, blended in ``space`` (normalised when
    ``normalised``)."""

    space: Vectors
    """ArcFace's normalised embeddings -> the family's identity space."""
    normalised: bool
    finish: Vectors = _same
    """The family's space -> the model's ``source`` input."""

    def inputs(
        self, sources: Sequence[Identity], targets: Sequence[Face], weight: float = 1.0
    ) -> NDArray[np.float32]:
        if weight < 1.0:
            missing = [t for t in targets if t.embedding is None]
            if missing:
                raise BadOptionError("a swapper weight below 1 needs the target face's embedding")
            own = self.space(np.stack([np.asarray(t.embedding, np.float32) for t in targets]))
            given = self.space(np.stack([s.embedding for s in sources]))
            mixed = weight * given + (1.0 - weight) * own
            return self.finish(normalize_embeddings(mixed) if self.normalised else mixed.astype(np.float32))
        # one row per distinct identity: a vector each instead of an N-row product (or N converter runs)
        distinct, rows = _distinct(sources)
        unique = self.finish(self.space(np.stack([source.embedding for source in distinct])))
        return unique[rows]


@dataclass(frozen=True)
class ImageFeed:
    """An image source: the largest face of each identity's photos, cropped as ``spec`` says, once per
    identity (the last few identities' crops are kept: every face and video batch after the first reuses
    them)."""

    spec: SwapperSpec
    crops: IdentityCache = field(default_factory=IdentityCache, compare=False, repr=False)

    def inputs(
        self, sources: Sequence[Identity], targets: Sequence[Face], weight: float = 1.0
    ) -> NDArray[np.float32]:
        """The source crops (read-only: the cache's own rows where each identity comes once)."""
        if weight < 1.0:
            raise BadOptionError(
                f"the {self.spec.family} swapper takes a source photo, not an identity vector: "
                "it has no identity weight (use 1)"
            )
        distinct, rows = _distinct(sources)
        crops = self.crops.rows(distinct, self._crop)
        return crops if rows == list(range(len(crops))) else crops[rows]

    def _crop(self, identities: Sequence[Identity]) -> NDArray[np.float32]:
        return prepare_source_crops([identity.primary for identity in identities], self.spec)


def _normalised(vectors: NDArray[np.float32]) -> NDArray[np.float32]:
    return normalize_embeddings(vectors)


def _emap_feed(spec: SwapperSpec, model: ModelSession, converter: EmbeddingConverter | None) -> SourceFeed:
    emap = read_emap(model.path)
    return EmbeddingFeed(_normalised, True, lambda v: normalize_embeddings(v @ emap))


def _embedding_feed(
    spec: SwapperSpec, model: ModelSession, converter: EmbeddingConverter | None
) -> SourceFeed:
    return EmbeddingFeed(_normalised, True)


def _needs(converter: EmbeddingConverter | None, spec: SwapperSpec) -> EmbeddingConverter:
    if converter is None:
        raise ModelSignatureError(f"the {spec.family} swapper needs its converter {spec.converter}")
    return converter


def _converted_feed(
    spec: SwapperSpec, model: ModelSession, converter: EmbeddingConverter | None
) -> SourceFeed:
    convert = _needs(converter, spec).convert
    return EmbeddingFeed(lambda e: normalize_embeddings(convert(e)), True)


def _converted_raw_feed(
    spec: SwapperSpec, model: ModelSession, converter: EmbeddingConverter | None
) -> SourceFeed:
    return EmbeddingFeed(_needs(converter, spec).convert, False)


def _image_feed(spec: SwapperSpec, model: ModelSession, converter: EmbeddingConverter | None) -> SourceFeed:
    return ImageFeed(spec)


_FEEDS: dict[SwapperSource, Callable[[SwapperSpec, ModelSession, EmbeddingConverter | None], SourceFeed]] = {
    "emap": _emap_feed,
    "embedding": _embedding_feed,
    "converted": _converted_feed,
    "converted_raw": _converted_raw_feed,
    "image": _image_feed,
}


def source_feed(
    spec: SwapperSpec, model: ModelSession, converter: EmbeddingConverter | None = None
) -> SourceFeed:
    """The feed of ``spec``'s source kind for the loaded swapper ``model`` (and its converter)."""
    return _FEEDS[spec.source](spec, model, converter)
