"""Which target faces get which identity: pure functions over embeddings and boxes."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from faceswap.choices import FaceMode
from faceswap.engine.types import Embedding, Face, Identity, SourceFace
from faceswap.errors import BadOptionError, NoFaceInTargetError, NoMatchingFaceError

_MAPPING_ITEM = re.compile(r"^\s*(\d+)\s*=\s*(\d+)\s*$")


@dataclass(frozen=True)
class Selection:
    """How to choose target faces.

    ``mapping`` (source index -> target face index, faces counted left to right) overrides ``mode``.
    ``reference`` is the embedding of the person to replace in ``reference`` mode; ``threshold`` the face
    distance under which a target face counts as that person.
    """

    mode: FaceMode = "one"
    mapping: Mapping[int, int] | None = None
    reference: Embedding | None = None
    threshold: float | None = None


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
    return sorted(faces, key=lambda f: (f.center_x, float(f.box[1])))


def assign(
    faces: Sequence[Face], identities: Sequence[Identity], selection: Selection
) -> list[tuple[Face, Identity]]:
    """Pairs target faces with the identity to paste on each; ``faces`` are in left-to-right order."""
    if not faces:
        raise NoFaceInTargetError("no face was found in the target image")
    if not identities:
        raise ValueError("assign needs at least one identity")
    if selection.mapping is not None:
        return _assign_mapping(faces, identities, selection.mapping)
    identity = identities[0]
    if selection.mode == "one":
        return [(max(faces, key=lambda f: f.area), identity)]
    if selection.mode == "many":
        return [(face, identity) for face in faces]
    return [(face, identity) for face in _matching(faces, selection)]


def _assign_mapping(
    faces: Sequence[Face], identities: Sequence[Identity], mapping: Mapping[int, int]
) -> list[tuple[Face, Identity]]:
    pairs: list[tuple[Face, Identity]] = []
    for source, target in sorted(mapping.items()):
        if source >= len(identities):
            raise BadOptionError(
                f"--map names source {source} but only {len(identities)} source(s) were given"
            )
        if target >= len(faces):
            raise BadOptionError(
                f"--map names face {target} but the target has {len(faces)} face(s) (0-based)"
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
