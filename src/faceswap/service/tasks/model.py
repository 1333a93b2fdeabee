"""The unified task format as pydantic models, and the one state machine behind both vocabularies.

``TaskCreate`` is what a client sends (``workflow_name`` is accepted for ``workflow``); ``Task`` is what
it gets back. ``TaskStatus`` (uppercase) and the legacy routes' lowercase words name the same states:
those a client sees of the lifecycle (:data:`PUBLIC_STATUS`).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Annotated, Any, Final, cast

from pydantic import AliasChoices, BaseModel, ConfigDict, Field, StringConstraints, model_validator

from faceswap.choices import (
    DetectorAngle,
    EngineName,
    EnhancerName,
    FaceArea,
    FaceGender,
    FaceMode,
    FaceOrder,
    FaceParserName,
    FaceRace,
    FaceRegion,
    ImageFormat,
    LandmarkerName,
    LegacyTaskStatus,
    MaskType,
    OccluderName,
    PixelBoost,
    TaskEnvironment,
    TaskStage,
    TaskStatus,
    UpscaleName,
    VideoContainer,
    VideoEncoderName,
    Workflow,
    choices,
)
from faceswap.engine.extra_faces import MAX_BOXES, MIN_BOX_SIDE, Box, check_boxes
from faceswap.engine.face_filters import AGE_LIMIT, FaceFilters
from faceswap.engine.options import SwapOptions
from faceswap.errors import BadOptionError
from faceswap.service.queue.lifecycle import TERMINAL as TERMINAL_STATES
from faceswap.service.queue.lifecycle import State

ComfyWorkflowName = Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,99}$")]
"""Any other workflow name is a ComfyUI workflow (docs/comfyui.md): its API-format graph is
``<comfyui.workflows_dir>/<name>.json`` or is sent in ``wf_json.workflow``."""
TaskWorkflow = Workflow | ComfyWorkflowName
MAX_SOURCES: Final = 16
"""Most source photos (people) one task takes."""
MAX_WEBHOOK_LENGTH: Final = 2048
WebhookUrl = Annotated[
    str,
    StringConstraints(pattern=r"^https?://", max_length=MAX_WEBHOOK_LENGTH),
    Field(description="an http(s) URL that receives signed status callbacks"),
]

PUBLIC_STATUS: Final[Mapping[State, TaskStatus]] = {
    "queued": "PENDING",
    "running": "PROCESSING",
    "cancelling": "PROCESSING",
    "completed": "COMPLETED",
    "failed": "FAILED",
    "cancelled": "CANCELLED",
}
"""The status a client sees for each lifecycle state (:mod:`faceswap.service.queue.lifecycle`)."""
TERMINAL: Final[frozenset[TaskStatus]] = frozenset(PUBLIC_STATUS[state] for state in TERMINAL_STATES)


def is_terminal(status: TaskStatus) -> bool:
    return status in TERMINAL


def legacy_status(status: TaskStatus) -> LegacyTaskStatus:
    """The lowercase word the legacy routes (``/api/status/{job_id}``) use for ``status``."""
    return cast(LegacyTaskStatus, status.lower())


class FaceSelection(BaseModel):
    """Which target faces a task chooses from: their order and the face filters (fairface)."""

    face_order: FaceOrder | None = Field(
        default=None,
        description="order of the target's faces: face_mode one takes the first, mapping counts them from 0; "
        "default: the largest face for one, left to right otherwise",
    )
    face_gender: FaceGender | None = Field(
        default=None, description="swap only faces of this gender (needs the fairface model)"
    )
    face_age: list[Annotated[int, Field(ge=0, le=AGE_LIMIT)]] | None = Field(
        default=None,
        min_length=2,
        max_length=2,
        description="[start, end]: swap only faces whose age bucket meets start <= age < end (fairface)",
    )
    face_race: FaceRace | None = Field(
        default=None, description="swap only faces of this race (needs the fairface model)"
    )
    extra_faces: list[list[float]] | None = Field(
        default=None,
        description="faces the detector missed, as boxes [x1, y1, x2, y2] in the target's pixels (inside "
        f"the image, at least {MIN_BOX_SIDE} px a side, at most {MAX_BOXES}; photos only): the face inside "
        "each is found and numbered after the detected faces, in this order",
    )

    def added_boxes(self) -> tuple[Box, ...]:
        """``extra_faces`` checked (``bad_option`` for a malformed or too small box); whether each lies
        inside the target is known once the target is read (:func:`check_boxes_in_image`)."""
        return check_boxes(self.extra_faces or [])

    def face_filters(self) -> FaceFilters:
        """The task's face filters (none where a field is not given); ``bad_option`` for an empty age range."""
        age = (self.face_age[0], self.face_age[1]) if self.face_age else None
        return FaceFilters(gender=self.face_gender, age=age, race=self.face_race)


class WfJson(FaceSelection):
    """What to swap: ``params.input_data.wf_json``.

    Inputs are uploaded file ids (``POST /api/upload``), storage keys (``uploads/...``, ``results/...``),
    ``http(s)://`` URLs or ``data:...;base64,`` URLs. One person: ``source_url``; several people:
    ``source_urls`` with ``mapping`` (source index -> target face index, faces counted in ``face_order``,
    left to right by default, among those the face filters keep).
    """

    model_config = ConfigDict(extra="allow")

    source_url: str | None = None
    source_urls: list[str] | None = Field(default=None, min_length=1, max_length=MAX_SOURCES)
    target_url: str = Field(min_length=1)
    mapping: dict[int, int] | None = None
    face_mode: FaceMode | None = None
    reference_url: str | None = None
    resolution: str | None = Field(default=None, description="video output WIDTHxHEIGHT")
    video_encoder: VideoEncoderName | None = Field(
        default=None,
        description="video: H.264/HEVC encoder of an mp4/mov/mkv output; default from settings (libx264); "
        "a worker whose build lacks it fails the task encoder_unavailable (GET /api/options lists the "
        "workers' encoders)",
    )
    model: EngineName | None = Field(default=None, description="swap engine; default from settings")
    enhancer: EnhancerName | None = None
    landmarker: LandmarkerName | None = Field(
        default=None, description="68-point landmarker refining the key points; default from settings"
    )
    detector_angles: list[DetectorAngle] | None = Field(
        default=None,
        min_length=1,
        max_length=4,
        description="clockwise rotations (0, 90, 180, 270) the detector also tries; default from settings",
    )
    output_format: ImageFormat | VideoContainer | None = Field(
        default=None, description="image format for a photo, container for a video; default: the target's"
    )
    pixel_boost: PixelBoost | None = Field(
        default=None, description="swap the aligned face at this size (a multiple of the swapper's); neural"
    )
    swapper_weight: float | None = Field(
        default=None, ge=0.0, le=1.0, description="identity strength: 1 the source's alone, 0 the target's"
    )
    mask_types: list[MaskType] | None = Field(
        default=None, min_length=1, description="paste-back mask parts, combined by their minimum"
    )
    mask_blur: float | None = Field(default=None, ge=0.0, le=1.0, description="box mask's soft edge")
    mask_padding: list[float] | None = Field(
        default=None, min_length=4, max_length=4, description="box mask padding (top, right, bottom, left), %"
    )
    mask_regions: list[FaceRegion] | None = Field(
        default=None, min_length=1, description="a region mask keeps"
    )
    mask_areas: list[FaceArea] | None = Field(default=None, min_length=1, description="an area mask keeps")
    keep_mouth: bool | None = Field(default=None, description="keep the target's inner mouth (68 landmarks)")
    occluder: OccluderName | None = Field(default=None, description="model of the occlusion mask")
    face_parser: FaceParserName | None = Field(default=None, description="model of the region mask")
    enhancer_blend: float | None = Field(
        default=None, ge=0.0, le=1.0, description="how much of the enhanced face is blended back"
    )
    enhancer_weight: float | None = Field(
        default=None, ge=0.0, le=1.0, description="CodeFormer's fidelity: 0 quality, 1 the input face"
    )
    upscale: UpscaleName | None = Field(
        default=None,
        description="frame enhancer upscaling the whole photo or every video frame after the swap; "
        "default from settings (none)",
    )
    upscale_blend: float | None = Field(
        default=None,
        ge=0.0,
        le=1.0,
        description="how much of the upscaler's output is kept (the rest bicubic)",
    )

    def swap_options(self) -> SwapOptions:
        """The task's :class:`SwapOptions` (defaults where a field is not given)."""
        given: dict[str, Any] = {
            "pixel_boost": self.pixel_boost,
            "weight": self.swapper_weight,
            "masks": tuple(self.mask_types) if self.mask_types else None,
            "mask_blur": self.mask_blur,
            "mask_padding": tuple(self.mask_padding) if self.mask_padding else None,
            "regions": tuple(self.mask_regions) if self.mask_regions else None,
            "areas": tuple(self.mask_areas) if self.mask_areas else None,
            "keep_mouth": self.keep_mouth,
            "occluder": self.occluder,
            "face_parser": self.face_parser,
        }
        return SwapOptions(**{name: value for name, value in given.items() if value is not None})

    def sources(self) -> list[str]:
        if self.source_urls:
            return list(self.source_urls)
        return [self.source_url] if self.source_url else []


def check_mapping(mapping: dict[int, int], sources: int) -> None:
    """Refuses (``ValueError``, a 422 at creation) a mapping that cannot fit any target: empty, a negative
    index, a source index past the ``sources`` given, or two sources sent to one face. Whether each face
    index exists is known only once the target's faces are found."""
    if not mapping:
        raise ValueError("mapping is empty: give at least one source index -> target face index")
    for source, face in mapping.items():
        if source < 0 or face < 0:
            raise ValueError(f"mapping indexes start at 0; got {source} -> {face}")
        if source >= sources:
            raise ValueError(
                f"mapping names source {source}, but the task has {sources} source(s) (indexes 0 to {sources - 1})"
            )
    faces = list(mapping.values())
    if len(set(faces)) != len(faces):
        twice = sorted({face for face in faces if faces.count(face) > 1})
        raise ValueError(f"mapping sends several sources to the same face ({', '.join(map(str, twice))})")


class InputData(BaseModel):
    model_config = ConfigDict(extra="allow")
    wf_json: WfJson


class TaskParams(BaseModel):
    model_config = ConfigDict(extra="allow")
    input_data: InputData


class TaskCreate(BaseModel):
    """A new task in the unified format. ``environment`` is ``face_swap`` by default and always ``comm``
    for a ComfyUI workflow (one that is not built in)."""

    model_config = ConfigDict(populate_by_name=True)

    workflow: TaskWorkflow = Field(validation_alias=AliasChoices("workflow", "workflow_name"))
    environment: TaskEnvironment = "face_swap"
    params: TaskParams
    webhook: WebhookUrl | None = None

    @model_validator(mode="after")
    def _check_inputs(self) -> TaskCreate:
        if self.workflow not in choices(Workflow):
            self.environment = "comm"  # a ComfyUI workflow runs in the "comm" environment, not face_swap
        wf = self.params.input_data.wf_json
        if self.workflow in ("face_swap", "face_preview") and not wf.sources():
            raise ValueError(f"a {self.workflow} task needs source_url or source_urls")
        if wf.source_urls and len(wf.source_urls) > 1 and wf.mapping is None:
            raise ValueError("several source_urls need a mapping (source index -> target face index)")
        if wf.mapping is not None:
            check_mapping(wf.mapping, len(wf.sources()))
        try:
            wf.swap_options()
            wf.face_filters()
        except BadOptionError as exc:
            raise ValueError(exc.message) from exc
        return self

    @property
    def wf(self) -> WfJson:
        return self.params.input_data.wf_json


class TaskError(BaseModel):
    code: str
    message: str


class Task(BaseModel):
    """A task as the API shows it (unified format)."""

    model_config = ConfigDict(populate_by_name=True)

    task_id: str = Field(serialization_alias="taskId", validation_alias=AliasChoices("taskId", "task_id"))
    workflow: TaskWorkflow
    environment: TaskEnvironment = "face_swap"
    params: dict[str, Any]
    status: TaskStatus
    progress: float = Field(ge=0.0, le=1.0)
    result: dict[str, Any] | None = None
    error: TaskError | None = None
    attempts: int = Field(default=0, description="runs started, automatic and client retries included")
    retries: int = Field(
        default=0, description="times a client retried the task after it failed or was cancelled"
    )
    created_at: datetime
    updated_at: datetime
    webhook: str | None = None
    stage: TaskStage | None = Field(
        default=None,
        description="PROCESSING: what the task does now (reading, loading_engine, detecting, swapping, "
        "enhancing, upscaling, encoding, saving); null otherwise",
    )
    frames_done: int | None = Field(
        default=None, ge=0, description="PROCESSING video: frames swapped so far; null for a photo"
    )
    frames_total: int | None = Field(
        default=None, ge=0, description="PROCESSING video: frames in all (from the video's header)"
    )
    fps: float | None = Field(
        default=None, ge=0.0, description="PROCESSING video: frames per second over the last 10 seconds"
    )
    eta_s: float | None = Field(
        default=None,
        ge=0.0,
        description="PROCESSING video: seconds left at the current frame rate, as of updated_at; "
        "null until it can be estimated",
    )
    queue_position: int | None = Field(
        default=None,
        ge=1,
        description="PENDING: place in line among the queue's waiting tasks, 1 runs next; null otherwise",
    )

    def dump(self) -> dict[str, Any]:
        """The JSON form clients see (``taskId``, ISO times)."""
        return self.model_dump(mode="json", by_alias=True)


class TaskPage(BaseModel):
    tasks: list[Task]
    total: int
    offset: int
    limit: int
