"""``transcode``: decode -> process (batches) -> encode, streaming, the stages overlapping, all or nothing.

The decoder and the encoder run in their own threads, ``process`` in the caller's; a
:class:`SplitProcess` runs its ``prepare`` half (face detection) in a fourth thread, a batch ahead of its
``finish`` half (the swap). The stages work at once on different frames, so a clip goes at the pace of
its slowest stage, not at the sum of their times (PyAV releases the GIL while it decodes and encodes,
ONNX Runtime while a model runs). Bounded queues between the stages keep at most
:func:`frames_in_flight` frames in memory whatever the video's length; a slow stage holds the ones
before it back. The output is written to a temporary file beside it and moved into place only when
everything succeeded; a failed or cancelled run (any stage's error stops the others within
``POLL_S``) leaves neither an output nor a temporary file, and every thread joined.

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
from functools import partial
from pathlib import Path
from typing import Any, Generic, TypeVar

from faceswap.choices import AudioMode
from faceswap.engine.types import ImageBGR
from faceswap.errors import BadOptionError, CancelledError, FaceswapError, InputError
from faceswap.video.decode import Frame, decode_into
from faceswap.video.encode import VideoEncoder
from faceswap.video.options import VideoOptions, output_format, with_encoder
from faceswap.video.probe import VideoInfo, probe
from faceswap.video.stages import Channel, Clock, Stage, StageTime

log = logging.getLogger(__name__)

P = TypeVar("P")

ProcessBatch = Callable[[list[ImageBGR]], list[ImageBGR]]
"""Turns a batch of BGR frames into as many frames (the face swap plugs in here), all of one size: the
input's, or another (an upscale), which the encoder takes from the first frame. The frames are freshly
decoded and not used again: it may write into them and return them."""


@dataclass(frozen=True)
class SplitProcess(Generic[P]):
    """A ``process`` in two halves that may run at once on consecutive batches, each in its own thread.

    ``prepare`` reads a batch (finds its faces) and must not change it; it is called batch after batch,
    in order, from one thread. ``finish`` turns the batch and what ``prepare`` said of it into the
    output frames (as :data:`ProcessBatch`), from another thread, while ``prepare`` works on the next.
    """

    prepare: Callable[[list[ImageBGR]], P]
    finish: Callable[[list[ImageBGR], P], list[ImageBGR]]


ANALYSED_BATCHES = 1
"""Batches ``prepare`` may have ready while ``finish`` works (a :class:`SplitProcess`)."""


def frames_in_flight(options: VideoOptions, split: bool) -> int:
    """Most frames decoded but not yet encoded at any time: each queue full, a batch in each processing
    stage (and, split, one ready between them), one in the decoder's and one in the encoder's hands."""
    batch = options.frames_per_batch
    batches = 2 + ANALYSED_BATCHES if split else 1
    return 2 * options.queue_size + batches * batch + 2


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
    stages: tuple[StageTime, ...] = ()
    """Wall, CPU and waiting seconds of each stage's thread (decode, analyse when split, process, encode)."""

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
    process: ProcessBatch | SplitProcess[Any],
    options: VideoOptions | None = None,
    *,
    progress: Callable[[Progress], None] | None = None,
    should_cancel: Callable[[], bool] | None = None,
) -> VideoReport:
    """Decodes ``input_path``, passes its frames through ``process`` and encodes ``output_path``.

    Raises :class:`BadOptionError` for an output suffix no container matches (or an encoder it cannot
    take), :class:`~faceswap.errors.EncoderUnavailableError` for an encoder that does not open here,
    :class:`InputError` subclasses for inputs that cannot be read, :class:`CancelledError` when
    ``should_cancel`` turns true, and whatever ``process`` raised. The report says where each stage's
    thread spent its time (:class:`StageTime`).
    """
    options = options or VideoOptions()
    output_path = Path(output_path)
    fmt = with_encoder(output_format(output_path), options.encoder)
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
    batches: Channel[Batch] = Channel(ANALYSED_BATCHES, abort)
    stages = [Stage("video-decode", partial(decode_into, info, options, decoded), abort)]
    split = isinstance(process, SplitProcess)
    analyse, source, apply = _middle(process, decoded, batches, options.frames_per_batch)
    if analyse is not None:
        stages.append(Stage("video-analyse", analyse, abort))
    stages.append(Stage("video-encode", partial(encoder.run, processed), abort))
    started = time.perf_counter()
    clock = Clock()
    try:
        for stage in stages:
            stage.start()
        done, process_s = _process_all(source, processed, apply, total, progress, should_cancel)
        processed.close()
        clock.stop()
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
    waits = {
        "video-decode": decoded.put_wait_s,
        "video-analyse": decoded.get_wait_s + batches.put_wait_s,
        "video-process": (batches.get_wait_s if split else decoded.get_wait_s) + processed.put_wait_s,
        "video-encode": processed.get_wait_s,
    }
    times = [StageTime(stage.name, stage.wall_s, stage.cpu_s, waits[stage.name]) for stage in stages]
    times.insert(-1, StageTime("video-process", clock.wall_s, clock.cpu_s, waits["video-process"]))
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
        stages=tuple(times),
    )
    log.info(
        "wrote %s: %d frames in %.2f s (%.1f frames/s)", output_path.name, report.frames, elapsed, report.fps
    )
    log.debug("stages of %s: %s", output_path.name, [t.as_dict() for t in times])
    return report


Batch = tuple[list[Frame], Any]
"""Frames and what ``prepare`` said of them (None for a plain ``process``)."""


def _middle(
    process: ProcessBatch | SplitProcess[Any], decoded: Channel[Frame], batches: Channel[Batch], size: int
) -> tuple[
    Callable[[], None] | None, Callable[[], Batch | None], Callable[[list[ImageBGR], Any], list[ImageBGR]]
]:
    """The analysis stage's work (a :class:`SplitProcess`; else None), where the caller's thread takes its
    batches from, and what it applies to them."""
    if isinstance(process, SplitProcess):
        analyse = partial(analyse_into, decoded, batches, process.prepare, size)
        return analyse, batches.get, process.finish
    return None, partial(_next_batch, decoded, size), partial(_apply_plain, process)


def _next_batch(decoded: Channel[Frame], size: int) -> Batch | None:
    frames = _take(decoded, size)
    return (frames, None) if frames else None


def _apply_plain(process: ProcessBatch, images: list[ImageBGR], _: object) -> list[ImageBGR]:
    return process(images)


def analyse_into(
    decoded: Channel[Frame], out: Channel[Batch], prepare: Callable[[list[ImageBGR]], Any], size: int
) -> None:
    """Analysis stage: batches of ``size`` frames from the decoder, with ``prepare``'s result, into ``out``
    until the decoder ends (then closes it) or the pipeline aborts."""
    while batch := _take(decoded, size):
        if not out.put((batch, prepare([frame.image for frame in batch]))):
            return
    out.close()


def _raise_stage_error(stages: list[Stage]) -> None:
    for stage in stages:
        if stage.error is not None:
            raise stage.error


def _process_all(
    source: Callable[[], Batch | None],
    processed: Channel[Frame],
    apply: Callable[[list[ImageBGR], Any], list[ImageBGR]],
    total: int,
    progress: Callable[[Progress], None] | None,
    should_cancel: Callable[[], bool] | None,
) -> tuple[int, float]:
    """Caller's-thread stage: batches from ``source`` through ``apply`` to the encoder."""
    started = time.perf_counter()
    done = 0
    process_s = 0.0
    while True:
        if should_cancel is not None and should_cancel():
            raise CancelledError("video processing was cancelled")
        item = source()
        if item is None:
            return done, process_s
        batch, prepared = item
        tick = time.perf_counter()
        images = apply([frame.image for frame in batch], prepared)
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
