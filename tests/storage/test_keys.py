"""Key rules and key generation (pure functions)."""

from __future__ import annotations

import pytest

from faceswap.errors import InvalidKeyError
from faceswap.storage.keys import (
    MAX_KEY_BYTES,
    ResultKey,
    attempt_prefix,
    key_name,
    new_file_id,
    new_upload_key,
    parse_result_key,
    result_key,
    results_prefix,
    upload_key,
    validate_key,
    validate_prefix,
)


@pytest.mark.parametrize(
    "key",
    ["uploads/3f2c.png", "results/task-1/out.mp4", "a", "A_b-c.d/e.f.g", "x" * 200, "/".join(["ab"] * 300)],
)
def test_valid_keys_pass_unchanged(key: str) -> None:
    assert validate_key(key) == key


@pytest.mark.parametrize(
    ("key", "why"),
    [
        ("", "empty"),
        ("../x", "'..'"),
        ("a/../../b", "'..'"),
        ("./a", "'..'"),
        ("/etc/passwd", "empty segments"),
        ("a//b", "empty segments"),
        ("a/", "empty segments"),
        ("a\\b", "ASCII"),
        ("%2e%2e/x", "ASCII"),
        ("a\x00b", "ASCII"),
        ("uploads/é.png", "ASCII"),
        (".env", "start with"),
        ("uploads/-x", "start with"),
        ("x" * 201, "at most 200"),
        ("/".join(["abc"] * 300), f"at most {MAX_KEY_BYTES}"),
    ],
)
def test_bad_keys_are_refused_with_a_stable_code(key: str, why: str) -> None:
    with pytest.raises(InvalidKeyError, match=why) as info:
        validate_key(key)
    assert info.value.code == "invalid_key"
    assert info.value.http_status == 422


def test_non_string_keys_are_refused() -> None:
    with pytest.raises(InvalidKeyError):
        validate_key(b"uploads/x")  # type: ignore[arg-type]


def test_prefixes() -> None:
    assert validate_prefix("") == ""
    assert validate_prefix("results/") == "results/"
    assert validate_prefix("results/t1") == "results/t1"
    for bad in ("/", "../", "a//", "/abs/"):
        with pytest.raises(InvalidKeyError):
            validate_prefix(bad)


def test_generated_upload_keys() -> None:
    assert upload_key("abc123", ".PNG") == "uploads/abc123.png"
    assert upload_key("abc123", "webp") == "uploads/abc123.webp"
    first, second = new_upload_key("jpg"), new_upload_key("jpg")
    assert first != second
    assert first.startswith("uploads/")
    assert first.endswith(".jpg")
    assert validate_key(first) == first
    file_id = new_file_id()
    assert len(file_id) == 32
    assert set(file_id) <= set("0123456789abcdef")
    for ext in ("", "p/ng", "../x", "a" * 17):
        with pytest.raises(InvalidKeyError):
            upload_key("abc", ext)
    for file_id in ("", "../x", "a/b", ".x", "a.b"):
        with pytest.raises(InvalidKeyError):
            upload_key(file_id, "png")


def test_result_keys() -> None:
    key = result_key("task-7", "output.webp", attempt="9f3a")
    assert key == "results/task-7/9f3a/output.webp"
    assert results_prefix("task-7") == "results/task-7/"
    assert attempt_prefix("task-7", "9f3a") == "results/task-7/9f3a/"
    assert key.startswith(attempt_prefix("task-7", "9f3a"))
    assert key.startswith(results_prefix("task-7"))
    assert key_name(result_key("t", "a.gif", attempt="a")) == "a.gif"
    for task_id, name in (("../t", "a.png"), ("t", "../a.png"), ("t", "a/b.png"), ("t", ".a"), ("t/u", "a")):
        with pytest.raises(InvalidKeyError):
            result_key(task_id, name, attempt="a")
    for attempt in ("", "..", "a/b", ".x", "a.b"):
        with pytest.raises(InvalidKeyError):
            result_key("t", "a.png", attempt=attempt)
    with pytest.raises(InvalidKeyError):
        results_prefix("a/b")


def test_result_keys_parse_back_in_both_layouts() -> None:
    assert parse_result_key(result_key("t-1", "out.png", attempt="a1")) == ResultKey("t-1", "a1", "out.png")
    assert parse_result_key("results/t-1/out.png") == ResultKey("t-1", None, "out.png")  # before attempts
    for other in ("uploads/abc.png", "results/t-1/a1/deeper/out.png", "results/t.1/a1/out.png", "results/t"):
        assert parse_result_key(other) is None
    with pytest.raises(InvalidKeyError):
        parse_result_key("results/../out.png")
