"""Fixtures for the video tests: the clips of ``videoclips``, written once per session."""

from __future__ import annotations

import pytest
from videoclips import Clip, write_animation, write_clip


@pytest.fixture(scope="session")
def clips(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Clip]:
    """Every test clip, written once per session into its own folder."""
    folder = tmp_path_factory.mktemp("clips")
    vfr_ms = [40, 40, 100, 20, 60] * 8
    return {
        "tone": write_clip(folder / "tone.mp4"),
        "silent": write_clip(folder / "silent.mp4", audio=False),
        "odd": write_clip(folder / "odd.mp4", size=(321, 243), frame_ms=(40,) * 25, audio=False),
        "vfr": write_clip(folder / "vfr.mkv", frame_ms=vfr_ms),
        "rotated": write_clip(folder / "rotated.mp4", size=(96, 64), frame_ms=(40,) * 10, rotation=90),
        "gif": write_animation(folder / "anim.gif", (96, 72), [40] * 20),
        "webp": write_animation(folder / "anim.webp", (96, 72), [40, 80, 40, 120] * 4),
    }
