"""A video's frames per model call come from the engine (chosen for its device) unless the options say."""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from pathlib import Path

import cv2
import numpy as np
import pytest
from videoclips import FACES, Clip, decode_all

from faceswap.config import EngineSettings, Settings
from faceswap.engine.onnx.engine import build_neural_engine
from faceswap.engine.protocols import Engine, FaceAnalyser
from faceswap.engine.types import Face, ImageBGR
from faceswap.testing.photos import ASTRONAUT
from faceswap.testing.standins import StandinFace, letterboxed, write_standin_models
from faceswap.video.options import VideoOptions
from faceswap.video.swap import VideoSwapRequest, swap_video


class CountingAnalyser:
    """The engine's analyser, recording how many frames each batch call gets."""

    def __init__(self, inner: FaceAnalyser) -> None:
        self.inner = inner
        self.batches: list[int] = []

    @property
    def default_reference_threshold(self) -> float:
        return self.inner.default_reference_threshold

    def analyse(self, image: ImageBGR) -> list[Face]:
        return self.inner.analyse(image)

    def analyse_batch(self, images: Sequence[ImageBGR]) -> list[list[Face]]:
        self.batches.append(len(images))
        return self.inner.analyse_batch(images)  # type: ignore[attr-defined,no-any-return]


def engine_with(tmp_path: Path, batch_size: int | None) -> Engine:
    photo = cv2.imread(str(FACES / ASTRONAUT.file))
    faces = letterboxed([StandinFace(ASTRONAUT.box, ASTRONAUT.kps)], photo.shape)
    paths = write_standin_models(tmp_path / "models", faces)
    settings = Settings(data_dir=tmp_path, engine=EngineSettings(batch_size=batch_size))
    return build_neural_engine(settings, "inswapper_128", model_path=paths.__getitem__)


def test_cpu_engine_default_batch_is_eight(tmp_path: Path) -> None:
    assert engine_with(tmp_path, None).batch_size == 8


@pytest.mark.parametrize(("setting", "option", "expected"), [(3, None, 3), (3, 2, 2)])
def test_swap_video_batches_as_the_engine_says_unless_the_options_do(
    tmp_path: Path, clips: dict[str, Clip], setting: int, option: int | None, expected: int
) -> None:
    engine = engine_with(tmp_path, setting)
    counting = CountingAnalyser(engine.analyser)
    engine = dataclasses.replace(engine, analyser=counting)
    photo = cv2.imread(str(FACES / ASTRONAUT.file))
    clip = clips["silent"]
    outcome = swap_video(
        engine,
        clip.path,
        tmp_path / "out.mp4",
        VideoSwapRequest(sources=[[photo]]),
        VideoOptions(batch_size=option, preset="ultrafast"),
    )
    assert outcome.report.frames == len(clip.times)
    assert max(counting.batches) == expected
    assert sum(counting.batches) == len(clip.times)
    assert np.isfinite(outcome.report.fps)


def test_a_swap_with_its_analysis_in_a_thread_of_its_own_gives_the_same_video(
    tmp_path: Path, clips: dict[str, Clip]
) -> None:
    engine = engine_with(tmp_path, 4)
    photo = cv2.imread(str(FACES / ASTRONAUT.file))
    outputs = {}
    for split in (False, True):
        out = tmp_path / f"split_{split}.mp4"
        options = VideoOptions(preset="ultrafast", analysis_thread=split)
        outcome = swap_video(engine, clips["silent"].path, out, VideoSwapRequest(sources=[[photo]]), options)
        assert outcome.stats.faces_swapped > 0
        assert ("video-analyse" in [t.stage for t in outcome.report.stages]) is split
        outputs[split] = decode_all(out)
    assert len(outputs[True]) == len(outputs[False]) == len(clips["silent"].times)
    assert all(np.array_equal(a, b) for a, b in zip(outputs[True], outputs[False], strict=True))
