"""`faceswap swap ... --encoder`: the video encoder chosen on the command line, refused before any work."""

from __future__ import annotations

import json
from pathlib import Path

import av
import pytest

from faceswap.video import options
from tests.cli.conftest import GRACE, Invoke
from tests.cli.test_swap_video import write_clip


@pytest.fixture(scope="module")
def clip(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_clip(tmp_path_factory.mktemp("clip") / "clip.mp4", audio=False)


@pytest.mark.skipif("libx265" not in av.codecs_available, reason="this PyAV build has no libx265")
def test_encoder_flag_writes_hevc(invoke: Invoke, tmp_path: Path, clip: Path) -> None:
    output = tmp_path / "out.mkv"
    result = invoke("swap", GRACE, clip, "-o", output, "--json", "--end", "0.2", "--encoder", "libx265")
    assert result.exit_code == 0, result.output
    assert json.loads(result.output.splitlines()[-1])["frames"] == 5
    with av.open(str(output)) as container:
        assert container.streams.video[0].codec_context.name == "hevc"


def test_webm_takes_no_h264_encoder(invoke: Invoke, tmp_path: Path, clip: Path) -> None:
    result = invoke("swap", GRACE, clip, "-o", tmp_path / "out.webm", "--encoder", "libx264")
    assert result.exit_code == 2
    assert "error [bad_option]" in result.output
    assert list(tmp_path.iterdir()) == []


def test_an_encoder_this_build_lacks_is_refused(
    invoke: Invoke, tmp_path: Path, clip: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(options, "encoder_available", lambda name: name == "libx264")
    result = invoke("swap", GRACE, clip, "-o", tmp_path / "out.mp4", "--encoder", "libx265")
    assert result.exit_code == 2
    assert "error [encoder_unavailable]" in result.output
    assert list(tmp_path.iterdir()) == []
