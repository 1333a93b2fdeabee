"""Detector decoding (SCRFD, YuNet), NMS, letterbox undo, and the analyser on stand-ins."""

from __future__ import annotations

import math
from pathlib import Path

import cv2
import numpy as np
import pytest

from faceswap.config import EngineSettings, Settings
from faceswap.engine.onnx.decode import decode_scrfd, decode_yunet, suppress, to_faces
from faceswap.engine.onnx.detector import ScrfdDetector, YunetDetector
from faceswap.engine.onnx.engine import build_analyser
from faceswap.engine.onnx.session import open_session
from faceswap.testing.photos import ASTRONAUT, GRACE_HOPPER
from faceswap.testing.standins import (
    StandinFace,
    letterboxed,
    write_arcface_standin,
    write_scrfd_standin,
    write_yunet_standin,
)

FACES = Path(__file__).resolve().parents[2] / ".." / "shared" / "faces"


def scrfd_outputs(size: int = 640) -> list[np.ndarray]:
    cells = {s: (size // s) ** 2 * 2 for s in (8, 16, 32)}
    return (
        [np.zeros((cells[s], 1), np.float32) for s in (8, 16, 32)]
        + [np.zeros((cells[s], 4), np.float32) for s in (8, 16, 32)]
        + [np.zeros((cells[s], 10), np.float32) for s in (8, 16, 32)]
    )


def put(outputs: list[np.ndarray], level: int, index: int, score: float, box: list[float]) -> None:
    outputs[level][index, 0] = score
    outputs[level + 3][index] = box


def test_decode_scrfd_suppresses_overlaps_respects_threshold_and_undoes_the_letterbox() -> None:
    outputs = scrfd_outputs()
    cols16, cols32 = 640 // 16, 640 // 32
    # stride 16, cell (10, 12), first anchor: centre (160, 192)
    face_a = (12 * cols16 + 10) * 2
    put(outputs, 1, face_a, 0.9, [2, 2, 3, 3])
    outputs[7][face_a, 0:2] = [1, -1]
    # the next cell's second anchor: centre (176, 192), the same box, lower score -> suppressed
    put(outputs, 1, (12 * cols16 + 11) * 2 + 1, 0.8, [3, 2, 2, 3])
    # stride 32, cell (2, 2): centre (64, 64)
    put(outputs, 2, (2 * cols32 + 2) * 2, 0.7, [1, 1, 1, 1])
    # below the threshold
    put(outputs, 0, 5, 0.45, [1, 1, 1, 1])

    candidates = decode_scrfd(outputs, (640, 640), 0.5)
    assert len(candidates.scores) == 3
    kept = suppress(candidates, 0.4)
    assert sorted(kept.scores.tolist()) == pytest.approx([0.7, 0.9])

    faces = to_faces(kept, 0.5)
    assert [f.score for f in faces] == pytest.approx([0.7, 0.9])  # left to right
    np.testing.assert_allclose(faces[0].box, [64, 64, 192, 192])
    np.testing.assert_allclose(faces[1].box, [256, 320, 416, 480])
    np.testing.assert_allclose(faces[1].kps[0], [352, 352])
    np.testing.assert_allclose(faces[1].kps[1], [320, 384])


def test_decode_scrfd_accepts_a_leading_batch_axis() -> None:
    outputs = scrfd_outputs()
    put(outputs, 2, 0, 0.99, [0, 0, 2, 2])
    batched = [o[None] for o in outputs]
    decoded = decode_scrfd(batched, (640, 640), 0.5)
    np.testing.assert_allclose(decoded.boxes, [[0, 0, 64, 64]])


def test_decode_yunet_follows_the_published_post_processing() -> None:
    outputs = {
        f"{kind}_{s}": np.zeros((1, (640 // s) ** 2, width), np.float32)
        for kind, width in (("cls", 1), ("obj", 1), ("bbox", 4), ("kps", 10))
        for s in (8, 16, 32)
    }
    index = 7 * 80 + 5  # stride 8, column 5, row 7
    outputs["cls_8"][0, index, 0] = 0.81
    outputs["obj_8"][0, index, 0] = 1.0
    outputs["bbox_8"][0, index] = [0.5, 0.5, math.log(4), math.log(2)]
    outputs["kps_8"][0, index, 0:2] = [0.0, 1.0]
    outputs["cls_16"][0, 3, 0] = 0.2  # sqrt(0.2 * 1) < 0.6
    outputs["obj_16"][0, 3, 0] = 1.0
    decoded = decode_yunet(outputs, (640, 640), 0.6)
    assert decoded.scores.tolist() == pytest.approx([0.9])
    np.testing.assert_allclose(decoded.boxes, [[28, 52, 60, 68]], atol=1e-4)
    np.testing.assert_allclose(decoded.kps[0, 0], [40, 64])


@pytest.fixture(scope="module")
def group() -> tuple[np.ndarray, list[StandinFace]]:
    """Astronaut (left) and Grace Hopper (right) side by side on a 1024x600 canvas."""
    astronaut = cv2.imread(str(FACES / ASTRONAUT.file))
    hopper = cv2.imread(str(FACES / GRACE_HOPPER.file))
    canvas = np.zeros((600, 1024, 3), np.uint8)
    canvas[:512, :512] = astronaut
    canvas[:, 512:] = hopper
    shifted_box = tuple(v + 512 * (i % 2 == 0) for i, v in enumerate(GRACE_HOPPER.box))
    faces = [
        StandinFace(shifted_box, [(x + 512, y) for x, y in GRACE_HOPPER.kps], 0.8),  # type: ignore[arg-type]
        StandinFace(ASTRONAUT.box, ASTRONAUT.kps, 0.95),
    ]
    return canvas, faces


@pytest.mark.parametrize("kind", ["scrfd_2.5g", "yunet"])
def test_detector_standin_finds_the_faces_left_to_right(
    tmp_path: Path, group: tuple[np.ndarray, list[StandinFace]], kind: str
) -> None:
    image, faces = group
    path = tmp_path / "detector.onnx"
    writer = write_yunet_standin if kind == "yunet" else write_scrfd_standin
    writer(path, letterboxed(faces, image.shape))
    model = open_session(kind, path, EngineSettings())  # type: ignore[arg-type]
    detector = YunetDetector(model) if kind == "yunet" else ScrfdDetector(model)
    found = detector.detect(image)
    assert len(found) == 2
    np.testing.assert_allclose(found[0].box, ASTRONAUT.box, atol=0.5)
    np.testing.assert_allclose(found[1].kps, faces[0].kps, atol=0.5)
    assert found[0].score == pytest.approx(0.95, abs=1e-3)


def test_analyser_embeds_each_face(tmp_path: Path, group: tuple[np.ndarray, list[StandinFace]]) -> None:
    image, faces = group
    paths = {
        "scrfd_2.5g": write_scrfd_standin(tmp_path / "det.onnx", letterboxed(faces, image.shape)),
        "arcface_w600k_r50": write_arcface_standin(tmp_path / "arc.onnx"),
    }
    analyser = build_analyser(Settings(data_dir=tmp_path), "scrfd_2.5g", paths.__getitem__)
    assert analyser.default_reference_threshold == pytest.approx(0.6)
    found = analyser.analyse(image)
    embeddings = [f.embedding for f in found]
    assert all(e is not None and e.shape == (512,) for e in embeddings)
    assert all(np.linalg.norm(e) == pytest.approx(1.0, abs=1e-5) for e in embeddings)
    astronaut, hopper = embeddings
    assert astronaut is not None
    assert hopper is not None
    assert 1.0 - float(astronaut @ hopper) > 0.05  # different people, different identities
    # the same face elsewhere in another picture: the same identity
    alone = cv2.imread(str(FACES / ASTRONAUT.file))
    single = analyser.recognizer.embed(alone, [found[0]])[0]
    assert 1.0 - float(single @ astronaut) < 1e-4
    custom = build_analyser(
        Settings(data_dir=tmp_path, engine=EngineSettings(reference_threshold=0.4)),
        "scrfd_2.5g",
        paths.__getitem__,
    )
    assert custom.default_reference_threshold == pytest.approx(0.4)
