"""The typed catalog agrees with the ``Literal`` choices it is derived from."""

from __future__ import annotations

import pytest

from faceswap.choices import (
    DetectorName,
    EmbeddingConverterName,
    EnhancerModelName,
    EnhancerName,
    FrameEnhancerName,
    ModelName,
    ModelRole,
    RecognizerName,
    SwapperName,
    UpscaleName,
    choices,
)
from faceswap.models.catalog import CATALOG, names_for_role


def test_every_model_name_has_exactly_one_entry() -> None:
    assert set(CATALOG) == set(choices(ModelName))
    assert all(spec.name == name for name, spec in CATALOG.items())


@pytest.mark.parametrize(
    ("role", "literal"),
    [
        ("detector", DetectorName),
        ("recognizer", RecognizerName),
        ("swapper", SwapperName),
        ("enhancer", EnhancerModelName),
        ("frame_enhancer", FrameEnhancerName),
        ("embedding_converter", EmbeddingConverterName),
    ],
)
def test_roles_match_the_role_literals(role: str, literal: object) -> None:
    assert names_for_role(role) == choices(literal)  # type: ignore[arg-type]


def test_roles_partition_the_catalog() -> None:
    by_role = [name for role in choices(ModelRole) for name in names_for_role(role)]  # type: ignore[arg-type]
    assert sorted(by_role) == sorted(choices(ModelName))


def test_enhancer_choices_are_none_or_an_enhancer_model() -> None:
    assert choices(EnhancerName) == ("none", *choices(EnhancerModelName))


def test_files_urls_and_sidecars_are_consistent() -> None:
    files = [spec.file for spec in CATALOG.values()]
    assert len(set(files)) == len(files)
    for spec in CATALOG.values():
        assert spec.file.endswith(".onnx")
        assert spec.hash_file == spec.file.removesuffix(".onnx") + ".hash"
        assert len(spec.urls) == len(spec.hash_urls) >= 1
        assert all(url.startswith("https://") and url.endswith("/" + spec.file) for url in spec.urls)
        assert all(url.endswith("/" + spec.hash_file) for url in spec.hash_urls)
        assert all(spec.release in url for url in (*spec.urls, *spec.hash_urls))
        assert spec.size_bytes > 0
        # OpenRAIL-M(S) allows commercial use under its use-based restrictions; CC-BY-4.0 with attribution
        permissive = {"Apache-2.0", "MIT", "OpenRAIL-M", "OpenRAIL-MS", "BSD-3-Clause", "CC-BY-4.0"}
        assert spec.commercial_use == (spec.licence.split(" ")[0] in permissive)


def test_templates_and_input_sizes_follow_roles() -> None:
    for spec in CATALOG.values():
        # 2dfan4 crops the box, frame enhancers take the whole frame, the converters take embeddings: no template
        if spec.role in ("detector", "frame_enhancer", "embedding_converter") or spec.name == "2dfan4":
            assert spec.template is None
        else:
            assert spec.template is not None
        assert (spec.tiling is not None) == (spec.role == "frame_enhancer")
    assert {CATALOG[n].template for n in choices(SwapperName)} == {
        "arcface_128",
        "arcface_112_v1",
        "mtcnn_512",
        "ffhq_512",
    }


# Published facts (FaceFusion's face enhancer table): template, crop size, licence, release bucket.
ENHANCER_FACTS = {
    "gfpgan_1.2": ("ffhq_512", 512, "Apache-2.0", True),
    "gfpgan_1.3": ("ffhq_512", 512, "Apache-2.0", True),
    "gfpgan_1.4": ("ffhq_512", 512, "Apache-2.0", True),
    "codeformer": ("ffhq_512", 512, "S-Lab", False),
    "restoreformer_plus_plus": ("ffhq_512", 512, "Apache-2.0", True),
    "gpen_bfr_256": ("arcface_128", 256, "non-commercial", False),
    "gpen_bfr_512": ("ffhq_512", 512, "non-commercial", False),
    "gpen_bfr_1024": ("ffhq_512", 1024, "non-commercial", False),
    "gpen_bfr_2048": ("ffhq_512", 2048, "non-commercial", False),
}
# Published facts (FaceFusion's frame enhancer table): scale, tile size, overlap, licence.
FRAME_ENHANCER_FACTS = {
    "real_esrgan_x2": (2, 256, 16, "BSD-3-Clause", True),
    "real_esrgan_x2_fp16": (2, 256, 16, "BSD-3-Clause", True),
    "real_esrgan_x4": (4, 256, 16, "BSD-3-Clause", True),
    "real_esrgan_x4_fp16": (4, 256, 16, "BSD-3-Clause", True),
    "span_kendata_x4": (4, 128, 8, "non-commercial", False),
}


@pytest.mark.parametrize("name", list(ENHANCER_FACTS))
def test_each_face_enhancer_has_its_template_size_and_licence(name: str) -> None:
    template, size, licence, commercial = ENHANCER_FACTS[name]
    spec = CATALOG[name]  # type: ignore[index]
    assert (spec.role, spec.template, spec.input_size) == ("enhancer", template, (size, size))
    assert spec.normalisation == "symmetric"
    assert spec.licence.startswith(licence)
    assert spec.commercial_use is commercial
    assert spec.release == "models-3.0.0"
    assert spec.urls[0].endswith(f"/models-3.0.0/{name}.onnx")
    assert spec.hash_urls[0].endswith(f"/models-3.0.0/{name}.hash")


@pytest.mark.parametrize("name", list(FRAME_ENHANCER_FACTS))
def test_each_frame_enhancer_has_its_scale_tiles_and_licence(name: str) -> None:
    scale, tile, overlap, licence, commercial = FRAME_ENHANCER_FACTS[name]
    spec = CATALOG[name]  # type: ignore[index]
    assert spec.role == "frame_enhancer"
    assert spec.input_size == (tile, tile)
    assert spec.tiling is not None
    assert (spec.tiling.scale, spec.tiling.overlap) == (scale, overlap)
    assert spec.normalisation == "unit"
    assert spec.licence.startswith(licence)
    assert spec.commercial_use is commercial
    assert spec.release == "models-3.0.0"
    assert spec.hash_urls[0].endswith(f"/models-3.0.0/{name}.hash")


def test_upscale_choices_are_none_or_a_frame_enhancer() -> None:
    assert choices(UpscaleName) == ("none", *choices(FrameEnhancerName))
