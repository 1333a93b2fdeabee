"""Every swapper as a neural engine on stand-ins: signatures checked at load, an image swap end to end
through the pipeline (host and device geometry), and ``auto``'s choice among the installed ones."""

from __future__ import annotations

from pathlib import Path
from typing import get_args

import cv2
import numpy as np
import pytest

from faceswap.choices import EmbeddingConverterName, ModelName, SwapperName, choices
from faceswap.config import EngineSettings, Settings
from faceswap.engine.factory import auto_preference, resolve_engine_name
from faceswap.engine.geometry import paste_box, warp_face
from faceswap.engine.onnx.engine import build_neural_engine
from faceswap.engine.onnx.session import open_session
from faceswap.engine.onnx.swapper import OnnxSwapper
from faceswap.engine.options import SwapOptions
from faceswap.engine.pipeline import SwapRequest, swap_image
from faceswap.errors import BadOptionError, ModelSignatureError
from faceswap.models.swappers import SWAPPERS
from faceswap.testing.photos import ASTRONAUT
from faceswap.testing.standins import StandinFace, letterboxed, write_standin_models
from faceswap.testing.swapper_standins import write_converter_standin, write_swapper_standin

FACES = Path(__file__).resolve().parents[2] / ".." / "shared" / "faces"
COLOUR_BGR = np.array([102, 204, 51])  # the constant stand-ins' RGB (0.2, 0.8, 0.4)
ALL: tuple[SwapperName, ...] = get_args(SwapperName)


@pytest.fixture(scope="module")
def astronaut() -> np.ndarray:
    image = cv2.imread(str(FACES / ASTRONAUT.file))
    assert image is not None
    return image


@pytest.fixture(scope="module")
def models(tmp_path_factory: pytest.TempPathFactory, astronaut: np.ndarray) -> dict[ModelName, Path]:
    faces = letterboxed([StandinFace(ASTRONAUT.box, ASTRONAUT.kps)], astronaut.shape)
    return write_standin_models(tmp_path_factory.mktemp("models"), faces, "constant", ALL)


def other_signature(name: SwapperName) -> SwapperName:
    """A swapper whose file does not fit ``name``'s inputs (another size or another kind of source)."""
    spec = SWAPPERS[name]
    return next(
        other
        for other in ALL
        if (SWAPPERS[other].size, SWAPPERS[other].source_size) != (spec.size, spec.source_size)
    )


@pytest.mark.parametrize("name", ALL)
def test_signature_check_takes_the_swapper_and_refuses_another(tmp_path: Path, name: SwapperName) -> None:
    settings = EngineSettings(providers=["cpu"])
    own = write_swapper_standin(tmp_path / "own.onnx", name, fp16=name.endswith("_fp16"))
    assert open_session(name, own, settings).input_names() == ["target", "source"]
    wrong = other_signature(name)
    with pytest.raises(ModelSignatureError):
        open_session(name, write_swapper_standin(tmp_path / "wrong.onnx", wrong), settings)
    write_converter_standin(tmp_path / "converter.onnx")
    with pytest.raises(ModelSignatureError):
        open_session(name, tmp_path / "converter.onnx", settings)


@pytest.mark.parametrize("name", choices(EmbeddingConverterName))
def test_converter_signature(tmp_path: Path, name: EmbeddingConverterName) -> None:
    settings = EngineSettings(providers=["cpu"])
    write_converter_standin(tmp_path / "c.onnx")
    assert open_session(name, tmp_path / "c.onnx", settings).input_names() == ["input"]
    with pytest.raises(ModelSignatureError):
        open_session(name, write_swapper_standin(tmp_path / "s.onnx", "hyperswap_1a_256"), settings)


def test_hyperswap_without_its_mask_output_is_still_a_hyperswap_but_a_ghost_with_one_is_not(
    tmp_path: Path,
) -> None:
    settings = EngineSettings(providers=["cpu"])
    # HyperSwap declares a second output (mask); the signature allows it but needs the crop first
    assert open_session(
        "hyperswap_1a_256", write_swapper_standin(tmp_path / "h.onnx", "hyperswap_1a_256"), settings
    )
    with pytest.raises(ModelSignatureError, match="outputs"):
        open_session("ghost_1_256", write_swapper_standin(tmp_path / "g.onnx", "hyperswap_1a_256"), settings)


def outside(image: np.ndarray, name: SwapperName) -> np.ndarray:
    spec = SWAPPERS[name]
    kps = np.array(ASTRONAUT.kps, np.float32)
    _, matrix = warp_face(image, kps, spec.template, spec.size)
    x0, y0, x1, y1 = paste_box((spec.size, spec.size), matrix, image.shape[:2])
    mask = np.ones(image.shape[:2], bool)
    mask[y0:y1, x0:x1] = False
    return mask


@pytest.mark.parametrize("geometry", ["off", "on"])
@pytest.mark.parametrize("name", ALL)
def test_image_swap_through_the_engine(
    tmp_path: Path, models: dict[ModelName, Path], astronaut: np.ndarray, name: SwapperName, geometry: str
) -> None:
    """The constant stand-in paints its colour in its family's output space: the face comes out that
    colour only if the output is read back as the family's convention says (host warp and paste back, or
    the device graphs where the normalisation allows them)."""
    settings = Settings(data_dir=tmp_path, engine={"providers": ["cpu"], "gpu_geometry": geometry})
    engine = build_neural_engine(settings, name, model_path=models.__getitem__)
    converter = SWAPPERS[name].converter
    assert engine.name == name
    assert engine.models == ("scrfd_2.5g", "arcface_w600k_r50", name, *((converter,) if converter else ()))
    assert isinstance(engine.swapper, OnnxSwapper)
    outcome = swap_image(engine, astronaut, SwapRequest(sources=[[astronaut]]))
    assert outcome.faces_swapped == 1
    np.testing.assert_allclose(outcome.image[120, 225], COLOUR_BGR, atol=2)
    mask = outside(astronaut, name)
    assert mask.mean() > 0.5
    assert np.array_equal(outcome.image[mask], astronaut[mask])


@pytest.mark.parametrize("name", ["blendswap_256", "uniface_256"])
def test_image_source_swappers_refuse_an_identity_weight_before_any_work(
    tmp_path: Path, models: dict[ModelName, Path], astronaut: np.ndarray, name: SwapperName
) -> None:
    settings = Settings(data_dir=tmp_path, engine={"providers": ["cpu"]})
    engine = build_neural_engine(settings, name, model_path=models.__getitem__)
    with pytest.raises(BadOptionError, match="weight"):
        swap_image(engine, astronaut, SwapRequest(sources=[[astronaut]], options=SwapOptions(weight=0.5)))


@pytest.mark.parametrize(
    ("installed", "gpu", "expected"),
    [
        (set(ALL), False, "hyperswap_1a_256"),
        (set(ALL) - {"hyperswap_1a_256"}, False, "hyperswap_1b_256"),
        ({"inswapper_128", "inswapper_128_fp16", "ghost_1_256"}, True, "inswapper_128_fp16"),
        ({"inswapper_128", "inswapper_128_fp16", "ghost_1_256"}, False, "inswapper_128"),
        ({"ghost_1_256", "ghost_3_256", "simswap_256", "blendswap_256"}, False, "ghost_3_256"),
        ({"blendswap_256", "uniface_256"}, False, "uniface_256"),
        (set(), False, "classic"),
    ],
)
def test_auto_takes_the_first_installed_swapper_in_preference_order(
    installed: set[str], gpu: bool, expected: str
) -> None:
    present = {"scrfd_2.5g", "arcface_w600k_r50", *get_args(EmbeddingConverterName), *installed}
    assert resolve_engine_name(Settings(), "auto", present.__contains__, gpu=gpu) == expected


def test_auto_needs_the_converter_too() -> None:
    present = {"scrfd_2.5g", "arcface_w600k_r50", "ghost_1_256", "simswap_256", "crossface_simswap"}
    assert resolve_engine_name(Settings(), "auto", present.__contains__) == "simswap_256"
    assert auto_preference(gpu=True).index("inswapper_128_fp16") < auto_preference(gpu=True).index(
        "inswapper_128"
    )
