"""The typed catalog agrees with the ``Literal`` choices it is derived from."""

from __future__ import annotations

import pytest

from faceswap.choices import (
    DetectorName,
    EnhancerModelName,
    EnhancerName,
    ModelName,
    ModelRole,
    RecognizerName,
    SwapperName,
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
        # OpenRAIL-M allows commercial use under its use-based restrictions; CC-BY-4.0 with attribution
        permissive = {"Apache-2.0", "MIT", "OpenRAIL-M", "CC-BY-4.0"}
        assert spec.commercial_use == (spec.licence.split(" ")[0] in permissive)


def test_templates_and_input_sizes_follow_roles() -> None:
    for spec in CATALOG.values():
        if spec.role == "detector" or spec.name == "2dfan4":  # 2dfan4 crops the box, no template
            assert spec.template is None
        else:
            assert spec.template is not None
    assert {CATALOG[n].input_size for n in choices(EnhancerModelName)} == {(512, 512)}
    assert {CATALOG[n].template for n in choices(SwapperName)} == {"arcface_128"}
