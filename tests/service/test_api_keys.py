"""API keys: required once one exists, tasks and files visible only to their key, worker routes apart,
rate limits (429 + Retry-After), CORS, no secret in the logs, and the ``faceswap keys`` commands."""

from __future__ import annotations

import asyncio
import logging
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from fastapi.testclient import TestClient

from faceswap.cli.main import cli
from faceswap.config import Settings
from faceswap.service.api.app import create_app
from faceswap.service.keys.store import open_key_store
from faceswap.storage.keys import result_key
from tests.service.conftest import ASTRONAUT, GRACE, POSTGRES_URL, REDIS_URL, reachable
from tests.service.helpers import service_settings

WORKER_TOKEN = "worker-token-for-tests"


@dataclass
class Keys:
    client: TestClient
    a: str
    b: str
    limited: str

    def headers(self, key: str, *, x_api_key: bool = False) -> dict[str, str]:
        return {"X-API-Key": key} if x_api_key else {"Authorization": f"Bearer {key}"}


def make_settings(tmp_path: Path, **service: Any) -> Settings:
    return service_settings(tmp_path, worker_tokens=WORKER_TOKEN, rate_limit_burst=2, **service)


def create_key(settings: Settings, name: str, rate_limit: float | None = None) -> str:
    async def create() -> str:
        store = open_key_store(settings)
        try:
            return (await store.create(name, rate_limit))[1]
        finally:
            await store.aclose()

    return asyncio.run(create())


@pytest.fixture
def keys(tmp_path: Path) -> Iterator[Keys]:
    settings = make_settings(tmp_path, cors_origins=["https://app.example"])
    a, b = create_key(settings, "alice"), create_key(settings, "bob")
    limited = create_key(settings, "limited", rate_limit=6.0)  # burst 2: 2 requests in any 20 s
    with TestClient(create_app(settings)) as client:
        yield Keys(client, a, b, limited)


def refused(response: Any, status: int, code: str) -> None:
    assert response.status_code == status, response.text
    assert response.json() == {
        "success": False,
        "error": {"code": code, "message": response.json()["error"]["message"]},
    }


def upload(keys: Keys, key: str, path: Path = ASTRONAUT) -> str:
    response = keys.client.post(
        "/api/upload", files={"file": (path.name, path.read_bytes())}, headers=keys.headers(key)
    )
    assert response.status_code == 200, response.text
    return str(response.json()["data"]["file_id"])


def create_task(keys: Keys, key: str, source: str, target: str, idem: str | None = None) -> str:
    wf = {"source_url": source, "target_url": target}
    body = {"workflow": "face_swap", "params": {"input_data": {"wf_json": wf}}}
    headers = {**keys.headers(key), **({"Idempotency-Key": idem} if idem else {})}
    response = keys.client.post("/api/tasks/create", json=body, headers=headers)
    assert response.status_code == 200, response.text
    return str(response.json()["data"]["taskId"])


def test_no_key_and_a_wrong_key_are_refused(keys: Keys) -> None:
    refused(keys.client.get("/api/tasks"), 401, "unauthorized")
    assert keys.client.get("/api/tasks").headers["www-authenticate"] == "Bearer"
    refused(keys.client.get("/api/tasks", headers=keys.headers("fsk_" + "x" * 43)), 401, "unauthorized")
    refused(keys.client.get("/api/tasks", headers={"Authorization": f"Basic {keys.a}"}), 401, "unauthorized")
    refused(keys.client.post("/api/upload", files={"file": ("a.png", b"x")}), 401, "unauthorized")
    assert keys.client.get("/api/tasks", headers=keys.headers(keys.a)).status_code == 200
    assert keys.client.get("/api/tasks", headers=keys.headers(keys.a, x_api_key=True)).status_code == 200
    # public: liveness for load balancers, the page's options, the page itself and the schema
    for path in ("/api/health", "/api/options", "/", "/openapi.json"):
        assert keys.client.get(path).status_code == 200, path


def test_another_keys_task_and_files_are_not_found(keys: Keys) -> None:
    source, target = upload(keys, keys.a), upload(keys, keys.a, GRACE)
    task_id = create_task(keys, keys.a, source, target)
    a, b = keys.headers(keys.a), keys.headers(keys.b)
    assert keys.client.get(f"/api/tasks/{task_id}", headers=a).status_code == 200
    for method, path in (
        ("GET", f"/api/tasks/{task_id}"),
        ("GET", f"/api/tasks/{task_id}/events"),
        ("POST", f"/api/tasks/{task_id}/cancel"),
        ("GET", f"/api/status/{task_id}"),
        ("POST", f"/api/cancel/{task_id}"),
        ("POST", f"/api/tasks/{task_id}/retry"),
        ("POST", f"/api/retry/{task_id}"),
        ("GET", f"/api/download/{source}"),
    ):
        refused(keys.client.request(method, path, headers=b), 404, "not_found")
    listed = keys.client.get("/api/tasks", headers=b).json()["data"]
    assert listed["total"] == 0
    assert [t["taskId"] for t in keys.client.get("/api/tasks", headers=a).json()["data"]["tasks"]] == [
        task_id
    ]
    # B cannot use A's upload as an input either
    wf = {"source_url": source, "target_url": upload(keys, keys.b, GRACE)}
    body = {"workflow": "face_swap", "params": {"input_data": {"wf_json": wf}}}
    refused(keys.client.post("/api/tasks/create", json=body, headers=b), 404, "not_found")
    # a task's result files belong to the task's key
    storage = keys.client.app.state.faceswap.storage  # type: ignore[attr-defined]
    key = result_key(task_id, "output.png", attempt="a1")
    asyncio.run(storage.put(key, ASTRONAUT.read_bytes(), content_type="image/png"))
    assert keys.client.get(f"/api/download/{key}", headers=a).content == ASTRONAUT.read_bytes()
    refused(keys.client.get(f"/api/download/{key}", headers=b), 404, "not_found")
    # the short form of a result key needs the task visible too (it names the completed attempt's file)
    refused(keys.client.get(f"/api/download/results/{task_id}/output.png", headers=b), 404, "not_found")
    assert keys.client.get(f"/api/download/{source}", headers=a).content == ASTRONAUT.read_bytes()
    assert keys.client.post(f"/api/tasks/{task_id}/cancel", headers=a).json()["data"]["status"] == "CANCELLED"


def test_idempotency_keys_are_per_api_key(keys: Keys) -> None:
    source, target = upload(keys, keys.a), upload(keys, keys.a, GRACE)
    first = create_task(keys, keys.a, source, target, idem="same")
    assert create_task(keys, keys.a, source, target, idem="same") == first
    other_source, other_target = upload(keys, keys.b), upload(keys, keys.b, GRACE)
    assert create_task(keys, keys.b, other_source, other_target, idem="same") != first


def test_worker_routes_refuse_user_keys_and_user_routes_refuse_worker_tokens(keys: Keys) -> None:
    fetch = "/api/comm/task/fetch?timeout=0"
    refused(keys.client.get(fetch, headers=keys.headers(keys.a)), 401, "unauthorized")
    assert keys.client.get(fetch, headers=keys.headers(WORKER_TOKEN)).status_code == 204
    refused(keys.client.get("/api/tasks", headers=keys.headers(WORKER_TOKEN)), 401, "unauthorized")
    refused(keys.client.get("/api/tasks", headers={"X-API-Key": WORKER_TOKEN}), 401, "unauthorized")


def test_rate_limit_answers_429_with_retry_after(keys: Keys) -> None:
    headers = keys.headers(keys.limited)
    assert [keys.client.get("/api/tasks", headers=headers).status_code for _ in range(2)] == [200, 200]
    response = keys.client.get("/api/tasks", headers=headers)
    refused(response, 429, "rate_limited")
    assert 11 <= int(response.headers["retry-after"]) <= 20  # burst 2 per 20 s window (6 a minute)
    assert (
        keys.client.get("/api/tasks", headers=keys.headers(keys.a)).status_code == 200
    )  # other keys unaffected


def test_cors_only_for_configured_origins(keys: Keys, tmp_path: Path) -> None:
    preflight = {"Origin": "https://app.example", "Access-Control-Request-Method": "POST"}
    response = keys.client.options("/api/tasks/create", headers=preflight)
    assert response.headers["access-control-allow-origin"] == "https://app.example"
    evil = keys.client.options("/api/tasks/create", headers={**preflight, "Origin": "https://evil.example"})
    assert "access-control-allow-origin" not in evil.headers
    with TestClient(create_app(service_settings(tmp_path / "default"))) as client:  # default: no origin
        plain = client.get("/api/health", headers={"Origin": "https://app.example"})
        assert "access-control-allow-origin" not in plain.headers


def test_no_key_is_required_without_keys_and_require_api_key_forces_one(tmp_path: Path) -> None:
    with TestClient(create_app(service_settings(tmp_path / "open"))) as client:
        assert client.get("/").status_code == 200  # the web page on the embedded default
        assert (
            client.post("/api/upload", files={"file": ("a.png", ASTRONAUT.read_bytes())}).status_code == 200
        )
    with TestClient(create_app(service_settings(tmp_path / "closed", require_api_key=True))) as client:
        refused(client.get("/api/tasks"), 401, "unauthorized")


def test_no_secret_appears_in_the_logs(keys: Keys, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    source = upload(keys, keys.a)
    create_task(keys, keys.a, source, upload(keys, keys.a, GRACE))
    keys.client.get("/api/tasks", headers=keys.headers(keys.b, x_api_key=True))
    keys.client.get("/api/tasks", headers=keys.headers(keys.b[:-1] + "x"))  # a wrong key
    keys.client.get("/api/comm/task/fetch?timeout=0", headers=keys.headers(WORKER_TOKEN))
    keys.client.get("/api/tasks", headers=keys.headers(WORKER_TOKEN))
    text = caplog.text
    assert "'alice'" in text  # the key's name is logged, so logs were captured at all
    for secret in (keys.a, keys.b, keys.b[:-1] + "x", WORKER_TOKEN):
        assert secret not in text


def test_redaction_of_log_lines() -> None:
    from faceswap.redact import RedactFilter

    record = logging.LogRecord(
        "x",
        logging.INFO,
        __file__,
        1,
        "headers %s, queue %s",
        ({"authorization": "Bearer fsk_abcdefgh12345"}, "redis://u:p4ss@h:6379"),
        None,
    )
    RedactFilter().filter(record)
    message = record.getMessage()
    assert "fsk_abcdefgh12345" not in message
    assert "p4ss" not in message
    assert "redis://u:[redacted]@h:6379" in message


def test_keys_cli_creates_lists_and_revokes(tmp_path: Path) -> None:
    runner = CliRunner()
    env = {"FACESWAP_DATA_DIR": str(tmp_path)}
    created = runner.invoke(cli, ["keys", "create", "ci-bot", "--rate-limit", "30"], env=env)
    assert created.exit_code == 0, created.output
    secret = created.stdout.strip()
    assert secret.startswith("fsk_")
    assert len(secret) > 40
    assert secret.encode() not in (tmp_path / "api_keys.sqlite3").read_bytes()  # only the hash is stored
    listed = runner.invoke(cli, ["keys", "list"], env=env)
    assert "ci-bot" in listed.stdout
    assert "30/min" in listed.stdout
    assert secret not in listed.stdout
    assert runner.invoke(cli, ["keys", "create", "ci-bot"], env=env).exit_code == 8  # conflict
    with TestClient(create_app(service_settings(tmp_path))) as client:
        assert client.get("/api/tasks", headers={"Authorization": f"Bearer {secret}"}).status_code == 200
        assert client.get("/api/tasks").status_code == 401
    assert runner.invoke(cli, ["keys", "revoke", "ci-bot"], env=env).exit_code == 0
    assert runner.invoke(cli, ["keys", "revoke", "ci-bot"], env=env).exit_code == 7  # not found
    assert runner.invoke(cli, ["keys", "list"], env=env).stdout == ""


@pytest.mark.parametrize("backend", ["sqlite", "redis", "postgres"])
async def test_key_store_on_each_queue_backend(backend: str, tmp_path: Path) -> None:
    url = {"sqlite": "", "redis": REDIS_URL, "postgres": POSTGRES_URL}[backend]
    if url and not reachable(url):
        pytest.skip(f"{backend} not reachable")
    settings = Settings(data_dir=tmp_path, queue={"url": url, "name": f"keys-{uuid.uuid4().hex[:8]}"})  # type: ignore[arg-type]
    store = open_key_store(settings)
    try:
        key, secret = await store.create("one", 12.0)
        await store.create("two")
        from faceswap.errors import ConflictError, NotFoundError
        from faceswap.service.keys.model import key_digest

        with pytest.raises(ConflictError):
            await store.create("one")
        assert await store.count() == 2
        assert await store.lookup(key_digest(secret)) == key
        assert await store.lookup(key_digest(secret + "x")) is None
        assert [k.name for k in await store.list()] == ["one", "two"]
        assert (await store.revoke("one")).id == key.id
        assert await store.lookup(key_digest(secret)) is None
        with pytest.raises(NotFoundError):
            await store.revoke("one")
        await store.revoke("two")
        assert await store.count() == 0
    finally:
        await store.aclose()
