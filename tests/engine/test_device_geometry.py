"""Warp and paste back as ONNX graphs (the GPU path) against OpenCV's, and IO binding against plain runs.

On a GPU they run on the CUDA provider; here the same graphs and bindings run on the CPU provider. OpenCV
samples uint8 images in fixed point (1/32 pixel positions, 15-bit weights) and rounds the warped crop,
the graphs sample in float: results may differ by a level here and there, never more than a few.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path

import cv2
import numpy as np
import onnxruntime as ort
import pytest

from faceswap.config import EngineSettings, Settings
from faceswap.engine.geometry import estimate_matrix, feather_mask, paste_back, warp_face
from faceswap.engine.onnx import geometry_graphs as graphs
from faceswap.engine.onnx.binding import run_bound, to_host
from faceswap.engine.onnx.device_geometry import paste_boxes, warp_boxes
from faceswap.engine.onnx.engine import build_enhancer, build_neural_engine
from faceswap.engine.onnx.enhancer import OnnxEnhancer
from faceswap.engine.onnx.session import open_session
from faceswap.engine.types import Face, Identity, SourceFace
from faceswap.testing.photos import ASTRONAUT, GRACE_HOPPER
from faceswap.testing.standins import (
    StandinFace,
    letterboxed,
    write_arcface_standin,
    write_enhancer_standin,
    write_inswapper_standin,
    write_standin_models,
)

FACES = Path(__file__).resolve().parents[2] / ".." / "shared" / "faces"
CPU = ["CPUExecutionProvider"]
MEAN_LEVELS = 1.0
MAX_LEVELS = 3


@pytest.fixture(scope="module")
def photos() -> dict[str, np.ndarray]:
    return {p.file: cv2.imread(str(FACES / p.file)) for p in (ASTRONAUT, GRACE_HOPPER)}


def kps_cases() -> list[tuple[str, np.ndarray]]:
    """Each photo's face as measured, rotated by 25 degrees, and moved half out of the frame."""
    cases = []
    for photo in (ASTRONAUT, GRACE_HOPPER):
        kps = np.array(photo.kps, np.float32)
        centre = kps.mean(axis=0)
        turn = cv2.getRotationMatrix2D((float(centre[0]), float(centre[1])), 25.0, 1.0)
        rotated = (kps @ turn[:, :2].T + turn[:, 2]).astype(np.float32)
        edge = (kps - (kps[:, 0].min() - 5.0, 0.0)).astype(np.float32)  # left eye 5 px from the left edge
        cases += [(photo.file, kps), (photo.file, rotated), (photo.file, edge)]
    return cases


def session(model: object) -> ort.InferenceSession:
    return ort.InferenceSession(model.SerializeToString(), providers=CPU)  # type: ignore[attr-defined]


def assert_close(got: np.ndarray, expected: np.ndarray) -> None:
    diff = np.abs(got.astype(np.int32) - expected.astype(np.int32))
    assert diff.mean() < MEAN_LEVELS, diff.mean()
    assert diff.max() <= MAX_LEVELS, diff.max()


@pytest.mark.parametrize(("file", "kps"), kps_cases())
def test_warp_graph_matches_warp_face(photos: dict[str, np.ndarray], file: str, kps: np.ndarray) -> None:
    image = photos[file]
    crop, matrix = warp_face(image, kps, "arcface_128", 128)
    boxes = warp_boxes([matrix], [0], image.shape[:2], 128)
    output = session(graphs.warp_graph(128, graphs.UNIT_RGB)).run(
        None, {graphs.FRAMES: image[None], **boxes.feeds()}
    )
    assert output[0].shape == (1, 3, 128, 128)
    got = np.rint(output[0][0].transpose(1, 2, 0)[..., ::-1] * 255.0)
    assert_close(got, crop)
    assert np.abs(got - crop).mean() < 0.1  # almost every pixel is identical


@pytest.mark.parametrize(("file", "kps"), kps_cases())
def test_paste_graph_matches_paste_back(photos: dict[str, np.ndarray], file: str, kps: np.ndarray) -> None:
    image = photos[file]
    crop, matrix = warp_face(image, kps, "ffhq_512", 256)
    new_crop = np.ascontiguousarray(255 - crop)  # inverted: every pasted pixel changes
    mask = feather_mask(256, 0.3) * np.float32(0.8)
    expected = paste_back(image, new_crop, mask, matrix)
    boxes = paste_boxes([matrix], [0], image.shape[:2], 256)
    model_output = (new_crop[..., ::-1].transpose(2, 0, 1)[None] / 127.5 - 1.0).astype(np.float32)
    feeds = {graphs.FRAMES: image[None], graphs.CROPS: model_output, graphs.MASK: mask, **boxes.feeds()}
    regions = session(graphs.paste_graph(256, graphs.SYMMETRIC_RGB)).run(None, feeds)[0]
    got = image.copy()
    x0, y0, x1, y1 = boxes.extents[0]
    got[y0:y1, x0:x1] = regions[0]
    assert not np.array_equal(expected, image)
    assert_close(got, expected)


def test_several_faces_and_frames_in_one_call(photos: dict[str, np.ndarray]) -> None:
    """Boxes of different sizes share the batch's largest box; each face still matches its own warp."""
    frames = np.stack([photos[ASTRONAUT.file], cv2.flip(photos[ASTRONAUT.file], 1)])
    faces = [(0, kps) for _, kps in kps_cases()[:3]] + [(1, np.array(ASTRONAUT.kps, np.float32) * 0.5)]
    matrices = [estimate_matrix(kps, "arcface_128", 128) for _, kps in faces]
    boxes = warp_boxes(matrices, [i for i, _ in faces], frames.shape[1:3], 128)
    output = session(graphs.warp_graph(128, graphs.UNIT_RGB)).run(
        None, {graphs.FRAMES: frames, **boxes.feeds()}
    )
    for (index, kps), crops in zip(faces, output[0], strict=True):
        expected, _ = warp_face(frames[index], kps, "arcface_128", 128)
        assert_close(np.rint(crops.transpose(1, 2, 0)[..., ::-1] * 255.0), expected)


@pytest.mark.parametrize("fp16", [False, True])
def test_io_binding_equals_plain_run(tmp_path: Path, fp16: bool) -> None:
    swapper = open_session(
        "inswapper_128",
        write_inswapper_standin(tmp_path / "swap.onnx", "identity", fp16=fp16, dynamic_batch=True),
        EngineSettings(providers=["cpu"]),
    )
    arcface = open_session(
        "arcface_w600k_r50", write_arcface_standin(tmp_path / "arc.onnx"), EngineSettings()
    )
    rng = np.random.default_rng(1)
    feeds = {"target": rng.random((3, 3, 128, 128), np.float32), "source": rng.random((3, 512), np.float32)}
    assert swapper.device == ("cpu", 0)
    bound = to_host(run_bound(swapper.session, feeds, swapper.device)[0])
    np.testing.assert_array_equal(bound, swapper.run(feeds)[0])
    crops = rng.uniform(-1, 1, (4, 3, 112, 112)).astype(np.float32)
    bound = to_host(run_bound(arcface.session, {"input.1": crops}, arcface.device)[0])
    np.testing.assert_array_equal(bound, arcface.run({"input.1": crops})[0])


def engines(tmp_path: Path, photo: np.ndarray, kind: str, swapper: str) -> dict[str, object]:
    faces = letterboxed([StandinFace(ASTRONAUT.box, ASTRONAUT.kps)], photo.shape)
    paths = write_standin_models(tmp_path, faces, kind)  # type: ignore[arg-type]
    write_inswapper_standin(paths["inswapper_128"], kind, dynamic_batch=True)  # type: ignore[arg-type]
    built = {}
    for mode in ("on", "off"):
        settings = Settings(data_dir=tmp_path, engine=EngineSettings(gpu_geometry=mode))  # type: ignore[arg-type]
        built[mode] = build_neural_engine(settings, swapper, model_path=paths.__getitem__)  # type: ignore[arg-type]
    return built


@pytest.mark.parametrize(
    ("kind", "swapper"), [("identity", "inswapper_128"), ("constant", "inswapper_128_fp16")]
)
def test_swap_batch_with_gpu_geometry_equals_host_geometry(
    tmp_path: Path, photos: dict[str, np.ndarray], kind: str, swapper: str
) -> None:
    photo = photos[ASTRONAUT.file]
    built = engines(tmp_path, photo, kind, swapper)
    assert built["on"].swapper.geometry is not None  # type: ignore[attr-defined]
    assert built["off"].swapper.geometry is None  # type: ignore[attr-defined]
    face = Face(box=np.array(ASTRONAUT.box, np.float32), kps=np.array(ASTRONAUT.kps, np.float32), score=0.9)
    moved = Face(box=face.box + 40, kps=(face.kps + 40).astype(np.float32), score=0.9)
    rng = np.random.default_rng(5)
    people = []
    for _ in range(2):
        vector = rng.standard_normal(512).astype(np.float32)
        people.append(Identity((SourceFace(photo, face),), vector / np.linalg.norm(vector)))
    shifted = np.ascontiguousarray(np.roll(photo, 40, axis=(0, 1)))
    frames, targets = [photo, shifted, photo], [face, moved, moved]  # the first frame twice, two faces
    sources = [people[0], people[1], people[1]]
    on = built["on"].swapper.swap_batch(frames, targets, sources)  # type: ignore[attr-defined]
    off = built["off"].swapper.swap_batch(frames, targets, sources)  # type: ignore[attr-defined]
    for got, expected in zip(on, off, strict=True):
        assert_close(got, expected)
    if kind == "constant":
        assert not np.array_equal(on[0], photo)
        assert not np.array_equal(on[0], on[2])  # each item has its own face only


def enhancers(tmp_path: Path, name: str, dynamic: bool) -> dict[str, OnnxEnhancer]:
    kind = "codeformer" if name == "codeformer" else "gfpgan"
    path = write_enhancer_standin(tmp_path / f"{name}.onnx", kind)  # type: ignore[arg-type]
    built = {}
    for mode in ("on", "off"):
        engine = EngineSettings(gpu_geometry=mode, dynamic_batch="on" if dynamic else "off")  # type: ignore[arg-type]
        enhancer = build_enhancer(Settings(data_dir=tmp_path, engine=engine), name, {name: path}.__getitem__)  # type: ignore[arg-type]
        built[mode] = dataclasses.replace(enhancer, fidelity=0.7)  # CodeFormer's weight shows in its output
    return built


@pytest.mark.parametrize("dynamic", [True, False])
@pytest.mark.parametrize("name", ["gfpgan_1.4", "codeformer"])
def test_enhance_batch_with_gpu_geometry_equals_host_geometry(
    tmp_path: Path, photos: dict[str, np.ndarray], name: str, dynamic: bool
) -> None:
    """Frames with two faces in one of them, one face half out of its frame; blend 0, 0.5 and 1."""
    built = enhancers(tmp_path, name, dynamic)
    assert built["on"].geometry is not None
    assert built["off"].geometry is None
    assert built["on"].model.batch_dynamic is dynamic  # a fixed batch runs one face per model call
    photo = photos[ASTRONAUT.file]
    flipped = np.ascontiguousarray(photo[:, ::-1])  # device geometry takes frames of one size
    astronaut = np.array(ASTRONAUT.kps, np.float32)
    edge = (astronaut - (astronaut[:, 0].min() - 5.0, 0.0)).astype(np.float32)
    mirrored = np.array([[511 - x, y] for x, y in astronaut[[1, 0, 2, 4, 3]]], np.float32)
    frames = [photo, photo, flipped, photo]  # the first frame twice: two faces
    faces = [astronaut, edge, mirrored, astronaut * 0.8]
    targets = [Face(box=np.zeros(4, np.float32), kps=kps, score=0.9) for kps in faces]
    for blend in (0.0, 0.5, 1.0):
        on = built["on"].enhance_batch(frames, targets, blend)
        off = built["off"].enhance_batch(frames, targets, blend)
        for got, expected, frame in zip(on, off, frames, strict=True):
            assert got.shape == frame.shape
            assert_close(got, expected)
            assert np.array_equal(got, frame) is (blend == 0.0)
        if blend > 0:
            assert not np.array_equal(on[0], on[1])  # each item has its own face only
