"""68-point landmarks on stand-ins and a real photo: 2dfan4 moves the alignment points where its heatmaps
say, a low score keeps the detector's, fan_68_5's answer is mapped back to the frame."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

import cv2
import numpy as np
import pytest

from faceswap.choices import ModelName
from faceswap.config import Settings
from faceswap.engine.analysis import open_landmarker, with_analysis
from faceswap.engine.geometry import TEMPLATES
from faceswap.engine.onnx.engine import build_landmarker, build_neural_engine
from faceswap.engine.onnx.landmarker import Fan68From5
from faceswap.engine.onnx.session import open_session
from faceswap.engine.options import SwapOptions
from faceswap.engine.pipeline import SwapRequest, swap_image
from faceswap.engine.protocols import Engine
from faceswap.errors import BadOptionError, ModelMissingError
from faceswap.testing.landmark_standins import (
    Fan685Standin,
    canonical_68,
    write_2dfan4_standin,
    write_fan_68_5_standin,
)
from faceswap.testing.photos import ASTRONAUT
from faceswap.testing.standins import StandinFace, letterboxed, write_standin_models

FACES = Path(__file__).resolve().parents[2] / ".." / "shared" / "faces"


def expected_crop(image: np.ndarray, box: tuple[float, ...]) -> tuple[np.ndarray, float, np.ndarray]:
    """What 2dfan4 must be fed, built here from the model's convention: the box's larger side scaled to
    195 px and centred in 256 px, BGR, x/255, 1x3x256x256. Also the scale and the translation."""
    x1, y1, x2, y2 = box
    scale = 195.0 / max(x2 - x1, y2 - y1)
    shift = np.array([128.0 - scale * (x1 + x2) / 2, 128.0 - scale * (y1 + y2) / 2])
    matrix = np.array([[scale, 0.0, shift[0]], [0.0, scale, shift[1]]], np.float32)
    crop = cv2.warpAffine(image, matrix, (256, 256), flags=cv2.INTER_LINEAR)
    return (crop.astype(np.float32) / 255.0).transpose(2, 0, 1)[None], scale, shift


def chosen_points() -> np.ndarray:
    """68 points (64-px heatmap space) unlike the detector's: shifted and stretched."""
    points = canonical_68() * np.array([0.9, 0.8], np.float32) + np.array([4.0, 7.0], np.float32)
    return points + np.random.default_rng(5).uniform(-0.4, 0.4, points.shape).astype(np.float32)


def five_of(points: np.ndarray) -> np.ndarray:
    return np.stack(
        [points[36:42].mean(0), points[42:48].mean(0), points[30], points[48], points[54]]
    ).astype(np.float32)


@pytest.fixture(scope="module")
def astronaut() -> np.ndarray:
    return cv2.imread(str(FACES / ASTRONAUT.file))


@pytest.fixture(scope="module")
def settings(tmp_path_factory: pytest.TempPathFactory) -> Settings:
    return Settings(data_dir=tmp_path_factory.mktemp("data"))


def engine_with(
    settings: Settings,
    directory: Path,
    image: np.ndarray,
    peak: float,
    gated: bool = True,
    swapper: Literal["identity", "constant"] = "identity",
) -> tuple[Engine, dict[ModelName, Path]]:
    faces = letterboxed([StandinFace(ASTRONAUT.box, ASTRONAUT.kps)], image.shape)
    paths = write_standin_models(directory, faces, swapper)
    expected = expected_crop(image, ASTRONAUT.box)[0] if gated else None
    write_2dfan4_standin(paths["2dfan4"], chosen_points(), peak=peak, expected=expected)
    engine = build_neural_engine(settings, "inswapper_128", model_path=paths.__getitem__)
    return with_analysis(engine, build_landmarker(settings, paths.__getitem__)), paths


def test_a_confident_2dfan4_moves_the_alignment_points_where_its_heatmaps_peak(
    settings: Settings, astronaut: np.ndarray, tmp_path: Path
) -> None:
    engine, _ = engine_with(settings, tmp_path, astronaut, peak=0.95)
    [face] = engine.analyser.analyse(astronaut)
    _, scale, shift = expected_crop(astronaut, ASTRONAUT.box)
    landmarks = (chosen_points() * 4.0 - shift) / scale  # 64 px -> 256 px crop -> frame
    assert face.landmark_score is not None
    assert face.landmark_score > 0.99  # 0.95 / 0.9, capped at 1
    np.testing.assert_allclose(face.landmarks, landmarks, atol=1e-3)
    np.testing.assert_allclose(face.kps, five_of(landmarks), atol=1e-3)
    assert np.abs(face.kps - np.array(ASTRONAUT.kps)).max() > 3.0  # they did move
    assert engine.models[-2:] == ("2dfan4", "fan_68_5")


def test_a_low_landmark_score_keeps_the_detectors_points(
    settings: Settings, astronaut: np.ndarray, tmp_path: Path
) -> None:
    engine, _ = engine_with(settings, tmp_path, astronaut, peak=0.3)
    [face] = engine.analyser.analyse(astronaut)
    assert face.landmark_score == pytest.approx(0.3 / 0.9, abs=1e-3)
    np.testing.assert_allclose(face.kps, np.array(ASTRONAUT.kps), atol=1e-3)
    assert face.landmarks is not None
    assert face.landmarks.shape == (68, 2)  # from fan_68_5
    inside = (face.landmarks[:, 0] > ASTRONAUT.box[0] - 30) & (face.landmarks[:, 0] < ASTRONAUT.box[2] + 30)
    assert inside.all()


def test_the_embedding_is_taken_on_the_refined_points(
    settings: Settings, astronaut: np.ndarray, tmp_path: Path
) -> None:
    engine, paths = engine_with(settings, tmp_path, astronaut, peak=0.95)
    plain = build_neural_engine(settings, "inswapper_128", model_path=paths.__getitem__)
    [refined] = engine.analyser.analyse(astronaut)
    [detected] = plain.analyser.analyse(astronaut)
    assert refined.embedding is not None
    assert detected.embedding is not None
    assert float(refined.embedding @ detected.embedding) < 0.999
    again = plain.analyser.recognizer.embed(astronaut, [refined])[0]  # type: ignore[attr-defined]
    np.testing.assert_allclose(refined.embedding, again, atol=1e-5)


def twisted(crop: np.ndarray, how: str) -> np.ndarray:
    if how == "rgb":
        return crop[:, ::-1].copy()
    if how == "0..255":
        return crop * 255.0
    if how == "-1..1":
        return crop * 2.0 - 1.0
    return crop.transpose(0, 1, 3, 2).copy()  # x and y swapped


@pytest.mark.parametrize("how", ["rgb", "0..255", "-1..1", "transposed"])
def test_the_2dfan4_standin_scores_low_on_a_crop_fed_any_other_way(
    astronaut: np.ndarray, settings: Settings, tmp_path: Path, how: str
) -> None:
    crop = expected_crop(astronaut, ASTRONAUT.box)[0]
    path = write_2dfan4_standin(tmp_path / "2dfan4.onnx", chosen_points(), expected=crop)
    model = open_session("2dfan4", path, settings.engine)
    right = model.run({"input": crop})[1].max(axis=(2, 3)).mean()
    wrong = model.run({"input": twisted(crop, how)})[1].max(axis=(2, 3)).mean()
    assert right > 0.94
    assert wrong < 0.01


def test_fan_68_5_answers_are_mapped_back_through_the_ffhq_template(
    settings: Settings, tmp_path: Path
) -> None:
    lifter_spec = Fan685Standin.make()
    path = write_fan_68_5_standin(tmp_path / "fan_68_5.onnx", lifter_spec)
    lifter = Fan68From5(open_session("fan_68_5", path, settings.engine))
    # key points exactly the ffhq_512 template turned 25 degrees, scaled to 300 px and moved
    angle, size, offset = np.deg2rad(25.0), 300.0, np.array([200.0, 150.0])
    rotation = np.array([[np.cos(angle), -np.sin(angle)], [np.sin(angle), np.cos(angle)]])
    kps = (TEMPLATES["ffhq_512"].astype(np.float64) * size) @ rotation.T + offset
    [lifted] = lifter.lift([kps.astype(np.float32)])
    # the stand-in answers weights @ normalised + offsets; weights' rows sum to 1, so back in the frame
    # that is weights @ kps plus the offsets scaled and turned as the face is
    expected = lifter_spec.weights @ kps + (lifter_spec.offsets * size) @ rotation.T
    np.testing.assert_allclose(lifted, expected, atol=0.05)


def test_a_missing_landmark_model_names_the_download_command(settings: Settings, tmp_path: Path) -> None:
    with pytest.raises(ModelMissingError, match="faceswap models download 2dfan4"):
        open_landmarker(settings, "2dfan4", lambda name: tmp_path / f"{name}.onnx")
    assert open_landmarker(settings, "none", lambda name: tmp_path / f"{name}.onnx") is None


def test_no_landmarker_and_angle_0_leave_the_engine_as_it_is(
    settings: Settings, astronaut: np.ndarray, tmp_path: Path
) -> None:
    faces = letterboxed([StandinFace(ASTRONAUT.box, ASTRONAUT.kps)], astronaut.shape)
    paths = write_standin_models(tmp_path, faces)
    engine = build_neural_engine(settings, "inswapper_128", model_path=paths.__getitem__)
    assert with_analysis(engine, None, (0,)) is engine
    [face] = engine.analyser.analyse(astronaut)
    assert face.landmarks is None
    assert face.landmark_score is None


def test_the_kept_mouth_and_area_masks_use_the_landmarkers_points(
    settings: Settings, astronaut: np.ndarray, tmp_path: Path
) -> None:
    """With 68 points from the landmarker, the inner mouth is the target's and an area mask limits the
    swap to its area; without a landmarker both are refused."""
    engine, paths = engine_with(settings, tmp_path, astronaut, peak=0.95, swapper="constant")
    photo = astronaut
    request = SwapRequest(sources=[[photo]], options=SwapOptions(keep_mouth=True))
    kept = swap_image(engine, photo, request).image
    [face] = engine.analyser.analyse(photo)
    assert face.landmarks is not None
    centre = np.round(face.landmarks[60:68].mean(axis=0)).astype(int)
    x, y = int(centre[0]), int(centre[1])
    assert np.abs(kept[y, x].astype(int) - photo[y, x].astype(int)).max() <= 3  # the target's inner mouth
    upper = SwapOptions(masks=("box", "area"), areas=("upper-face",))
    limited = swap_image(engine, photo, SwapRequest(sources=[[photo]], options=upper)).image
    chin = np.round(face.landmarks[8]).astype(int) - (0, 2)
    assert np.abs(limited[chin[1], chin[0]].astype(int) - photo[chin[1], chin[0]].astype(int)).max() <= 3
    swapped = swap_image(engine, photo, SwapRequest(sources=[[photo]])).image
    assert np.abs(swapped[y, x].astype(int) - photo[y, x].astype(int)).max() > 20  # it was swapped
    assert np.abs(swapped[chin[1], chin[0]].astype(int) - photo[chin[1], chin[0]].astype(int)).max() > 20
    plain = build_neural_engine(settings, "inswapper_128", model_path=paths.__getitem__)
    with pytest.raises(BadOptionError):
        swap_image(plain, photo, request)
