"""Which target faces get which identity: pure functions over embeddings, boxes and face traits.

A target's faces are first put in the selection's order (:mod:`faceswap.engine.face_order`) and passed
through its filters (:mod:`faceswap.engine.face_filters`); faces added by hand (a box drawn around a
person the detector missed, :mod:`faceswap.engine.extra_faces`) follow them, in the order they were
given, unfiltered. ``one`` then takes the first of them, ``many`` all, ``reference`` those close to the
reference person, and a ``mapping`` numbers them from 0.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from faceswap.choices import FaceMode, FaceOrder
from faceswap.engine.face_filters import NO_FILTERS, FaceFilters, filter_faces
from faceswap.engine.face_order import default_order, order_faces
from faceswap.engine.types import Embedding, Face, Identity, SourceFace
from faceswap.errors import BadOptionError, NoFaceInTargetError, NoMatchingFaceError

_MAPPING_ITEM = re.compile(r"^\s*(\d+)\s*=\s*(\d+)\s*$")


@dataclass(frozen=True)
class Selection:
    """How to choose target faces.

    ``mapping`` (source index -> target face index, faces counted in ``order``) overrides ``mode``.
    ``reference`` is the embedding of the person to replace in ``reference`` mode; ``threshold`` the face
    distance under which a target face counts as that person. ``order`` (None: :func:`default_order`)
    and ``filters`` decide the faces every mode chooses from (:func:`candidates`).
    """

    mode: FaceMode = "one"
    mapping: Mapping[int, int] | None = None
    reference: Embedding | None = None
    threshold: float | None = None
    order: FaceOrder | None = None
    filters: FaceFilters = NO_FILTERS

    @property
    def resolved_order(self) -> FaceOrder:
        """``order``, or the default for the mode (the largest face first for ``one``, else left to right)."""
        return self.order or default_order(self.mode, self.mapping is not None)


def parse_mapping(text: str) -> dict[int, int]:
    """Parses ``"0=1,1=0"`` into ``{0: 1, 1: 0}`` (source index -> target face index)."""
    mapping: dict[int, int] = {}
    targets: set[int] = set()
    for item in text.split(","):
        match = _MAPPING_ITEM.match(item)
        if match is None:
            raise BadOptionError(
                f"--map takes SOURCE=FACE pairs such as 0=1,1=0; cannot read {item.strip()!r}"
            )
        source, target = int(match.group(1)), int(match.group(2))
        if source in mapping:
            raise BadOptionError(f"--map names source {source} twice")
        if target in targets:
            raise BadOptionError(f"--map sends two sources to face {target}")
        mapping[source] = target
        targets.add(target)
    return mapping


def normalize(vector: Embedding) -> Embedding:
    norm = float(np.linalg.norm(vector))
    if norm == 0.0:
        return vector.astype(np.float32)
    return (vector / norm).astype(np.float32)


def face_distance(a: Embedding, b: Embedding) -> float:
    """1 - cosine similarity of two embeddings: 0 for the same direction, up to 2 for opposite ones."""
    return float(1.0 - np.dot(normalize(a), normalize(b)))


def average_embedding(embeddings: Sequence[Embedding]) -> Embedding:
    """One identity from several photos of the same person: the normalised mean of their embeddings."""
    if not embeddings:
        raise ValueError("average_embedding needs at least one embedding")
    return normalize(np.mean(np.stack([normalize(e) for e in embeddings]), axis=0).astype(np.float32))


def make_identity(faces: Sequence[SourceFace]) -> Identity:
    embeddings = [f.face.embedding for f in faces if f.face.embedding is not None]
    if len(embeddings) != len(faces):
        raise ValueError("every source face needs an embedding")
    return Identity(faces=tuple(faces), embedding=average_embedding(embeddings))


def sort_left_to_right(faces: Sequence[Face]) -> list[Face]:
    return order_faces(faces, "left-right")


def candidates(faces: Sequence[Face], selection: Selection, added: Sequence[Face] = ()) -> list[Face]:
    """The faces ``selection`` chooses from: in its order, those its filters keep (``no_matching_face``
    naming the filter that removed the last ones, unless faces were ``added``), then the ``added`` faces
    (drawn by hand) in their own order."""
    ordered = order_faces(faces, selection.resolved_order)
    try:
        kept = filter_faces(ordered, selection.filters)
    except NoMatchingFaceError:
        if not added:
            raise
        kept = []
    return [*kept, *added]


def assign(
    faces: Sequence[Face],
    identities: Sequence[Identity],
    selection: Selection,
    added: Sequence[Face] = (),
) -> list[tuple[Face, Identity]]:
    """Pairs target faces (those detected, then those ``added`` by hand) with the identity to paste on
    each, in the selection's order."""
    if not faces and not added:
        raise NoFaceInTargetError("no face was found in the target image")
    if not identities:
        raise ValueError("assign needs at least one identity")
    chosen = candidates(faces, selection, added)
    if selection.mapping is not None:
        return _assign_mapping(chosen, identities, selection.mapping, selection.filters)
    identity = identities[0]
    if selection.mode == "one":
        return [(chosen[0], identity)]
    if selection.mode == "many":
        return [(face, identity) for face in chosen]
    return [(face, identity) for face in _matching(chosen, selection)]


def _assign_mapping(
    faces: Sequence[Face],
    identities: Sequence[Identity],
    mapping: Mapping[int, int],
    filters: FaceFilters = NO_FILTERS,
) -> list[tuple[Face, Identity]]:
    pairs: list[tuple[Face, Identity]] = []
    for source, target in sorted(mapping.items()):
        if source >= len(identities):
            raise BadOptionError(
                f"--map names source {source} but only {len(identities)} source(s) were given"
            )
        if target >= len(faces):
            kept = f" the filters keep ({filters.describe()})" if filters.active else ""
            raise BadOptionError(
                f"--map names face {target} but the target has {len(faces)} face(s){kept} (0-based)"
            )
        pairs.append((faces[target], identities[source]))
    return pairs


def _matching(faces: Sequence[Face], selection: Selection) -> list[Face]:
    if selection.reference is None or selection.threshold is None:
        raise BadOptionError("face mode 'reference' needs a reference face")
    reference, threshold = selection.reference, selection.threshold
    matched = [
        f for f in faces if f.embedding is not None and face_distance(f.embedding, reference) < threshold
    ]
    if not matched:
        raise NoMatchingFaceError(
            f"none of the {len(faces)} face(s) in the target matches the reference person "
            f"(threshold {threshold:.2f})"
        )
    return matched
