"""Per-identity inputs are made once per identity object and kept for the last few identities."""

from __future__ import annotations

import gc
from collections.abc import Sequence
from pathlib import Path

import cv2
import numpy as np
import pytest
from numpy.typing import NDArray

from faceswap.engine.onnx import identity_cache, swap_sources
from faceswap.engine.onnx.identity_cache import IdentityCache
from faceswap.engine.onnx.swap_sources import ImageFeed
from faceswap.engine.types import Face, Identity, SourceFace
from faceswap.models.swappers import SWAPPERS
from faceswap.testing.photos import GRACE_HOPPER

FACES = Path(__file__).resolve().parents[2] / ".." / "shared" / "faces"


def identity(value: float) -> Identity:
    image = np.full((64, 64, 3), value, np.uint8)
    face = Face(np.array([0, 0, 64, 64], np.float32), np.zeros((5, 2), np.float32), 0.9)
    return Identity((SourceFace(image, face),), np.full(512, value, np.float32))


class Maker:
    """Rows that are the identity's embedding's first value; records each call's identities."""

    def __init__(self) -> None:
        self.calls: list[list[Identity]] = []

    def __call__(self, identities: Sequence[Identity]) -> NDArray[np.float32]:
        self.calls.append(list(identities))
        return np.stack([np.full((2, 2), i.embedding[0], np.float32) for i in identities])


def test_rows_are_made_once_per_identity_object() -> None:
    cache, make = IdentityCache(), Maker()
    a, b = identity(1), identity(2)
    first = cache.rows([a, b], make)
    again = cache.rows([b, a], make)
    assert len(make.calls) == 1
    np.testing.assert_array_equal(first[:, 0, 0], [1, 2])
    np.testing.assert_array_equal(again[:, 0, 0], [2, 1])
    assert not first.flags.writeable  # the cache's own rows: no caller can change them
    assert not again.flags.writeable
    # an equal but distinct identity object is made again; only the missing ones are asked for
    c = Identity(a.faces, a.embedding)
    mixed = cache.rows([a, c, b], make)
    assert make.calls[1] == [c]
    np.testing.assert_array_equal(mixed[:, 0, 0], [1, 1, 2])


def test_the_least_recently_used_identity_leaves_first() -> None:
    cache, make = IdentityCache(capacity=2), Maker()
    a, b, c = identity(1), identity(2), identity(3)
    cache.rows([a], make)
    cache.rows([b], make)
    cache.rows([a], make)  # a used last: b is the oldest
    cache.rows([c], make)
    assert len(cache) == 2
    cache.rows([a], make)
    assert len(make.calls) == 3
    cache.rows([b], make)
    assert make.calls[-1] == [b]


def test_an_identity_under_a_reused_id_is_not_taken_for_the_old_one(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """CPython reuses a dead object's id: every identity given one id stands for that case."""
    monkeypatch.setattr(identity_cache, "id", lambda _: 7, raising=False)
    cache, make = IdentityCache(), Maker()
    old = identity(1)
    cache.rows([old], make)
    new = identity(2)
    assert cache.rows([new], make)[0, 0, 0] == 2
    assert make.calls == [[old], [new]]
    del old
    gc.collect()
    assert cache.rows([new], make)[0, 0, 0] == 2  # the new one's entry now
    assert len(make.calls) == 2


def test_capacity_is_at_least_one() -> None:
    with pytest.raises(ValueError, match="at least one"):
        IdentityCache(capacity=0)


def test_an_image_feed_crops_each_identity_once(monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[int] = []
    crop = swap_sources.prepare_source_crops

    def counted(faces: Sequence[SourceFace], spec: object) -> NDArray[np.float32]:
        calls.append(len(faces))
        return crop(faces, spec)  # type: ignore[arg-type]

    monkeypatch.setattr(swap_sources, "prepare_source_crops", counted)
    image = cv2.imread(str(FACES / GRACE_HOPPER.file))
    face = Face(np.array(GRACE_HOPPER.box, np.float32), np.array(GRACE_HOPPER.kps, np.float32), 0.9)
    person = Identity((SourceFace(image, face),), np.ones(512, np.float32) / np.sqrt(512))
    feed = ImageFeed(SWAPPERS["uniface_256"])
    targets = [face, face]
    first = feed.inputs([person, person], targets)  # two faces of one photo: one crop
    again = feed.inputs([person], [face])  # the next video batch: none
    assert calls == [1]
    assert first.shape == (2, 3, 256, 256)
    np.testing.assert_array_equal(first[0], first[1])
    np.testing.assert_array_equal(again[0], first[0])
    np.testing.assert_array_equal(again[0], crop([person.primary], SWAPPERS["uniface_256"])[0])
    assert not again.flags.writeable  # the cache's own crop: nobody can change it
