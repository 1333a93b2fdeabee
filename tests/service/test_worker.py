"""Workers run tasks end to end on a real queue and real storage, with the classic engine and real photos."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from faceswap.config import FetchSettings
from faceswap.imaging.sniff import sniff
from faceswap.service.queue.attempts import attempt_name
from faceswap.service.tasks.client import TaskClient
from faceswap.service.tasks.model import TaskCreate
from faceswap.storage.keys import result_key, results_prefix, upload_key
from tests.service.conftest import ASTRONAUT, GRACE
from tests.service.helpers import running_worker, service_settings


def swap_body(source: str, target: str) -> TaskCreate:
    wf = {"source_url": source, "target_url": target}
    return TaskCreate.model_validate({"workflow": "face_swap", "params": {"input_data": {"wf_json": wf}}})


async def test_image_task_completes_and_stores_its_result(any_queue: Any, tmp_path: Path) -> None:
    settings = service_settings(tmp_path)
    client = TaskClient(any_queue, settings.service)
    async with running_worker(any_queue, settings) as worker:
        await worker.storage.put(
            upload_key("a" * 32, "png"), ASTRONAUT.read_bytes(), content_type="image/png"
        )
        task = await client.submit(swap_body("a" * 32, "data:image/jpeg;base64," + _b64(GRACE)))
        done = await client.wait(task.task_id, timeout=60)
        assert done.status == "COMPLETED", done.error
        assert done.result is not None
        assert done.result["faces_swapped"] == 1
        job = await any_queue.job(task.task_id)
        key = result_key(task.task_id, "output.jpg", attempt=attempt_name(job))
        assert done.result["file_id"] == key  # under the completing attempt's own folder
        assert [obj.key async for obj in worker.storage.list(results_prefix(task.task_id))] == [key]
        data = await worker.storage.get(done.result["file_id"])
        assert sniff(data[:4096]) == "jpeg"
        assert data != GRACE.read_bytes()


async def test_bad_input_fails_at_once_with_a_code(any_queue: Any, tmp_path: Path) -> None:
    settings = service_settings(tmp_path, retries=3)
    client = TaskClient(any_queue, settings.service)
    async with running_worker(any_queue, settings):
        corrupt = await client.submit(
            swap_body("data:image/png;base64," + _b64(ASTRONAUT), "data:,;base64,AAAA")
        )
        missing = await client.submit(swap_body("f" * 32, "data:image/png;base64," + _b64(ASTRONAUT)))
        for task_id, code in ((corrupt.task_id, "unreadable_input"), (missing.task_id, "not_found")):
            done = await client.wait(task_id, timeout=60)
            assert done.status == "FAILED"
            assert done.error is not None
            assert done.error.code == code
            assert done.attempts == 1  # not transient: not retried


async def test_transient_errors_are_retried(any_queue: Any, tmp_path: Path) -> None:
    settings = service_settings(tmp_path, retries=2)
    client = TaskClient(any_queue, settings.service)
    async with running_worker(any_queue, settings):
        task = await client.submit(swap_body("http://127.0.0.1:9/none.png", "http://127.0.0.1:9/t.png"))
        done = await client.wait(task.task_id, timeout=60)
        assert done.status == "FAILED"
        assert done.error is not None
        assert done.error.code == "url_fetch_failed"
        assert done.attempts == 2


async def test_private_input_urls_are_refused_by_the_ssrf_guard(any_queue: Any, tmp_path: Path) -> None:
    settings = service_settings(tmp_path, retries=2).model_copy(update={"fetch": FetchSettings()})
    client = TaskClient(any_queue, settings.service)
    async with running_worker(any_queue, settings):
        metadata = "http://169.254.169.254/latest/meta-data/x.png"
        task = await client.submit(swap_body(metadata, "http://127.0.0.1:9/t.png"))
        done = await client.wait(task.task_id, timeout=60)
        assert done.status == "FAILED"
        assert done.error is not None
        assert done.error.code == "url_forbidden"
        assert done.attempts == 1, "a forbidden address is not transient: not retried"


def _b64(path: Path) -> str:
    import base64

    return base64.b64encode(path.read_bytes()).decode()


async def test_an_animated_gif_target_is_swapped_frame_by_frame(any_queue: Any, tmp_path: Path) -> None:
    import base64
    import io

    from PIL import Image

    frames = [Image.open(ASTRONAUT).convert("RGB").resize((256, 256)) for _ in range(3)]
    frames[1] = frames[1].transpose(Image.Transpose.FLIP_LEFT_RIGHT)
    buffer = io.BytesIO()
    frames[0].save(buffer, format="GIF", save_all=True, append_images=frames[1:], duration=80, loop=0)
    gif = base64.b64encode(buffer.getvalue()).decode()
    settings = service_settings(tmp_path)
    client = TaskClient(any_queue, settings.service)
    async with running_worker(any_queue, settings) as worker:
        task = await client.submit(
            swap_body("data:image/jpeg;base64," + _b64(GRACE), "data:image/gif;base64," + gif)
        )
        done = await client.wait(task.task_id, timeout=120)
        assert done.status == "COMPLETED", done.error
        assert done.result is not None
        assert done.result["kind"] == "video"
        data = await worker.storage.get(done.result["file_id"])
        assert sniff(data[:4096]) == "gif"
        with Image.open(io.BytesIO(data)) as written:
            assert written.n_frames == 3
