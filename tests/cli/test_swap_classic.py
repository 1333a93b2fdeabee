"""`faceswap swap` end to end with the offline classic engine on the shared photos."""

from __future__ import annotations

import json
from pathlib import Path

import cv2
import numpy as np
import pytest
from PIL import Image

from faceswap.imaging.provenance import read_provenance
from tests.cli.conftest import ASTRONAUT, GRACE, Invoke

LEFT_END, RIGHT_START = 512, 576  # the astronaut fills x < 512, Grace Hopper x >= 576
CLASSIC_MODELS = ["dlib_hog", "dlib_shape_predictor_68", "dlib_resnet_v1"]


def changed_columns(before: np.ndarray, after: np.ndarray) -> np.ndarray:
    """Which x positions have any changed pixel."""
    return np.flatnonzero(np.any(before != after, axis=(0, 2)))


def test_swap_one_photo_onto_another(invoke: Invoke, tmp_path: Path) -> None:
    output = tmp_path / "out.png"
    result = invoke("swap", GRACE, ASTRONAUT, "-o", output, "--json")
    assert result.exit_code == 0, result.output
    report = json.loads(result.output)
    assert report["engine"] == "classic"
    assert report["models"] == CLASSIC_MODELS
    assert report["faces_swapped"] == 1
    before, after = cv2.imread(str(ASTRONAUT)), cv2.imread(str(output))
    assert before.shape == after.shape
    face = (slice(90, 160), slice(185, 255))
    assert np.abs(before[face].astype(int) - after[face].astype(int)).mean() > 10
    assert np.array_equal(before[300:, :], after[300:, :]), "pixels far below the face must not change"
    assert np.array_equal(before[:, 400:], after[:, 400:]), "pixels far right of the face must not change"
    record = read_provenance(output.read_bytes())
    assert record is not None
    assert str(record["digital_source_type"]).endswith("compositeWithTrainedAlgorithmicMedia")
    assert record["engine"] == "classic"
    assert record["models"] == CLASSIC_MODELS


def test_engine_auto_falls_back_to_classic_without_models(invoke: Invoke, tmp_path: Path) -> None:
    output = tmp_path / "out.jpg"
    result = invoke("swap", ASTRONAUT, GRACE, "-o", output, "--engine", "auto")
    assert result.exit_code == 0, result.output
    assert "classic" in result.output
    assert read_provenance(output.read_bytes()) is not None


def test_group_many_swaps_both_faces(invoke: Invoke, group_photo: Path, tmp_path: Path) -> None:
    output = tmp_path / "many.png"
    result = invoke("swap", GRACE, group_photo, "-o", output, "--faces", "many", "--json")
    assert result.exit_code == 0, result.output
    assert json.loads(result.output)["faces_swapped"] == 2
    columns = changed_columns(cv2.imread(str(group_photo)), cv2.imread(str(output)))
    assert columns.min() < LEFT_END
    assert columns.max() > RIGHT_START


def test_group_one_swaps_the_largest(invoke: Invoke, group_photo: Path, tmp_path: Path) -> None:
    output = tmp_path / "one.png"
    result = invoke("swap", ASTRONAUT, group_photo, "-o", output, "--json")
    assert result.exit_code == 0, result.output
    assert json.loads(result.output)["faces_swapped"] == 1
    columns = changed_columns(cv2.imread(str(group_photo)), cv2.imread(str(output)))
    assert columns.min() > RIGHT_START, "Grace Hopper's face (right) is the larger one"


def test_group_reference_swaps_only_that_person(invoke: Invoke, group_photo: Path, tmp_path: Path) -> None:
    output = tmp_path / "ref.png"
    result = invoke(
        "swap", GRACE, group_photo, "-o", output, "--faces", "reference", "--reference", ASTRONAUT, "--json"
    )
    assert result.exit_code == 0, result.output
    assert json.loads(result.output)["faces_swapped"] == 1
    columns = changed_columns(cv2.imread(str(group_photo)), cv2.imread(str(output)))
    assert columns.max() < LEFT_END, "only the astronaut (left) matches the reference"


def test_group_mapping_sends_each_source_to_its_face(
    invoke: Invoke, group_photo: Path, tmp_path: Path
) -> None:
    swapped = tmp_path / "map.png"
    result = invoke("swap", ASTRONAUT, GRACE, group_photo, "-o", swapped, "--map", "0=1,1=0", "--json")
    assert result.exit_code == 0, result.output
    assert json.loads(result.output)["faces_swapped"] == 2
    only_right = tmp_path / "right.png"
    assert invoke("swap", ASTRONAUT, group_photo, "-o", only_right, "--map", "0=1").exit_code == 0
    group, both, right = (cv2.imread(str(p)) for p in (group_photo, swapped, only_right))
    assert changed_columns(group, both).min() < LEFT_END
    assert changed_columns(group, both).max() > RIGHT_START
    assert changed_columns(group, right).min() > RIGHT_START
    # source 0 (astronaut) went onto face 1 (right) in both runs: the right halves agree
    assert np.abs(both[:, RIGHT_START:].astype(int) - right[:, RIGHT_START:].astype(int)).mean() < 1.0


def test_several_photos_of_one_person_are_averaged(invoke: Invoke, tmp_path: Path) -> None:
    flipped = tmp_path / "grace_flipped.png"
    cv2.imwrite(str(flipped), cv2.flip(cv2.imread(str(GRACE)), 1))
    output = tmp_path / "avg.png"
    result = invoke("swap", GRACE, flipped, ASTRONAUT, "-o", output, "--json")
    assert result.exit_code == 0, result.output
    assert json.loads(result.output)["faces_swapped"] == 1
    single = tmp_path / "single.png"
    assert invoke("swap", GRACE, ASTRONAUT, "-o", single).exit_code == 0
    # the classic engine paints the largest source photo's pixels; both runs used Grace's face
    assert np.abs(cv2.imread(str(output)).astype(int) - cv2.imread(str(single)).astype(int)).mean() < 5


def blank(tmp_path: Path, name: str = "blank.png") -> Path:
    path = tmp_path / name
    cv2.imwrite(str(path), np.full((200, 200, 3), 90, np.uint8))
    return path


@pytest.mark.parametrize(
    ("args", "code", "exit_code"),
    [
        (("{blank}", GRACE), "no_face_in_source", 4),
        ((GRACE, "{blank}"), "no_face_in_target", 4),
        ((GRACE, "{text}"), "unsupported_format", 3),
        ((GRACE, "{truncated}"), "unreadable_input", 3),
        ((GRACE, "{missing}"), "not_found", 7),
        ((GRACE, ASTRONAUT, "--engine", "inswapper_128"), "model_missing", 5),
        ((GRACE, ASTRONAUT, "--enhancer", "gfpgan_1.4"), "model_missing", 5),
        ((GRACE, ASTRONAUT, "--map", "0=x"), "bad_option", 2),
        ((GRACE, ASTRONAUT, "--map", "0=5"), "bad_option", 2),
        ((GRACE, ASTRONAUT, "--faces", "reference"), "bad_option", 2),
        ((GRACE, ASTRONAUT, "--faces", "reference", "--reference", "{blank}"), "no_face_in_source", 4),
        ((ASTRONAUT, GRACE, "--faces", "reference", "--reference", ASTRONAUT), "no_matching_face", 4),
        ((GRACE,), "bad_option", 2),
    ],
)
def test_errors_have_stable_codes(
    invoke: Invoke, tmp_path: Path, args: tuple[object, ...], code: str, exit_code: int
) -> None:
    truncated = tmp_path / "truncated.jpg"
    truncated.write_bytes(GRACE.read_bytes()[:2000])
    text = tmp_path / "notes.png"
    text.write_text("not an image at all")
    names = {
        "{blank}": blank(tmp_path),
        "{text}": text,
        "{truncated}": truncated,
        "{missing}": tmp_path / "missing.png",
    }
    output = tmp_path / "out.png"
    result = invoke("swap", *[names.get(str(a), a) for a in args], "-o", output)
    assert result.exit_code == exit_code, result.output
    assert f"error [{code}]" in result.output
    assert not output.exists(), "a failed swap writes nothing"


def test_unsupported_output_suffix_is_refused_before_work(invoke: Invoke, tmp_path: Path) -> None:
    result = invoke("swap", GRACE, ASTRONAUT, "-o", tmp_path / "out.tiff")
    assert result.exit_code == 2
    assert "error [bad_option]" in result.output


def test_alpha_is_kept_and_formats_follow_the_suffix(invoke: Invoke, tmp_path: Path) -> None:
    from PIL import Image

    rgba = Image.open(ASTRONAUT).convert("RGBA")
    alpha = np.full((rgba.height, rgba.width), 255, np.uint8)
    alpha[:, :40] = 0  # a transparent band far from the face
    rgba.putalpha(Image.fromarray(alpha))
    target = tmp_path / "target.webp"  # a WebP named as such, with alpha
    rgba.save(target, lossless=True)
    for suffix in (".png", ".webp"):
        output = tmp_path / f"out{suffix}"
        assert invoke("swap", GRACE, target, "-o", output).exit_code == 0
        with Image.open(output) as written:
            assert written.mode == "RGBA"
            assert np.array_equal(np.asarray(written)[:, :, 3], alpha)


def test_gif_target_uses_its_first_frame(invoke: Invoke, tmp_path: Path) -> None:
    from PIL import Image

    first = Image.open(ASTRONAUT).convert("RGB")
    second = Image.new("RGB", first.size, (0, 0, 0))
    target = tmp_path / "target.gif"
    first.save(target, save_all=True, append_images=[second], duration=100)
    output = tmp_path / "out.gif"
    result = invoke("swap", GRACE, target, "-o", output, "--json")
    assert result.exit_code == 0, result.output
    assert json.loads(result.output)["faces_swapped"] == 1


@pytest.mark.parametrize(
    ("size", "words"), [((1, 3000), "too thin"), ((3000, 1), "too thin"), ((1, 1), "too small")]
)
def test_a_picture_without_room_for_a_face_is_bad_input(
    invoke: Invoke, tmp_path: Path, size: tuple[int, int], words: str
) -> None:
    """As the target or a source: exit 3 and a message with its size, before any engine work."""
    strip = tmp_path / "strip.png"
    Image.new("RGB", size, (120, 100, 90)).save(strip)
    output = tmp_path / "out.png"
    for paths in ((GRACE, strip), (strip, GRACE)):
        result = invoke("swap", *paths, "-o", output, "--engine", "classic")
        assert result.exit_code == 3, result.output
        width, height = size
        assert (
            f"error [bad_input]: strip.png is {width}x{height} pixels, {words} to hold a face"
            in result.output
        )
        assert "Traceback" not in result.output
        assert not output.exists()
