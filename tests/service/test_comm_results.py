"""What a remote worker may publish: result files that are images or videos by their bytes, served
sandboxed, and completions whose URLs link only to the attempt's own files (SQLite queue, local storage).

A worker holds a token, not the keys of the service: it must not be able to make the API's origin serve
a page of its choosing (HTML, SVG with a script) or send users to a URL of its choosing.
"""

from __future__ import annotations

import asyncio
import functools
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from faceswap.errors import UrlForbiddenError
from faceswap.service.api.app import create_app
from faceswap.service.comm.result_urls import check_result_urls
from faceswap.storage import open_storage
from faceswap.storage.base import Storage
from faceswap.storage.keys import result_key
from tests.service.conftest import clean
from tests.service.helpers import service_settings
from tests.service.test_comm_routes import AUTH, HASHED, call, create, lease, task
from tests.storage.conftest import S3_BUCKET, s3_server, s3_settings
from tests.storage.servers import S3Server

__all__ = ["s3_server"]  # the fixture: a real S3 server (SeaweedFS)

PNG = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(17)
HTML = b"<!doctype html><script>fetch('/api/tasks').then(r => r.text()).then(alert)</script>"
SVG = b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(document.domain)</script></svg>'
CDN = "https://cdn.example.org/files"


def serve(tmp_path: Path, public_base_url: str | None = None) -> Iterator[TestClient]:
    settings = service_settings(tmp_path, worker_tokens=HASHED)
    settings.queue.name = f"results-{uuid.uuid4().hex[:10]}"
    settings.storage.public_base_url = public_base_url
    app = create_app(settings, workers=0)
    with TestClient(app) as client:
        try:
            yield client
        finally:
            client.portal.call(clean, app.state.faceswap.queue)  # type: ignore[union-attr]


@pytest.fixture
def api(tmp_path: Path) -> Iterator[TestClient]:
    yield from serve(tmp_path)


@pytest.fixture
def cdn_api(tmp_path: Path) -> Iterator[TestClient]:
    """The app on a local storage whose files a CDN serves: uploads are answered with their CDN URL."""
    yield from serve(tmp_path, CDN)


def upload(client: TestClient, leased: dict[str, Any], name: str, data: bytes, declared: str) -> Any:
    headers = {**AUTH, "X-Lease-Id": leased["lease"]["lease_id"]}
    files = {"file": (name, data, declared)}
    return client.post(f"/api/comm/task/{leased['taskId']}/files", headers=headers, files=files)


def uploaded_key(client: TestClient, leased: dict[str, Any], name: str = "output.png") -> str:
    answer = upload(client, leased, name, PNG, "image/png")
    assert answer.status_code == 200, answer.text
    return str(answer.json()["data"]["key"])


def storage_of(client: TestClient) -> Storage:
    storage: Storage = client.app.state.faceswap.storage  # type: ignore[attr-defined]
    return storage


def files_under(root: Path) -> list[Path]:
    """Every file under ``root``, hidden ones (temporary files, sidecars) included."""
    return sorted(p for p in root.rglob("*") if p.is_file()) if root.exists() else []


@pytest.mark.parametrize(
    ("name", "data", "declared"),
    [
        ("output.html", HTML, "text/html"),
        ("output.svg", SVG, "image/svg+xml"),
        ("output.png", HTML, "image/png"),  # a declared image type does not make it one
        ("output.png", b"", "image/png"),
    ],
)
def test_a_result_upload_that_is_not_an_image_or_video_is_refused_and_nothing_is_stored(
    api: TestClient, tmp_path: Path, name: str, data: bytes, declared: str
) -> None:
    create(api)
    leased = lease(api)
    answer = upload(api, leased, name, data, declared)
    assert answer.status_code == 415, answer.text
    error = answer.json()["error"]
    assert error["code"] == "unsupported_format"
    assert "not an image or video" in error["message"]
    assert files_under(tmp_path / "files" / "results") == []


def test_a_result_upload_is_typed_and_named_by_its_bytes(api: TestClient) -> None:
    create(api)
    leased = lease(api)
    answer = upload(api, leased, "page.html", PNG, "text/html")
    assert answer.status_code == 200, answer.text
    stored = answer.json()["data"]
    assert stored["content_type"] == "image/png"
    assert stored["key"].endswith("/page.png")  # a web server typing files by name agrees with the bytes
    assert uploaded_key(api, leased, "photo.jpeg").endswith("/photo.png")
    download = api.get(f"/api/download/{stored['key']}")
    assert download.headers["content-type"] == "image/png"
    assert download.content == PNG


def sandboxed(answer: Any) -> None:
    assert answer.status_code == 200, answer.text
    assert answer.headers["x-content-type-options"] == "nosniff"
    policy = answer.headers["content-security-policy"]
    assert "default-src 'none'" in policy
    assert "sandbox" in policy.split("; ")


def test_downloads_are_sandboxed_and_only_images_and_videos_are_inline(api: TestClient) -> None:
    create(api)
    key = uploaded_key(api, lease(api))
    shown = api.get(f"/api/download/{key}")
    sandboxed(shown)
    assert shown.headers["content-disposition"].startswith("inline;")

    storage = storage_of(api)  # objects of other types, stored by hand or by an older version
    for stored_key, data, content_type in (
        ("uploads/page.html", HTML, "text/html"),
        ("uploads/drawing.svg", SVG, "image/svg+xml"),
        ("uploads/blob", PNG, "application/octet-stream"),
    ):
        api.portal.call(functools.partial(storage.put, stored_key, data, content_type=content_type))  # type: ignore[union-attr]
        saved = api.get(f"/api/download/{stored_key}")
        sandboxed(saved)
        assert saved.headers["content-disposition"] == f'attachment; filename="{stored_key[8:]}"'
        assert saved.headers["content-type"].startswith(content_type)


BAD_URLS = [
    "javascript:alert(document.domain)",
    "data:text/html,<script>alert(1)</script>",
    "https://evil.example/output.png",
    "//evil.example/api/download/{own}",  # protocol-relative: another host
    "/api/download/{other}",  # another task's file
    "/api/download/{own}?download=1",
    "/api/download/results/{task_id}/../{own}",
    "/api/download/uploads/missing.png",
    "https://testserver/api/download/{own}",  # the API's own host: workers report paths, not this
    "ftp://cdn.example.org/files/{own}",
]


@pytest.mark.parametrize("bad", BAD_URLS)
def test_a_completion_may_link_only_to_the_files_its_attempt_uploaded(api: TestClient, bad: str) -> None:
    task_id = create(api)
    other_task = create(api)
    leased, other_lease = lease(api), lease(api)
    assert (leased["taskId"], other_lease["taskId"]) == (task_id, other_task)
    own, other = uploaded_key(api, leased), uploaded_key(api, other_lease)
    url = bad.format(own=own, other=other, task_id=task_id)
    for result in (
        {"file_id": own, "output_url": url},
        {"file_id": own, "faces": [{"file_id": own, "crop_url": url}]},  # nested, as face detection has it
        {"outputs": [{"file_id": own, "output_url": url}]},  # as a ComfyUI workflow's outputs
    ):
        answer = call(api, leased, "complete", result=result)
        assert answer.status_code == 422, answer.text
        assert answer.json()["error"]["code"] == "url_forbidden"
    refused = call(api, leased, "complete", result={"file_id": own, "output_url": {"href": url}})
    assert refused.json()["error"]["code"] == "url_forbidden"
    assert (task(api, task_id)["status"], task(api, task_id)["result"]) == ("PROCESSING", None)


def test_a_completion_linking_to_its_own_download_is_shown_to_users(api: TestClient) -> None:
    task_id = create(api)
    leased = lease(api)
    own = uploaded_key(api, leased)
    link = f"/api/download/{own}"
    result = {"file_id": own, "output_url": link, "faces": [{"crop_url": link}], "thumbnail_url": None}
    assert call(api, leased, "complete", result=result).status_code == 200
    status = api.get(f"/api/status/{task_id}").json()["data"]
    assert status["result_url"] == f"http://testserver{link}"


def test_a_completion_may_link_to_the_storage_url_its_upload_was_answered_with(cdn_api: TestClient) -> None:
    api = cdn_api
    task_id = create(api)
    leased = lease(api)
    answer = upload(api, leased, "output.png", PNG, "image/png").json()["data"]
    own, url = answer["key"], answer["url"]
    assert url == f"{CDN}/{own}"
    other = uploaded_key(api, leased, "other.png")
    for bad in (
        f"{url}?response-content-type=text/html",  # a parameter the storage's own URL does not have
        f"{url}#x",
        f"{CDN}/{own}".replace("https://", "http://"),
        f"https://cdn.example.org.evil.example/files/{own}",
        f"https://user@cdn.example.org/files/{own}",
        f"{CDN}/uploads/{own.rsplit('/', 1)[1]}",
        f"{CDN}/{other}x",
    ):
        refused = call(api, leased, "complete", result={"file_id": own, "output_url": bad})
        assert refused.status_code == 422, bad
        assert refused.json()["error"]["code"] == "url_forbidden"
    result = {
        "file_id": own,
        "output_url": url,
        "outputs": [{"file_id": other, "output_url": f"{CDN}/{other}"}],
    }
    assert call(api, leased, "complete", result=result).status_code == 200, result
    assert api.get(f"/api/status/{task_id}").json()["data"]["result_url"] == url


async def test_a_presigned_storage_url_links_to_its_file_whatever_its_signature(
    s3_server: S3Server, tmp_path: Path
) -> None:
    """On S3 (a real server) a worker reports the presigned URL its upload was answered with; the
    completion's check signs a new one, with other values but the same parameters."""
    storage = open_storage(
        f"s3://{S3_BUCKET}/results-{uuid.uuid4().hex}/", data_dir=tmp_path, settings=s3_settings(s3_server)
    )
    async with storage:
        key = result_key("t1", "output.png", attempt="a1")
        await storage.put(key, PNG, content_type="image/png")
        await storage.put(result_key("t1", "other.png", attempt="a0"), PNG, content_type="image/png")
        reported = await storage.url(key)
        assert reported is not None
        assert "Signature=" in reported
        await asyncio.sleep(1.1)  # the check's own URL is signed at another second
        assert await storage.url(key) != reported
        await check_result_urls(storage, {"file_id": key, "output_url": reported}, "t1", "a1")
        for bad in (
            f"{reported}&response-content-type=text%2Fhtml",  # a parameter the signature does not cover
            reported.replace("/a1/output.png", "/a0/other.png"),  # another attempt's file
        ):
            with pytest.raises(UrlForbiddenError):
                await check_result_urls(storage, {"file_id": key, "output_url": bad}, "t1", "a1")
