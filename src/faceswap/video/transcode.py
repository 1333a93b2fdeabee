"""``transcode``: decode -> process (batches, caller's thread) -> encode, streaming, all or nothing.

The decoder and the encoder run in their own threads; bounded queues between the three stages keep
at most ``queue_size`` frames on each side of ``process`` whatever the video's length. The output is
written to a temporary file beside it and moved into place only when everything succeeded; a failed
or cancelled run leaves neither an output nor a temporary file.

Decisions: frames are turned upright (display-matrix rotation applied) before ``process`` sees them,
because face detectors need upright faces; the output carries no rotation. Output frames keep the
input's time stamps (shifted so the cut point is 0), so variable frame rate stays variable. Odd sizes
are padded to even for yuv420p by repeating the last column/row (no resampling). Audio is stream-copied
when the output container takes its codec, else re-encoded (AAC for mp4/mov/mkv, Opus for webm); GIF
has none. Animated GIF/WebP inputs are short videos (WebP through Pillow); alpha is not kept.
"""

from __future__ import annotations

import dataclasses
import logging
import os
import tempfile
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from faceswap.choices import AudioMode
from faceswap.engine.types import ImageBGR
from faceswap.errors import BadOptionError, CancelledError, FaceswapError, InputError
from faceswap.video.decode import Frame, decode_into
from faceswap.video.encode import VideoEncoder
from faceswap.video.options import VideoOptions, output_format
from faceswap.video.probe import VideoInfo, probe
from faceswap.video.stages import Channel, Stage

log = logging.getLogger(__name__)

ProcessBatch = Callable[[list[ImageBGR]], list[ImageBGR]]
"""Turns a batch of BGR frames into as many frames (the face swap plugs in here), all of one size: the
input's, or another (an upscale), which the encoder takes from the first frame. The frames are freshly
decoded and not used again: it may write into them and return them."""


@dataclass(frozen=True)
class Progress:
    """Reported after every batch."""

    frames_done: int
    frames_total: int
    fps: float
    elapsed_s: float

    @property
    def fraction(self) -> float:
        return min(1.0, self.frames_done / self.frames_total) if self.frames_total else 0.0


@dataclass(frozen=True)
class VideoReport:
    """What ``transcode`` wrote."""

    output: Path
    input: VideoInfo
    frames: int
    dropped_frames: int
    width: int
    height: int
    duration: float
    audio: AudioMode
    elapsed_s: float
    process_s: float

    @property
    def fps(self) -> float:
        """Frames processed per second of wall-clock time."""
        return self.frames / self.elapsed_s if self.elapsed_s > 0 else 0.0


def expected_frames(info: VideoInfo, options: VideoOptions) -> int:
    """How many frames the window of ``options`` should hold (estimated from the average rate)."""
    if options.start is None and options.end is None:
        return info.frame_count
    end = min(options.end if options.end is not None else info.duration, info.duration)
    return max(0, round((end - (options.start or 0.0)) * info.fps))


def transcode(
    input_path: Path,
    output_path: Path,
    process: ProcessBatch,
    options: VideoOptions | None = None,
    *,
    progress: Callable[[Progress], None] | None = None,
    should_cancel: Callable[[], bool] | None = None,
) -> VideoReport:
    """Decodes ``input_path``, passes its frames through ``process`` and encodes ``output_path``.

    Raises :class:`BadOptionError` for an output suffix no container matches, :class:`InputError`
    subclasses for inputs that cannot be read, :class:`CancelledError` when ``should_cancel`` turns
    true, and whatever ``process`` raised.
    """
    options = options or VideoOptions()
    output_path = Path(output_path)
    fmt = output_format(output_path)
    info = probe(Path(input_path))
    total = expected_frames(info, options)
    if not output_path.parent.is_dir():
        raise BadOptionError(f"the output folder of {output_path.name!r} does not exist")
    abort = threading.Event()
    decoded: Channel[Frame] = Channel(options.queue_size, abort)
    processed: Channel[Frame] = Channel(options.queue_size, abort)
    handle, temp_name = tempfile.mkstemp(
        prefix=f".{output_path.stem}.", suffix=f".partial{output_path.suffix}", dir=output_path.parent
    )
    os.close(handle)
    temp = Path(temp_name)
    encoder = VideoEncoder(temp, info, fmt, options, abort)
    stages = [
        Stage("video-decode", lambda: decode_into(info, options, decoded), abort),
        Stage("video-encode", lambda: encoder.run(processed), abort),
    ]
    started = time.perf_counter()
    try:
        for stage in stages:
            stage.start()
        done, process_s = _process_all(decoded, processed, process, options, total, progress, should_cancel)
        processed.close()
        for stage in stages:
            stage.join()
        _raise_stage_error(stages)
        if done == 0 or encoder.result.frames == 0:
            raise InputError(f"{info.path.name!r} has no frames between the requested start and end")
        os.replace(temp, output_path)
    finally:
        abort.set()
        for stage in stages:
            if stage.ident is not None:
                stage.join()
        temp.unlink(missing_ok=True)
    elapsed = time.perf_counter() - started
    result = encoder.result
    report = VideoReport(
        output=output_path,
        input=info,
        frames=result.frames,
        dropped_frames=result.dropped,
        width=result.width,
        height=result.height,
        duration=float(result.end_time),
        audio=result.audio,
        elapsed_s=elapsed,
        process_s=process_s,
    )
    log.info(
        "wrote %s: %d frames in %.2f s (%.1f frames/s)", output_path.name, report.frames, elapsed, report.fps
    )
    return report


def _raise_stage_error(stages: list[Stage]) -> None:
    for stage in stages:
        if stage.error is not None:
            raise stage.error


def _process_all(
    decoded: Channel[Frame],
    processed: Channel[Frame],
    process: ProcessBatch,
    options: VideoOptions,
    total: int,
    progress: Callable[[Progress], None] | None,
    should_cancel: Callable[[], bool] | None,
) -> tuple[int, float]:
    """Caller's-thread stage: batches from the decoder through ``process`` to the encoder."""
    started = time.perf_counter()
    done = 0
    process_s = 0.0
    while True:
        if should_cancel is not None and should_cancel():
            raise CancelledError("video processing was cancelled")
        batch = _take(decoded, options.frames_per_batch)
        if not batch:
            return done, process_s
        tick = time.perf_counter()
        images = process([frame.image for frame in batch])
        process_s += time.perf_counter() - tick
        if len(images) != len(batch):
            raise FaceswapError(f"process returned {len(images)} frames for a batch of {len(batch)}")
        for frame, image in zip(batch, images, strict=True):
            if not processed.put(dataclasses.replace(frame, image=image)):
                return done, process_s
        done += len(batch)
        if progress is not None:
            elapsed = time.perf_counter() - started
            fps = done / elapsed if elapsed > 0 else 0.0
            progress(Progress(done, max(total, done), fps, elapsed))


def _take(channel: Channel[Frame], count: int) -> list[Frame]:
    batch: list[Frame] = []
    while len(batch) < count:
        frame = channel.get()
        if frame is None:
            break
        batch.append(frame)
    return batch
