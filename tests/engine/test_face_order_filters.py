"""Face order and face filters: each order on known boxes and scores, the defaults, the age bucket rule at
its edges, and what ``one``, ``many`` and a mapping take once the filters have run."""

from __future__ import annotations

import numpy as np
import pytest

from faceswap.choices import FaceOrder, choices
from faceswap.engine.face_filters import AGE_BUCKETS, FaceFilters, age_overlaps, filter_faces, parse_age_range
from faceswap.engine.face_order import default_order, order_faces
from faceswap.engine.selection import Selection, assign, candidates, make_identity
from faceswap.engine.types import Face, FaceTraits, Identity, SourceFace
from faceswap.errors import BadOptionError, NoMatchingFaceError

# name: (x1, y1, side, detector score) -- centres, sizes and scores all differ
LAYOUT = {
    "a": (0, 200, 40, 0.70),  # left, low, small-ish
    "b": (100, 0, 80, 0.95),  # second from the left, top, the largest, the best score
    "c": (220, 120, 20, 0.60),  # middle-right, the smallest, the worst score
    "d": (300, 60, 60, 0.80),  # right
}
EXPECTED: dict[str, str] = {
    "left-right": "abcd",
    "right-left": "dcba",
    "top-bottom": "bdca",  # centres y: b 40, d 90, c 130, a 220
    "bottom-top": "acdb",
    "small-large": "cadb",  # sides 20, 40, 60, 80
    "large-small": "bdac",
    "best-worst": "bdac",  # scores .95, .80, .70, .60
    "worst-best": "cadb",
}
FEMALE_20S = FaceTraits(gender="female", age=(20, 29), race="asian")
MALE_40S = FaceTraits(gender="male", age=(40, 49), race="white")
GIRL = FaceTraits(gender="female", age=(3, 9), race="white")


def face(name: str, traits: FaceTraits | None = None) -> Face:
    x, y, side, score = LAYOUT[name]
    box = np.array([x, y, x + side, y + side], np.float32)
    return Face(box=box, kps=np.zeros((5, 2), np.float32), score=score, traits=traits)


def names(faces: list[Face]) -> str:
    by_box = {tuple(face(n).box): n for n in LAYOUT}
    return "".join(by_box[tuple(f.box)] for f in faces)


def shuffled() -> list[Face]:
    return [face("c"), face("a"), face("d"), face("b")]


def identity() -> Identity:
    image = np.zeros((4, 4, 3), np.uint8)
    vector = np.ones(4, np.float32) / 2
    return make_identity(
        [
            SourceFace(
                image=image,
                face=Face(
                    box=np.zeros(4, np.float32), kps=np.zeros((5, 2), np.float32), score=1.0, embedding=vector
                ),
            )
        ]
    )


def test_every_order_has_an_expectation() -> None:
    assert set(EXPECTED) == set(choices(FaceOrder))


@pytest.mark.parametrize("order", choices(FaceOrder))
def test_each_order_sorts_the_known_faces(order: FaceOrder) -> None:
    assert names(order_faces(shuffled(), order)) == EXPECTED[order]


def test_equal_keys_fall_back_to_left_to_right() -> None:
    left = Face(box=np.array([0, 0, 10, 10], np.float32), kps=np.zeros((5, 2), np.float32), score=0.5)
    right = Face(box=np.array([50, 0, 60, 10], np.float32), kps=np.zeros((5, 2), np.float32), score=0.5)
    for order in ("small-large", "large-small", "best-worst", "worst-best"):
        assert order_faces([right, left], order) == [left, right]


def test_the_default_order_keeps_the_largest_face_for_one_and_left_to_right_otherwise() -> None:
    assert default_order("one") == "large-small"
    assert default_order("one", mapped=True) == "left-right"
    assert default_order("many") == "left-right"
    assert default_order("reference") == "left-right"
    person = [identity()]
    assert names([f for f, _ in assign(shuffled(), person, Selection(mode="one"))]) == "b"
    assert names([f for f, _ in assign(shuffled(), person, Selection(mode="many"))]) == "abcd"
    mapped = assign(shuffled(), person, Selection(mapping={0: 2}))
    assert names([f for f, _ in mapped]) == "c"  # faces counted left to right


@pytest.mark.parametrize("order", choices(FaceOrder))
def test_one_takes_the_first_face_and_a_mapping_counts_in_the_order(order: FaceOrder) -> None:
    person = [identity()]
    one = assign(shuffled(), person, Selection(mode="one", order=order))
    assert names([f for f, _ in one]) == EXPECTED[order][0]
    mapped = assign(shuffled(), person, Selection(mapping={0: 1}, order=order))
    assert names([f for f, _ in mapped]) == EXPECTED[order][1]
    many = assign(shuffled(), person, Selection(mode="many", order=order))
    assert names([f for f, _ in many]) == EXPECTED[order]


# the age rule: a bucket (first, last years included) is kept when it shares a year with start <= y < end
@pytest.mark.parametrize(
    ("age", "kept"),
    [
        ((20, 30), [(20, 29)]),
        ((29, 30), [(20, 29)]),  # the bucket's last year
        ((30, 31), [(30, 39)]),  # the next bucket's first year only
        ((19, 21), [(10, 19), (20, 29)]),  # straddles two buckets
        ((0, 1), [(0, 2)]),
        ((2, 3), [(0, 2)]),  # end 3 excludes the 3-9 bucket
        ((3, 4), [(3, 9)]),
        ((69, 71), [(60, 69), (70, 100)]),
        ((99, 100), [(70, 100)]),
        ((0, 100), list(AGE_BUCKETS)),
    ],
)
def test_an_age_range_keeps_the_buckets_it_overlaps(
    age: tuple[int, int], kept: list[tuple[int, int]]
) -> None:
    assert [bucket for bucket in AGE_BUCKETS if age_overlaps(bucket, age)] == kept


@pytest.mark.parametrize("age", [(30, 30), (40, 30), (-1, 10), (0, 101)])
def test_an_empty_or_out_of_bounds_age_range_is_refused(age: tuple[int, int]) -> None:
    with pytest.raises(BadOptionError, match="age range"):
        FaceFilters(age=age)


def test_age_ranges_are_read_from_text() -> None:
    assert parse_age_range("20-30") == (20, 30)
    assert parse_age_range(" 0 , 3 ") == (0, 3)
    for text in ("20", "20-", "a-b", "30-20", "20-30-40", "0-200"):
        with pytest.raises(BadOptionError):
            parse_age_range(text)


def test_filters_keep_the_matching_faces_in_order() -> None:
    faces = [face("a", FEMALE_20S), face("b", MALE_40S), face("c", GIRL), face("d", FEMALE_20S)]
    assert names(filter_faces(faces, FaceFilters(gender="female"))) == "acd"
    assert names(filter_faces(faces, FaceFilters(gender="female", age=(18, 100)))) == "ad"
    assert names(filter_faces(faces, FaceFilters(race="white"))) == "bc"
    assert names(filter_faces(faces, FaceFilters(age=(9, 10)))) == "c"
    assert names(filter_faces(faces, FaceFilters())) == "abcd"


def test_a_filter_that_removes_every_face_is_named() -> None:
    faces = [face("a", FEMALE_20S), face("b", MALE_40S), face("c", GIRL)]
    with pytest.raises(
        NoMatchingFaceError, match=r"the age filter \(50-60\).*3 found, 2 kept by gender female"
    ):
        filter_faces(faces, FaceFilters(gender="female", age=(50, 60)))
    with pytest.raises(NoMatchingFaceError, match=r"the race filter \(indian\)"):
        filter_faces(faces, FaceFilters(gender="male", race="indian"))


def test_filters_need_classified_faces() -> None:
    with pytest.raises(BadOptionError, match="fairface"):
        filter_faces([face("a")], FaceFilters(gender="male"))
    assert names(filter_faces([face("a")], FaceFilters())) == "a"  # no filter: no traits needed


def test_the_modes_choose_among_the_faces_the_filters_keep() -> None:
    faces = [face("a", FEMALE_20S), face("b", MALE_40S), face("c", GIRL), face("d", FEMALE_20S)]
    women = FaceFilters(gender="female", age=(18, 100))
    person = [identity()]
    one = assign(faces, person, Selection(mode="one", filters=women))
    assert names([f for f, _ in one]) == "d"  # the largest of a and d (b is the largest of all)
    many = assign(faces, person, Selection(mode="many", filters=women))
    assert names([f for f, _ in many]) == "ad"
    mapped = assign(faces, person, Selection(mapping={0: 1}, filters=women, order="right-left"))
    assert names([f for f, _ in mapped]) == "a"
    with pytest.raises(BadOptionError, match=r"2 face\(s\) the filters keep \(gender female, age 18-100\)"):
        assign(faces, person, Selection(mapping={0: 2}, filters=women))
    assert names(candidates(faces, Selection(mode="many", order="top-bottom", filters=women))) == "da"
