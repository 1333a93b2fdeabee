"""The swapper catalog against the published conventions (written out here from FaceFusion's model table,
not read from our code): every swapper and converter entry, its spec, files, licences and ``auto``'s order."""

from __future__ import annotations

from typing import get_args

import numpy as np
import pytest

from faceswap.choices import (
    ConcreteEngineName,
    EmbeddingConverterName,
    EngineName,
    ModelName,
    SwapperName,
    choices,
)
from faceswap.engine.geometry import TEMPLATES
from faceswap.engine.needs import neural_models
from faceswap.models.catalog import CATALOG
from faceswap.models.swappers import AUTO_PREFERENCE, RECOMMENDED, SWAPPERS, SwapperSpec

UNIT = ((0.0, 0.0, 0.0), (1.0, 1.0, 1.0))
HALF = ((0.5, 0.5, 0.5), (0.5, 0.5, 0.5))
IMAGENET = ((0.485, 0.456, 0.406), (0.229, 0.224, 0.225))

# name: family, template, size, (mean, std), de-normalised, source, converter, release, commercial use
PUBLISHED = {
    "inswapper_128": ("inswapper", "arcface_128", 128, UNIT, False, "emap", None, "models-3.0.0", False),
    "inswapper_128_fp16": ("inswapper", "arcface_128", 128, UNIT, False, "emap", None, "models-3.0.0", False),
    **{
        f"hyperswap_1{v}_256": (
            "hyperswap",
            "arcface_128",
            256,
            HALF,
            True,
            "embedding",
            None,
            "models-3.3.0",
            False,
        )
        for v in "abc"
    },
    "simswap_256": (
        "simswap",
        "arcface_112_v1",
        256,
        IMAGENET,
        False,
        "converted",
        "crossface_simswap",
        "models-3.0.0",
        False,
    ),
    "simswap_unofficial_512": (
        "simswap",
        "arcface_112_v1",
        512,
        UNIT,
        False,
        "converted",
        "crossface_simswap",
        "models-3.0.0",
        False,
    ),
    **{
        f"ghost_{v}_256": (
            "ghost",
            "arcface_112_v1",
            256,
            HALF,
            True,
            "converted_raw",
            "crossface_ghost",
            "models-3.0.0",
            True,
        )
        for v in "123"
    },
    "hififace_unofficial_256": (
        "hififace",
        "mtcnn_512",
        256,
        HALF,
        True,
        "converted",
        "crossface_hififace",
        "models-3.1.0",
        False,
    ),
    "blendswap_256": ("blendswap", "ffhq_512", 256, UNIT, False, "image", None, "models-3.0.0", False),
    "uniface_256": ("uniface", "ffhq_512", 256, HALF, True, "image", None, "models-3.0.0", False),
}
SOURCE_CROPS = {"blendswap_256": ("arcface_112_v2", 112), "uniface_256": ("ffhq_512", 256)}
PUBLISHED_TEMPLATES = {
    "arcface_112_v1": [
        (0.35473214, 0.45658929),
        (0.64526786, 0.45658929),
        (0.50000000, 0.61154464),
        (0.37913393, 0.77687500),
        (0.62086607, 0.77687500),
    ],
    "mtcnn_512": [
        (0.36562865, 0.46733799),
        (0.63305391, 0.46585885),
        (0.50019127, 0.61942959),
        (0.39032951, 0.77598822),
        (0.61178945, 0.77476328),
    ],
}


def test_every_swapper_has_a_spec_and_every_published_one_is_there() -> None:
    assert set(SWAPPERS) == set(choices(SwapperName)) == set(PUBLISHED)


@pytest.mark.parametrize("name", choices(SwapperName))
def test_swapper_spec_follows_the_published_convention(name: SwapperName) -> None:
    family, template, size, (mean, std), denormalise, source, converter, release, commercial = PUBLISHED[name]
    spec = SWAPPERS[name]
    assert (spec.family, spec.template, spec.size) == (family, template, size)
    assert (spec.mean, spec.std) == (mean, std)
    assert (spec.denormalise, spec.source, spec.converter) == (denormalise, source, converter)
    assert (spec.source_template, spec.source_size) == SOURCE_CROPS.get(name, (None, None))
    assert spec.extra_outputs == (1 if family == "hyperswap" else 0)  # HyperSwap exports ``mask`` too
    entry = CATALOG[name]
    assert entry.role == "swapper"
    assert entry.file == f"{name}.onnx"
    assert entry.hash_file == f"{name}.hash"
    assert entry.release == release
    assert all(f"/{release}/" in url for url in (*entry.urls, *entry.hash_urls))
    assert (entry.template, entry.input_size) == (template, (size, size))
    assert entry.normalisation == {UNIT: "unit", HALF: "symmetric", IMAGENET: "imagenet"}[(mean, std)]
    assert entry.commercial_use is commercial
    assert entry.licence
    assert entry.summary
    assert entry.size_bytes > 1_000_000


@pytest.mark.parametrize("name", choices(EmbeddingConverterName))
def test_converter_entries(name: EmbeddingConverterName) -> None:
    entry = CATALOG[name]
    assert (entry.role, entry.file, entry.hash_file) == (
        "embedding_converter",
        f"{name}.onnx",
        f"{name}.hash",
    )
    assert entry.release == "models-3.4.0"
    assert entry.licence.startswith("OpenRAIL-MS")
    assert entry.commercial_use  # OpenRAIL: commercial use under use-based restrictions
    users = [n for n, spec in SWAPPERS.items() if spec.converter == name]
    assert users  # every converter serves a swapper


def test_spec_refuses_an_inconsistent_source() -> None:
    with pytest.raises(ValueError, match="converter"):
        SwapperSpec("simswap", "arcface_112_v1", 256, *UNIT, False, "converted")
    with pytest.raises(ValueError, match="source crop"):
        SwapperSpec("blendswap", "ffhq_512", 256, *UNIT, False, "image")


def test_new_templates_are_the_published_points() -> None:
    for name, points in PUBLISHED_TEMPLATES.items():
        np.testing.assert_allclose(TEMPLATES[name], np.array(points), atol=1e-7)  # type: ignore[index]


def test_pixel_boosts_are_the_multiples_of_the_native_size() -> None:
    assert SWAPPERS["inswapper_128"].pixel_boosts == ("native", "128", "256", "512", "768", "1024")
    assert SWAPPERS["ghost_1_256"].pixel_boosts == ("native", "256", "512", "768", "1024")
    assert SWAPPERS["simswap_unofficial_512"].pixel_boosts == ("native", "512", "1024")


def test_image_sources_take_no_identity_weight() -> None:
    assert {n for n, s in SWAPPERS.items() if not s.takes_weight} == {"blendswap_256", "uniface_256"}


def test_engine_names_derive_from_the_swappers() -> None:
    assert choices(ConcreteEngineName) == ("classic", *choices(SwapperName))
    assert choices(EngineName) == ("auto", *choices(ConcreteEngineName))
    assert set(choices(SwapperName)) <= set(get_args(ModelName))
    assert set(choices(EmbeddingConverterName)) <= set(get_args(ModelName))


def test_neural_models_include_the_converter() -> None:
    assert neural_models("yunet", "ghost_2_256") == (
        "yunet",
        "arcface_w600k_r50",
        "ghost_2_256",
        "crossface_ghost",
    )
    assert neural_models("yunet", "hyperswap_1a_256") == ("yunet", "arcface_w600k_r50", "hyperswap_1a_256")


def test_auto_preference_and_recommended_set() -> None:
    assert sorted(AUTO_PREFERENCE) == sorted(choices(SwapperName))
    assert AUTO_PREFERENCE[:3] == ("hyperswap_1a_256", "hyperswap_1b_256", "hyperswap_1c_256")
    assert AUTO_PREFERENCE.index("inswapper_128") < AUTO_PREFERENCE.index("simswap_unofficial_512")
    assert AUTO_PREFERENCE[-2:] == ("uniface_256", "blendswap_256")  # image sources last
    assert neural_models("scrfd_2.5g", AUTO_PREFERENCE[0]) == RECOMMENDED
