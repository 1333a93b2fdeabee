"""The error table clients word errors from: an entry for every code of :mod:`faceswap.errors` (and the
edge's own ``bad_request``), with the class' HTTP status and ``transient``, served by ``/api/options``."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from faceswap import errors
from faceswap.errors import FaceswapError
from faceswap.service.api.app import create_app
from faceswap.service.api.error_table import EDGE_CODES, WORDS, error_table
from tests.service.helpers import service_settings


def every_error_class() -> list[type[FaceswapError]]:
    """The error classes of :mod:`faceswap.errors`, found by name (not by the table's own walk)."""
    found = [getattr(errors, name) for name in dir(errors)]
    return [cls for cls in found if isinstance(cls, type) and issubclass(cls, FaceswapError)]


@pytest.fixture
def client(tmp_path: Path) -> Iterator[TestClient]:
    with TestClient(create_app(service_settings(tmp_path))) as client:
        yield client


def test_every_error_code_has_words_and_no_words_are_for_unknown_codes() -> None:
    codes = {cls.code for cls in every_error_class()}
    assert {"unauthorized", "rate_limited", "comfyui_unavailable", "comfyui_execution_error"} <= codes
    assert codes | set(EDGE_CODES) == set(WORDS)
    assert codes | set(EDGE_CODES) == set(error_table())
    for code, (title, hint) in WORDS.items():
        assert title.strip(), code
        assert hint.strip(), code


def test_each_entry_has_its_class_status_and_transient() -> None:
    table = error_table()
    for cls in every_error_class():
        entry = table[cls.code]
        assert (entry.http_status, entry.transient) == (cls.http_status, cls.transient), cls.code
    assert table["bad_request"].http_status == 422
    assert table["rate_limited"].transient is True
    assert table["url_fetch_timeout"].transient is False  # a subclass that differs from its parent


def test_options_serve_the_table(client: TestClient) -> None:
    served = client.get("/api/options").json()["data"]["errors"]
    assert served == {code: entry.model_dump() for code, entry in error_table().items()}
    assert served["unauthorized"]["http_status"] == 401
    assert served["input_too_large"]["show_message"] is True
    assert served["not_found"]["show_message"] is False
