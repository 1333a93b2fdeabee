"""Models saved with a batch of 1 are opened with a symbolic batch when the graph allows it, else left."""

from __future__ import annotations

import logging
from pathlib import Path

import cv2
import numpy as np
import onnx
import onnxruntime as ort
import pytest
from onnx import TensorProto, helper, numpy_helper

from faceswap.config import EngineSettings
from faceswap.engine.onnx.analyser import NeuralAnalyser
from faceswap.engine.onnx.batchdim import BATCH, open_dynamic_batch, with_symbolic_batch
from faceswap.engine.onnx.detector import ScrfdDetector
from faceswap.engine.onnx.recognizer import ArcFaceRecognizer
from faceswap.engine.onnx.session import PROVIDER_NAMES, open_session, run_batched, wants_dynamic_batch
from faceswap.testing.moving import write_moving_scrfd_standin
from faceswap.testing.standins import (
    StandinFace,
    write_arcface_standin,
    write_enhancer_standin,
    write_inswapper_standin,
    write_scrfd_standin,
)

ON = EngineSettings(dynamic_batch="on")
FACES = Path(__file__).resolve().parents[2] / ".." / "shared" / "faces"


def first_dims(path: Path) -> list[object]:
    graph = onnx.load(str(path)).graph
    dims = [value.type.tensor_type.shape.dim for value in [*graph.input, *graph.output]]
    return [d[0].dim_param or d[0].dim_value for d in dims]


def test_with_symbolic_batch_edits_a_copy(tmp_path: Path) -> None:
    path = write_inswapper_standin(tmp_path / "swap.onnx")
    model = onnx.load(str(path))
    edited = with_symbolic_batch(model)
    assert edited is not None
    assert [v.type.tensor_type.shape.dim[0].dim_param for v in edited.graph.input] == [BATCH, BATCH]
    assert edited.graph.output[0].type.tensor_type.shape.dim[0].dim_param == BATCH
    assert [v.type.tensor_type.shape.dim[0].dim_value for v in model.graph.input] == [1, 1]


def test_with_symbolic_batch_leaves_dynamic_models(tmp_path: Path) -> None:
    model = onnx.load(str(write_arcface_standin(tmp_path / "arcface.onnx")))
    assert with_symbolic_batch(model) is None


def test_wants_dynamic_batch_by_mode_and_provider() -> None:
    cpu = [(PROVIDER_NAMES["cpu"], {})]
    cuda = [(PROVIDER_NAMES["cuda"], {"device_id": 0}), *cpu]
    assert not wants_dynamic_batch("auto", cpu)
    assert wants_dynamic_batch("auto", cuda)
    assert wants_dynamic_batch("on", cpu)
    assert not wants_dynamic_batch("off", cuda)


@pytest.mark.parametrize(("kind", "fp16"), [("identity", False), ("constant", False), ("identity", True)])
def test_inswapper_saved_with_batch_1_runs_batches(
    tmp_path: Path, kind: str, fp16: bool, caplog: pytest.LogCaptureFixture
) -> None:
    path = write_inswapper_standin(tmp_path / "swap.onnx", kind, fp16=fp16)  # type: ignore[arg-type]
    saved = path.read_bytes()
    fixed = open_session("inswapper_128", path, EngineSettings(dynamic_batch="off"))
    assert not fixed.batch_dynamic
    with caplog.at_level(logging.INFO, logger="faceswap.engine.onnx.session"):
        model = open_session("inswapper_128", path, ON)
    assert model.batch_dynamic
    assert "opened batched" in caplog.text
    assert path.read_bytes() == saved  # the file on disk is untouched
    rng = np.random.default_rng(0)
    feeds = {
        "target": rng.uniform(0, 1, (3, 3, 128, 128)).astype(np.float32),
        "source": rng.standard_normal((3, 512)).astype(np.float32),
    }
    together = model.run(feeds)[0]
    assert together.shape == (3, 3, 128, 128)
    np.testing.assert_allclose(together, run_batched(fixed, feeds), atol=1e-3 if fp16 else 1e-6)


def test_codeformer_weight_input_keeps_its_shape(tmp_path: Path) -> None:
    model = open_session("codeformer", write_enhancer_standin(tmp_path / "cf.onnx", "codeformer"), ON)
    assert model.batch_dynamic
    assert model.input_shape("weight") == [1]
    crops = np.random.default_rng(0).uniform(-1, 1, (2, 3, 512, 512)).astype(np.float32)
    out = model.run({"input": crops, "weight": np.array([0.5])})[0]
    np.testing.assert_allclose(out, -0.5 * crops, atol=1e-6)


def test_detector_with_constant_outputs_keeps_batch_1(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    face = StandinFace((100, 100, 300, 300), [(150, 180), (250, 180), (200, 230), (160, 270), (240, 270)])
    path = write_scrfd_standin(tmp_path / "det.onnx", [face])
    with caplog.at_level(logging.INFO, logger="faceswap.engine.onnx.session"):
        model = open_session("scrfd_2.5g", path, ON)
    assert not model.batch_dynamic
    assert "opened per call" in caplog.text
    assert "batch 1" in caplog.text


def test_reshape_to_a_constant_batch_of_1_is_refused(tmp_path: Path) -> None:
    shape = numpy_helper.from_array(np.array([1, 512], np.int64), "shape")
    graph = helper.make_graph(
        [helper.make_node("Reshape", ["target_flat", "shape"], ["source_out"])],
        "reshape1",
        [helper.make_tensor_value_info("target_flat", TensorProto.FLOAT, [1, 512])],
        [helper.make_tensor_value_info("source_out", TensorProto.FLOAT, [1, 512])],
        initializer=[shape],
    )
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)], ir_version=8)
    path = tmp_path / "reshape.onnx"
    onnx.save(model, str(path))

    session, verdict = open_dynamic_batch(path, ort.InferenceSession)
    assert session is None
    assert not verdict.agrees
    assert "batch of 2" in verdict.reason or "shape inference" in verdict.reason


@pytest.mark.parametrize("layout", ["batched", "flat"])
def test_moving_detector_saved_with_batch_1_detects_frames_in_one_call(tmp_path: Path, layout: str) -> None:
    path = write_moving_scrfd_standin(
        tmp_path / "det.onnx",
        band=(150, 210),
        face_rows=(60.0, 300.0),
        layout=layout,  # type: ignore[arg-type]
    )
    assert first_dims(path)[0] == 1
    fixed = open_session("scrfd_2.5g", path, EngineSettings(dynamic_batch="off"))
    model = open_session("scrfd_2.5g", path, ON)
    assert model.batch_dynamic
    recognizer = ArcFaceRecognizer(
        open_session("arcface_w600k_r50", write_arcface_standin(tmp_path / "arc.onnx"), EngineSettings())
    )
    photo = cv2.resize(cv2.imread(str(FACES / "astronaut.png")), (120, 120), interpolation=cv2.INTER_AREA)
    frames = []
    for x in (0, 90, 180):
        frame = np.full((180, 320, 3), 96, np.uint8)
        frame[30:150, x : x + 120] = photo
        frames.append(frame)
    got = NeuralAnalyser(ScrfdDetector(model), recognizer).analyse_batch(frames)
    want = [NeuralAnalyser(ScrfdDetector(fixed), recognizer).analyse(frame) for frame in frames]
    assert [len(faces) for faces in got] == [1, 1, 1]
    for a, b in zip(got, want, strict=True):
        np.testing.assert_allclose(a[0].box, b[0].box, atol=1e-4)
        np.testing.assert_allclose(a[0].kps, b[0].kps, atol=1e-4)
        assert a[0].embedding is not None
        assert b[0].embedding is not None
        np.testing.assert_allclose(a[0].embedding, b[0].embedding, atol=1e-5)
