"""Face filters (pure functions): keep only the target faces of a gender, an age range or a race.

The traits come from the face classifier (fairface, :mod:`faceswap.engine.onnx.classifier`), stored on
each face (:attr:`faceswap.engine.types.Face.traits`). Ages are fairface's buckets, the first and last
year each holds: 0-2, 3-9, 10-19, 20-29, 30-39, 40-49, 50-59, 60-69, 70-100. An age filter
``(start, end)`` is the half-open range of years ``start <= age < end`` (``20-30``: the twenties) and
keeps a face when its bucket shares at least one year with it: bucket 20-29 is kept by 29-30 and not by
30-40, bucket 70-100 by 99-100. Filters apply one after the other (gender, race, age); when one of them
leaves no face, :class:`~faceswap.errors.NoMatchingFaceError` says which one.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from faceswap.choices import FaceGender, FaceRace
from faceswap.engine.types import Face, FaceTraits
from faceswap.errors import BadOptionError, NoMatchingFaceError

AGE_BUCKETS: tuple[tuple[int, int], ...] = (
    (0, 2),
    (3, 9),
    (10, 19),
    (20, 29),
    (30, 39),
    (40, 49),
    (50, 59),
    (60, 69),
    (70, 100),
)
"""fairface's age classes, in class-id order: first and last year of each bucket."""
AGE_LIMIT = 100
"""The largest ``end`` of an age range (and the last year of the oldest bucket)."""
_AGE_RANGE = re.compile(r"^\s*(\d{1,3})\s*[-,]\s*(\d{1,3})\s*$")

FilterTest = Callable[[FaceTraits], bool]
"""One filter's test: whether it keeps a face of these traits."""


@dataclass(frozen=True)
class FaceFilters:
    """Which target faces may be swapped: those of ``gender``, ``race`` and an age bucket overlapping
    ``age`` (``start <= age < end`` in years); None keeps every face."""

    gender: FaceGender | None = None
    age: tuple[int, int] | None = None
    race: FaceRace | None = None

    def __post_init__(self) -> None:
        if self.age is not None:
            start, end = self.age
            if not 0 <= start < end <= AGE_LIMIT:
                raise BadOptionError(
                    f"an age range is START-END with 0 <= START < END <= {AGE_LIMIT} "
                    f"(END not included); got {start}-{end}"
                )

    @property
    def active(self) -> bool:
        """Whether any filter is set (the face classifier is then needed)."""
        return self.gender is not None or self.age is not None or self.race is not None

    def describe(self) -> str:
        """The filters set, in words: ``gender female, age 20-30``."""
        return ", ".join(f"{name} {value}" for name, value, _ in self.steps())

    def steps(self) -> list[tuple[str, str, FilterTest]]:
        """Each filter set, in the order they apply: its name, its value in words and its test."""
        steps: list[tuple[str, str, FilterTest]] = []
        if self.gender is not None:
            gender = self.gender
            steps.append(("gender", gender, lambda t: t.gender == gender))
        if self.race is not None:
            race = self.race
            steps.append(("race", race, lambda t: t.race == race))
        if self.age is not None:
            age = self.age
            steps.append(("age", f"{age[0]}-{age[1]}", lambda t: age_overlaps(t.age, age)))
        return steps


NO_FILTERS = FaceFilters()


def age_overlaps(bucket: tuple[int, int], age: tuple[int, int]) -> bool:
    """Whether the bucket ``(first, last)`` (both years included) shares a year with ``start <= y < end``."""
    first, last = bucket
    start, end = age
    return first < end and last >= start


def parse_age_range(text: str) -> tuple[int, int]:
    """``"20-30"`` (or ``"20,30"``) as ``(20, 30)``; ``bad_option`` for anything else."""
    match = _AGE_RANGE.match(text)
    if match is None:
        raise BadOptionError(f"an age range is START-END in years, such as 20-30; got {text!r}")
    age = (int(match.group(1)), int(match.group(2)))
    FaceFilters(age=age)  # bad_option for an empty or out-of-bounds range
    return age


def filter_faces(faces: Sequence[Face], filters: FaceFilters) -> list[Face]:
    """The faces ``filters`` keep, in their order.

    ``bad_option`` when a filter is set and a face was not classified; ``no_matching_face`` naming the
    filter that removed the last faces when none is left.
    """
    kept = list(faces)
    if not filters.active or not kept:
        return kept
    if any(face.traits is None for face in kept):
        raise BadOptionError("face filters need the face classifier (fairface) to have run on the faces")
    counts: list[str] = []
    for name, value, test in filters.steps():
        kept = [face for face in kept if face.traits is not None and test(face.traits)]
        if not kept:
            before = "".join(f"{part}, " for part in counts)
            raise NoMatchingFaceError(
                f"the {name} filter ({value}) removed every face left in the target "
                f"({len(faces)} found, {before}none kept by {name} {value})"
            )
        counts.append(f"{len(kept)} kept by {name} {value}")
    return kept
