"""The ``/api/comm`` worker routes against the app (its lifespan, a real queue on each backend):
worker tokens, and the lease protocol a remote worker follows, without running any processor."""

from __future__ import annotations

import base64
import hashlib
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from pydantic import SecretStr

from faceswap.errors import BadOptionError
from faceswap.service.api.app import create_app
from faceswap.service.comm.auth import WorkerTokens
from tests.service.conftest import ASTRONAUT, BACKEND_URLS, GRACE, clean, reachable
from tests.service.helpers import service_settings

TOKEN = "worker-token-for-tests"
HASHED = "sha256:" + hashlib.sha256(TOKEN.encode()).hexdigest()
AUTH = {"Authorization": f"Bearer {TOKEN}"}


def data_url(path: Path) -> str:
    return "data:image/png;base64," + base64.b64encode(path.read_bytes()).decode()


def serve(tmp_path: Path, queue_url: str = "", **service: Any) -> Iterator[TestClient]:
    settings = service_settings(tmp_path, queue_url, **service)
    settings.queue.name = f"comm-{uuid.uuid4().hex[:10]}"
    app = create_app(settings, workers=0)
    with TestClient(app) as client:
        try:
            yield client
        finally:
            client.portal.call(clean, app.state.faceswap.queue)  # type: ignore[union-attr]


@pytest.fixture(params=list(BACKEND_URLS))
def api(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[TestClient]:
    """The app with worker routes enabled (a hashed token), on each queue backend in turn."""
    url = BACKEND_URLS[request.param]
    if request.param != "sqlite" and not reachable(url):
        pytest.skip(f"{request.param} server not reachable at {url}")
    yield from serve(tmp_path, "" if request.param == "sqlite" else url, worker_tokens=HASHED, retries=2)


def test_worker_tokens_parse_plain_and_hashed_entries() -> None:
    tokens = WorkerTokens.from_setting(SecretStr(f" plain-one , {HASHED},"))
    assert len(tokens.digests) == 2
    assert tokens.accepts("plain-one")
    assert tokens.accepts(TOKEN)
    assert not tokens.accepts(HASHED)  # the hash is not itself a token
    assert not tokens.accepts("plain-on")
    assert not WorkerTokens.from_setting(None).enabled
    with pytest.raises(BadOptionError):
        WorkerTokens.from_setting(SecretStr("sha256:abc"))


def test_comm_routes_are_disabled_without_tokens(tmp_path: Path) -> None:
    for client in serve(tmp_path):
        for method, path in (("GET", "/api/comm/task/fetch"), ("POST", "/api/comm/task/x/heartbeat")):
            answer = client.request(method, path, headers=AUTH, json={})
            assert answer.status_code == 404
            assert answer.json()["error"]["code"] == "not_found"
        assert client.get("/api/health").status_code in (200, 503)  # the rest of the API is there


@pytest.mark.parametrize(
    "headers",
    [{}, {"Authorization": "Bearer wrong"}, {"Authorization": f"Basic {TOKEN}"}, {"Authorization": HASHED}],
)
def test_comm_routes_refuse_a_missing_or_wrong_token(tmp_path: Path, headers: dict[str, str]) -> None:
    for client in serve(tmp_path, worker_tokens=HASHED):
        for method, path in (
            ("GET", "/api/comm/task/fetch?timeout=0"),
            ("POST", "/api/comm/task/x/heartbeat"),
            ("POST", "/api/comm/task/x/complete"),
            ("POST", "/api/comm/task/x/fail"),
            ("GET", "/api/comm/task/x/inputs/0"),
        ):
            answer = client.request(method, path, headers=headers, json={})
            assert answer.status_code == 401, (method, path)
            assert answer.json()["error"]["code"] == "unauthorized"
        assert client.get("/api/comm/task/fetch", params={"timeout": 0}, headers=AUTH).status_code == 204


def create(client: TestClient) -> str:
    body = {
        "workflow": "face_swap",
        "params": {
            "input_data": {"wf_json": {"source_url": data_url(ASTRONAUT), "target_url": data_url(GRACE)}}
        },
    }
    answer = client.post("/api/tasks/create", json=body)
    assert answer.status_code == 200, answer.text
    return str(answer.json()["data"]["taskId"])


def lease(client: TestClient) -> dict[str, Any]:
    answer = client.get("/api/comm/task/fetch", params={"timeout": 5, "worker": "w1"}, headers=AUTH)
    assert answer.status_code == 200, answer.text
    return dict(answer.json()["data"])


def call(client: TestClient, leased: dict[str, Any], what: str, **body: Any) -> Any:
    headers = {**AUTH, "X-Lease-Id": leased["lease"]["lease_id"]}
    return client.post(f"/api/comm/task/{leased['taskId']}/{what}", headers=headers, json=body)


def task(client: TestClient, task_id: str) -> dict[str, Any]:
    return dict(client.get(f"/api/tasks/{task_id}").json()["data"])


def test_a_lease_reads_inputs_reports_progress_and_completes(api: TestClient) -> None:
    task_id = create(api)
    leased = lease(api)
    assert leased["taskId"] == task_id
    assert leased["status"] == "PROCESSING"
    assert leased["attempts"] == 1
    assert leased["lease"]["heartbeat_every_s"] <= leased["lease"]["heartbeat_s"]
    headers = {**AUTH, "X-Lease-Id": leased["lease"]["lease_id"]}
    sources = {source["ref"]: source for source in leased["inputs"]}
    wf = leased["params"]["input_data"]["wf_json"]
    target = sources[wf["target_url"]]
    assert target["direct"] is False  # local storage: inputs come through the API
    assert api.get(target["url"], headers=headers).content == GRACE.read_bytes()
    assert api.get(target["url"], headers=AUTH).status_code == 422  # no lease id

    assert (
        call(api, {**leased, "lease": {"lease_id": "f" * 32}}, "heartbeat", progress=0.3).status_code == 409
    )
    beat = call(api, leased, "heartbeat", progress=0.4)
    assert beat.json()["data"]["cancelled"] is False
    assert task(api, task_id)["progress"] == pytest.approx(0.4)

    folder = f"results/{task_id}/{leased['lease']['attempt_id']}/"
    missing = call(api, leased, "complete", result={"file_id": f"{folder}output.jpg"})
    assert missing.status_code == 422  # not uploaded yet: the task is not finished with a dangling result
    uploaded = api.post(
        f"/api/comm/task/{task_id}/files",
        headers=headers,
        files={"file": ("output.jpg", b"\xff\xd8\xffjpeg", "image/jpeg")},
    ).json()["data"]
    assert uploaded["key"] == f"{folder}output.jpg"  # under the lease's attempt
    done = call(api, leased, "complete", result={"file_id": uploaded["key"], "kind": "image"})
    assert done.status_code == 200, done.text
    finished = task(api, task_id)
    assert finished["status"] == "COMPLETED"
    assert finished["result"]["kind"] == "image"
    assert api.get(f"/api/download/{uploaded['key']}").content == b"\xff\xd8\xffjpeg"
    # the short form clients built before attempt folders names the completing attempt's file
    assert api.get(f"/api/download/results/{task_id}/output.jpg").content == b"\xff\xd8\xffjpeg"
    assert api.get(f"/api/download/results/{task_id}/other.jpg").status_code == 404
    assert call(api, leased, "heartbeat", progress=0.9).json()["error"]["code"] == "lease_lost"


def test_a_heartbeat_carries_the_progress_detail_of_its_attempt(api: TestClient) -> None:
    task_id = create(api)
    assert task(api, task_id)["queue_position"] == 1
    leased = lease(api)
    detail = {"stage": "swapping", "frames_done": 120, "frames_total": 600, "fps": 24.0, "eta_s": 20.0}
    assert call(api, leased, "heartbeat", progress=0.24, detail=detail).status_code == 200
    shown = task(api, task_id)
    assert {key: shown[key] for key in detail} == detail
    assert shown["queue_position"] is None
    legacy = api.get(f"/api/status/{task_id}").json()["data"]
    assert (legacy["frames_done"], legacy["eta_s"], legacy["progress"]) == (120, 20.0, 24.0)
    bad = call(api, leased, "heartbeat", progress=0.3, detail={**detail, "stage": "dancing"})
    assert bad.status_code == 422
    # a transient failure re-queues it: the next attempt starts with no detail of the last one's
    call(api, leased, "fail", code="engine_unavailable", message="GPU busy")
    requeued = task(api, task_id)
    assert (requeued["status"], requeued["queue_position"], requeued["stage"]) == ("PENDING", 1, None)
    again = lease(api)
    assert (again["taskId"], again["attempts"]) == (task_id, 2)
    assert (again["stage"], again["frames_done"], again["eta_s"]) == (None, None, None)


def test_transient_failures_are_retried_others_are_not(api: TestClient) -> None:
    task_id = create(api)
    first = lease(api)
    again = call(api, first, "fail", code="engine_unavailable", message="GPU busy").json()["data"]
    assert again["status"] == "PENDING"  # transient, attempts left: back in the queue
    second = lease(api)
    assert (second["taskId"], second["attempts"]) == (task_id, 2)
    assert call(api, first, "heartbeat").json()["error"]["code"] == "lease_lost"  # the old lease is gone
    failed = call(api, second, "fail", code="no_face_in_target", message="no face").json()["data"]
    assert failed["status"] == "FAILED"
    assert failed["error"] == {"code": "no_face_in_target", "message": "no face"}


def test_a_cancel_reaches_the_lease_holder_through_its_heartbeat(api: TestClient) -> None:
    task_id = create(api)
    leased = lease(api)
    assert api.post(f"/api/tasks/{task_id}/cancel").status_code == 200
    answer = call(api, leased, "heartbeat", progress=0.5).json()["data"]
    assert answer["cancelled"] is True
    assert task(api, task_id)["status"] == "CANCELLED"
    assert call(api, leased, "complete", result={}).status_code == 409  # nothing more is accepted
    assert task(api, task_id)["status"] == "CANCELLED"
