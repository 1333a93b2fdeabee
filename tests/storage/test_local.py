"""What only the local backend does: files on disk, sidecars, hand-copied files, folders, health."""

from __future__ import annotations

import json
import os
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from faceswap.errors import ConflictError, NotFoundError, StorageUnavailableError
from faceswap.storage.leftovers import leftover_name
from faceswap.storage.local import LocalStorage

pytestmark = pytest.mark.asyncio

FACES = Path(__file__).resolve().parents[2] / ".." / "shared" / "faces"


async def test_objects_are_plain_files_with_a_json_sidecar(tmp_path: Path) -> None:
    storage = LocalStorage(tmp_path / "root")
    photo = (FACES / "grace_hopper.jpg").read_bytes()
    await storage.put("results/t1/out.jpg", photo, content_type="image/jpeg", metadata={"task": "t1"})

    folder = tmp_path / "root" / "results" / "t1"
    assert sorted(p.name for p in folder.iterdir()) == [".out.jpg.meta.json", "out.jpg"]
    assert (folder / "out.jpg").read_bytes() == photo
    assert (folder / "out.jpg").stat().st_mode & 0o777 == 0o644
    sidecar = json.loads((folder / ".out.jpg.meta.json").read_text())
    assert sidecar["content_type"] == "image/jpeg"
    assert sidecar["metadata"] == {"task": "t1"}
    assert datetime.fromisoformat(sidecar["created"]).tzinfo is not None
    assert await storage.local_path("results/t1/out.jpg") == folder / "out.jpg"


async def test_hand_copied_files_get_a_guessed_type_and_their_mtime(tmp_path: Path) -> None:
    storage = LocalStorage(tmp_path)
    (tmp_path / "uploads").mkdir()
    copied = tmp_path / "uploads" / "copied.png"
    copied.write_bytes((FACES / "astronaut.png").read_bytes())
    os.utime(copied, (1_600_000_000, 1_600_000_000))
    (tmp_path / "uploads" / ".stray.tmp").write_bytes(b"temp of a crashed writer")
    (tmp_path / "uploads" / "bad name.png").write_bytes(b"not a valid key")

    stat = await storage.stat("uploads/copied.png")
    assert stat.content_type == "image/png"
    assert stat.created == datetime.fromtimestamp(1_600_000_000, UTC)
    assert stat.metadata == {}
    assert [o.key async for o in storage.list()] == ["uploads/copied.png"]


async def test_corrupt_sidecar_falls_back_to_guessing(tmp_path: Path) -> None:
    storage = LocalStorage(tmp_path)
    await storage.put("uploads/a.webp", b"x", content_type="image/webp")
    (tmp_path / "uploads" / ".a.webp.meta.json").write_text("{not json")
    assert (await storage.stat("uploads/a.webp")).content_type == "image/webp"


async def test_a_key_cannot_be_both_object_and_folder(tmp_path: Path) -> None:
    storage = LocalStorage(tmp_path)
    await storage.put("results/t", b"object")
    with pytest.raises(ConflictError):
        await storage.put("results/t/out.png", b"x")
    await storage.put("uploads/dir/a.png", b"x")
    with pytest.raises(ConflictError):
        await storage.put("uploads/dir", b"x")
    assert await storage.get("uploads/dir/a.png") == b"x"
    assert sorted(p.name for p in (tmp_path / "uploads").iterdir()) == ["dir"]  # no temp, no sidecar


async def test_delete_removes_sidecar_and_empty_folders(tmp_path: Path) -> None:
    storage = LocalStorage(tmp_path / "root")
    await storage.put("results/t1/a.png", b"a")
    await storage.put("results/t1/b.png", b"b")
    await storage.put("results/t2/a.png", b"a")
    await storage.delete("results/t1/a.png")
    assert sorted(p.name for p in (tmp_path / "root" / "results" / "t1").iterdir()) == [
        ".b.png.meta.json",
        "b.png",
    ]
    await storage.delete("results/t1/b.png")
    assert not (tmp_path / "root" / "results" / "t1").exists()
    await storage.delete("results/t2/a.png")
    assert not (tmp_path / "root" / "results").exists()
    assert (tmp_path / "root").is_dir()
    await storage.put("results/t1/again.png", b"c")
    assert await storage.get("results/t1/again.png") == b"c"


async def test_stream_reads_the_version_it_opened(tmp_path: Path) -> None:
    storage = LocalStorage(tmp_path)
    await storage.put("uploads/v", b"1" * 10_000)
    stream = storage.stream("uploads/v", chunk_size=1000)
    first = await anext(stream)
    await storage.put("uploads/v", b"2" * 20_000)
    rest = [chunk async for chunk in stream]
    assert first + b"".join(rest) == b"1" * 10_000
    assert await storage.get("uploads/v") == b"2" * 20_000


async def test_put_from_a_missing_file_is_not_found_and_leaves_nothing(tmp_path: Path) -> None:
    storage = LocalStorage(tmp_path / "root")
    with pytest.raises(NotFoundError):
        await storage.put("uploads/a.png", tmp_path / "nope.png")
    assert [p for p in (tmp_path / "root").rglob("*") if p.is_file()] == []


async def test_health(tmp_path: Path) -> None:
    assert await LocalStorage(tmp_path / "new" / "root").health() is True
    assert (tmp_path / "new" / "root").is_dir()
    assert list((tmp_path / "new" / "root").iterdir()) == []
    blocker = tmp_path / "file"
    blocker.write_bytes(b"")
    with pytest.raises(StorageUnavailableError) as info:
        await LocalStorage(blocker / "root").health()
    assert info.value.transient


async def test_sweep_removes_only_stale_leftovers_of_interrupted_writes(tmp_path: Path) -> None:
    storage = LocalStorage(tmp_path)
    await storage.put("uploads/kept.png", b"object", content_type="image/png")
    folder = tmp_path / "uploads"
    stale_temp = folder / ".big.mp4.k3j2.tmp"
    fresh_temp = folder / ".other.mp4.a1b2.tmp"
    orphan_sidecar = folder / ".gone.png.meta.json"
    empty_folder = tmp_path / "results" / "t9"
    for path in (stale_temp, fresh_temp, orphan_sidecar):
        path.write_bytes(b"x")
    empty_folder.mkdir(parents=True)
    now = datetime.now(UTC)
    an_hour_ago = now.timestamp() - 3601
    for path in (stale_temp, orphan_sidecar, folder / "kept.png", folder / ".kept.png.meta.json"):
        os.utime(path, (an_hour_ago, an_hour_ago))

    assert await storage.sweep_leftovers(now) == 2
    assert sorted(p.name for p in folder.iterdir()) == [
        ".kept.png.meta.json",
        ".other.mp4.a1b2.tmp",
        "kept.png",
    ]
    assert not (tmp_path / "results").exists()
    assert (await storage.stat("uploads/kept.png")).content_type == "image/png"


async def test_leftovers_are_told_by_their_names() -> None:
    folder = Path("/nonexistent")
    assert leftover_name(".output.mp4.k3j2x9_a.tmp", folder) == "output.mp4"
    assert leftover_name(".output.mp4.meta.json.q8w7e6r5.tmp", folder) == "output.mp4"
    assert leftover_name(".output.mp4.meta.json", folder) == "output.mp4"  # no object beside it
    assert leftover_name("output.mp4", folder) is None
    assert leftover_name(".hidden-by-someone-else", folder) is None


async def test_a_sweep_within_a_prefix_takes_its_leftovers_of_any_age_and_nothing_else(
    tmp_path: Path,
) -> None:
    storage = LocalStorage(tmp_path)
    await storage.put("results/t1/a1/output.png", b"object", content_type="image/png")
    a1, a2 = tmp_path / "results" / "t1" / "a1", tmp_path / "results" / "t1" / "a2"
    a2.mkdir()
    fresh_in_a1 = a1 / ".output.mp4.abcd1234.tmp"
    fresh_in_a2 = a2 / ".output.mp4.efgh5678.tmp"
    for path in (fresh_in_a1, fresh_in_a2, a1 / ".gone.png.meta.json"):
        path.write_bytes(b"x")
    now = datetime.now(UTC)

    assert await storage.sweep_leftovers(now, prefix="results/t1/a1/") == 0  # fresh: maybe being written
    assert await storage.sweep_leftovers(now, older_than=timedelta(0), prefix="results/t1/a1/") == 2
    assert sorted(p.name for p in a1.iterdir()) == [".output.png.meta.json", "output.png"]
    assert fresh_in_a2.exists()  # another attempt's write in progress
    assert await storage.sweep_leftovers(now, older_than=timedelta(0), prefix="results/t1/a2/") == 1
    assert not a2.exists()  # emptied folders go
    assert await storage.get("results/t1/a1/output.png") == b"object"
