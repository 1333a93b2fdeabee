"""Small clips generated with PyAV/Pillow from the shared photos: a face moving and zooming, with a tone."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path

import av
import cv2
import numpy as np
from numpy.typing import NDArray
from PIL import Image

FACES = Path(__file__).resolve().parents[2] / ".." / "shared" / "faces"
TONE_HZ = 440.0
SAMPLE_RATE = 48000


@dataclass(frozen=True)
class Clip:
    path: Path
    size: tuple[int, int]
    times: tuple[Fraction, ...]
    """Presentation time of every frame (seconds)."""
    duration: float
    audio: bool


def face_frame(size: tuple[int, int], t: float, photo: str = "astronaut.png") -> NDArray[np.uint8]:
    """A grey frame with the photo's face region, moving left to right and zooming in with ``t`` in [0,1]."""
    width, height = size
    image = cv2.imread(str(FACES / photo))
    assert image is not None
    side = min(image.shape[:2])
    face = image[:side, :side]
    scale = 0.45 + 0.25 * t
    box = max(8, int(min(width, height) * scale))
    face = cv2.resize(face, (box, box), interpolation=cv2.INTER_AREA)
    frame = np.full((height, width, 3), 96, np.uint8)
    x = int((width - box) * t)
    y = (height - box) // 2
    frame[y : y + box, x : x + box] = face
    return frame


def write_clip(
    path: Path,
    size: tuple[int, int] = (160, 120),
    frame_ms: Sequence[int] = (40,) * 50,
    *,
    audio: bool = True,
    rotation: int = 0,
) -> Clip:
    """An H.264 (mp4/mkv) clip whose frame ``i`` lasts ``frame_ms[i]`` ms, optionally with a sine tone."""
    time_base = Fraction(1, 1000)
    starts = np.concatenate([[0], np.cumsum(frame_ms)[:-1]]).astype(int)
    total_ms = int(sum(frame_ms))
    with av.open(str(path), "w") as out:
        video = out.add_stream("libx264", rate=25, options={"preset": "ultrafast", "crf": "18"})
        video.width, video.height = size
        video.pix_fmt = "yuv420p" if size[0] % 2 == 0 and size[1] % 2 == 0 else "yuv444p"
        video.time_base = time_base
        video.codec_context.time_base = time_base
        if rotation:
            video.set_display_rotation(rotation)
        sound = out.add_stream("aac", rate=SAMPLE_RATE, layout="mono") if audio else None
        for index, start in enumerate(starts):
            frame = av.VideoFrame.from_ndarray(
                face_frame(size, index / max(1, len(starts) - 1)), format="bgr24"
            )
            frame.pts = int(start)
            frame.time_base = time_base
            frame.duration = int(frame_ms[index])
            out.mux(video.encode(frame))
        out.mux(video.encode(None))
        if sound is not None:
            samples = total_ms * SAMPLE_RATE // 1000
            tone = 0.3 * np.sin(2 * np.pi * TONE_HZ * np.arange(samples) / SAMPLE_RATE)
            tone = tone.astype(np.float32)[None, :]
            for offset in range(0, samples, 1024):
                chunk = av.AudioFrame.from_ndarray(
                    np.ascontiguousarray(tone[:, offset : offset + 1024]), format="fltp", layout="mono"
                )
                chunk.sample_rate = SAMPLE_RATE
                chunk.pts = offset
                chunk.time_base = Fraction(1, SAMPLE_RATE)
                out.mux(sound.encode(chunk))
            out.mux(sound.encode(None))
    times = tuple(Fraction(int(s), 1000) for s in starts)
    return Clip(path, size, times, total_ms / 1000.0, audio)


def write_animation(path: Path, size: tuple[int, int], frame_ms: Sequence[int]) -> Clip:
    """An animated GIF or WebP (by suffix) written with Pillow."""
    count = len(frame_ms)
    frames = [
        Image.fromarray(face_frame(size, i / max(1, count - 1))[:, :, ::-1].copy()) for i in range(count)
    ]
    frames[0].save(path, save_all=True, append_images=frames[1:], duration=list(frame_ms), loop=0)
    starts = np.concatenate([[0], np.cumsum(frame_ms)[:-1]]).astype(int)
    return Clip(path, size, tuple(Fraction(int(s), 1000) for s in starts), sum(frame_ms) / 1000.0, False)


def frame_times(path: Path) -> list[Fraction]:
    """Presentation times of every decoded frame of ``path`` (seconds from the container start)."""
    with av.open(str(path)) as container:
        stream = container.streams.video[0]
        start = Fraction(container.start_time or 0, av.time_base)
        return [
            frame.pts * stream.time_base - start
            for frame in container.decode(stream)
            if frame.pts is not None
        ]


def decode_all(path: Path) -> list[NDArray[np.uint8]]:
    with av.open(str(path)) as container:
        return [frame.to_ndarray(format="bgr24") for frame in container.decode(video=0)]


def audio_seconds(path: Path) -> float:
    """Length of the decoded audio of ``path`` in seconds (0 when it has none)."""
    with av.open(str(path)) as container:
        if not container.streams.audio:
            return 0.0
        return sum(frame.samples / frame.sample_rate for frame in container.decode(audio=0))
