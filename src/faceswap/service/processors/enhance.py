"""The ``face_enhance`` workflow: restore every face of an image with a face enhancer."""

from __future__ import annotations

import time
from datetime import UTC, datetime
from typing import Any

from faceswap.errors import BadOptionError, NoFaceInTargetError
from faceswap.imaging.sniff import extension, mime_type
from faceswap.service.processors.base import TaskRun


async def process(run: TaskRun) -> dict[str, Any]:
    started = time.perf_counter()
    data = await run.read(run.task.wf.target_url)
    await run.check(data, "image", "the image")
    encoded, fmt, report = await run.in_thread("image", _enhance, run, data)
    stored = await run.outputs.store(f"output{extension(fmt)}", encoded, mime_type(fmt))
    run.progress(1.0)
    return {"kind": "image", **stored, **report, "processing_time": round(time.perf_counter() - started, 3)}


def _enhance(run: TaskRun, data: bytes) -> tuple[bytes, Any, dict[str, Any]]:
    from faceswap.imaging.decode import decode_image
    from faceswap.imaging.encode import encode_image
    from faceswap.imaging.provenance import Provenance

    wf = run.task.wf
    step = run.worker.enhancer(wf.enhancer)
    if step is None:
        raise BadOptionError("face_enhance needs an enhancer (wf_json.enhancer, e.g. gfpgan_1.4)")
    target = decode_image(data)
    with run.worker.engine(wf.model, wf.landmarker, wf.detector_angles) as engine:
        faces = engine.analyser.analyse(target.bgr)
    if not faces:
        raise NoFaceInTargetError("no face was found in the image to enhance")
    image = target.bgr
    for face in faces:
        image = step.enhancer.enhance(image, face, step.blend)
    provenance = Provenance(engine=step.name, models=(step.name,), created=datetime.now(UTC))
    encoded = encode_image(image, target.alpha, target.format, provenance=provenance)
    return encoded, target.format, {"enhancer": step.name, "faces_found": len(faces)}
