"""One pydantic-settings ``Settings``: prefix ``FACESWAP_``, nested sections with ``__``.

Every entry point builds it once (``Settings()``), validates it, and passes it down explicitly.
"""

from __future__ import annotations

import ipaddress
import os
import re
from collections.abc import Mapping
from pathlib import Path
from types import MappingProxyType
from typing import Any

from pydantic import BaseModel, Field, SecretStr, field_validator, model_validator
from pydantic.fields import FieldInfo
from pydantic_settings import BaseSettings, PydanticBaseSettingsSource, SettingsConfigDict

from faceswap.choices import (
    ArenaExtendStrategy,
    CudnnAlgoSearch,
    DetectorName,
    DynamicBatch,
    EngineName,
    EnhancerName,
    ExecutionProvider,
    GpuGeometry,
    StorageProvider,
    choices,
)

_HOST_NAME = re.compile(r"[A-Za-z0-9]([A-Za-z0-9.-]{0,252})")


def default_data_dir() -> Path:
    base = os.environ.get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
    return Path(base) / "faceswap"


class EngineSettings(BaseModel):
    """Defaults for swaps when a request does not say."""

    engine: EngineName = "auto"
    enhancer: EnhancerName = "none"
    detector: DetectorName = "scrfd_2.5g"
    providers: list[ExecutionProvider] = Field(
        default_factory=lambda: list(choices(ExecutionProvider)),  # type: ignore[arg-type]
        description="execution providers in order of preference; those not installed are skipped",
    )
    device_id: int = 0
    intra_op_threads: int = Field(default=0, ge=0, description="0 lets onnxruntime decide")
    dynamic_batch: DynamicBatch = Field(
        default="auto",
        description="open batch-1 models with a symbolic batch when they pass a check: auto (GPU only), on, off",
    )
    enhancer_blend: float = Field(default=0.8, ge=0.0, le=1.0)
    cudnn_conv_algo_search: CudnnAlgoSearch = Field(
        default="EXHAUSTIVE", description="CUDA provider: cuDNN convolution algorithm search"
    )
    gpu_mem_limit_mb: int = Field(
        default=0, ge=0, description="CUDA provider: memory arena limit per session in MiB; 0: no limit"
    )
    arena_extend_strategy: ArenaExtendStrategy = Field(
        default="kNextPowerOfTwo", description="CUDA provider: how the memory arena grows"
    )
    tensorrt_fp16: bool = Field(default=True, description="TensorRT provider: build fp16 engines")
    tensorrt_cache_dir: Path | None = Field(
        default=None, description="TensorRT provider: engine and timing cache; None: DATA_DIR/tensorrt"
    )
    tensorrt_max_batch: int = Field(
        default=128, ge=1, description="TensorRT provider: largest batch of the dynamic-batch profiles"
    )
    batch_size: int | None = Field(
        default=None,
        ge=1,
        le=1024,
        description="frames per model call in videos; None: 32 on a GPU provider, 8 on the CPU",
    )
    gpu_geometry: GpuGeometry = Field(
        default="auto",
        description="alignment and paste back as ONNX graphs on the engine's provider: auto (GPU only), on, off",
    )
    reference_threshold: float | None = Field(
        default=None, gt=0.0, lt=2.0, description="face distance (1 - cosine); None: the engine's default"
    )


class QueueSettings(BaseModel):
    """Where tasks wait: ``sqlite://PATH``, ``redis://...`` or ``postgres(ql)://...``."""

    url: str = Field(
        default="",
        description="queue URL (env FACESWAP_QUEUE__URL); empty: the SQLite file DATA_DIR/queue.sqlite3",
    )
    name: str = Field(default="faceswap", min_length=1, description="queue name shared by API and workers")


class StorageSettings(BaseModel):
    """Where uploads and results live: ``file://`` (default), ``s3://``, ``gs://``, ``cf-images://``.

    ``url`` says it all; the legacy ``provider`` (``STORAGE_PROVIDER``) with ``bucket`` and ``account_id``
    is used when ``url`` is empty. Cloud credentials not given here come from each SDK's own environment
    (``AWS_*``, ``GOOGLE_APPLICATION_CREDENTIALS``). See docs/storage.md.
    """

    url: str = Field(
        default="",
        description="storage URL (env FACESWAP_STORAGE__URL); empty: local files under DATA_DIR/files",
    )
    inputs_retention_hours: float = Field(
        default=24.0, ge=0.0, description="age after which uploads/ objects are deleted; 0: forever"
    )
    results_retention_hours: float = Field(
        default=168.0, ge=0.0, description="age after which results/ objects are deleted; 0: forever"
    )
    public_base_url: str | None = Field(
        default=None,
        description="a public (CDN) URL that serves the stored keys; None: downloads go through the API",
    )
    provider: StorageProvider | None = Field(
        default=None, description="legacy STORAGE_PROVIDER: used with bucket/account_id when url is empty"
    )
    bucket: str | None = Field(default=None, description="bucket of the legacy provider (R2_BUCKET_NAME)")
    account_id: str | None = Field(
        default=None, description="Cloudflare account id: R2 endpoint and Cloudflare Images (R2_ACCOUNT_ID)"
    )
    endpoint_url: str | None = Field(
        default=None, description="S3 endpoint for R2 or any S3 server; the URL's ?endpoint= wins"
    )
    region: str | None = Field(default=None, description="S3 region (R2: auto); the URL's ?region= wins")
    access_key_id: str | None = Field(default=None, description="S3 access key id (R2_ACCESS_KEY_ID)")
    secret_access_key: SecretStr | None = Field(
        default=None, description="S3 secret access key (R2_SECRET_ACCESS_KEY)"
    )
    api_token: SecretStr | None = Field(default=None, description="Cloudflare Images API token")
    images_account_hash: str | None = Field(
        default=None, description="Cloudflare Images account hash for imagedelivery.net URLs"
    )
    images_variant: str = Field(default="public", min_length=1, description="Cloudflare Images variant")


class ServiceSettings(BaseModel):
    """The task service: API limits, task timeouts and retries, webhooks, worker timers."""

    max_upload_mb: float | None = Field(
        default=None,
        gt=0.0,
        description="old name of limits.max_bytes, in MiB (FACESWAP_SERVICE__MAX_UPLOAD_MB): used when "
        "limits.max_bytes is not set; after validation it shows the effective limit",
    )
    image_timeout_s: int = Field(default=300, ge=1, description="longest an image task may run")
    video_timeout_s: int = Field(default=3600, ge=1, description="longest a video task may run")
    retries: int = Field(default=3, ge=1, description="attempts per task; only transient errors retry")
    retry_delay_s: float = Field(default=2.0, ge=0.0, description="first retry delay, doubled each time")
    heartbeat_s: int = Field(
        default=30, ge=2, description="a running task not touched for this long is swept (worker lost)"
    )
    sweep_interval_s: int = Field(default=15, ge=1, description="how often workers look for stuck tasks")
    abort_poll_s: float = Field(default=0.5, gt=0.0, description="how often workers look for cancels")
    task_ttl_hours: float = Field(default=168.0, gt=0.0, description="how long finished tasks are listed")
    process_timeout_s: float = Field(default=120.0, gt=0.0, description="POST /api/face-swap/process wait")
    webhook_secret: str | None = Field(default=None, description="HMAC-SHA256 key signing webhook bodies")
    webhook_attempts: int = Field(default=5, ge=1)
    worker_tokens: SecretStr | None = Field(
        default=None,
        description="remote workers' tokens for /api/comm/*, comma-separated, each plain or "
        "sha256:<64 hex>; none: the worker routes are disabled (404)",
    )
    require_api_key: bool = Field(
        default=False,
        description="refuse /api/* requests without an API key even when no key exists yet; "
        "keys are always required once one exists (faceswap keys create)",
    )
    rate_limit_per_minute: float | None = Field(
        default=None, gt=0.0, description="requests per minute per API key unless the key sets its own"
    )
    rate_limit_burst: int = Field(default=20, ge=1, description="requests a key may make at once")
    cors_origins: list[str] = Field(
        default_factory=list,
        description="origins allowed to call the API from a browser (CORS); empty (the default): none",
    )


class InputLimits(BaseModel):
    """What a user-supplied input may be at most; checked by content (faceswap.limits.check_media)."""

    max_bytes: int = Field(default=200 * 1024 * 1024, gt=0, description="largest upload or fetched input")
    max_image_pixels: int = Field(
        default=64_000_000, gt=0, description="largest image (width x height), read from the header"
    )
    max_video_pixels: int = Field(default=7680 * 4320, gt=0, description="largest video frame (8K)")
    max_video_seconds: float = Field(default=600.0, gt=0.0, description="longest video")
    max_video_frames: int = Field(default=36_000, gt=0, description="most video frames")


class FetchSettings(BaseModel):
    """Fetching user-supplied URLs (inputs, webhooks) without reaching the network the service runs in."""

    allow_private: list[str] = Field(
        default_factory=list,
        description="hosts (exact names) and IP networks (CIDR) that may be fetched although private, "
        "loopback or link-local; empty (the default): none",
    )
    timeout_s: float = Field(
        default=60.0, gt=0.0, description="cap on one fetch, redirects and body included"
    )
    connect_timeout_s: float = Field(default=10.0, gt=0.0)
    max_redirects: int = Field(default=5, ge=0, description="redirect hops followed, each one re-checked")

    @field_validator("allow_private")
    @classmethod
    def _check_entries(cls, entries: list[str]) -> list[str]:
        cleaned = [entry.strip().lower() for entry in entries]
        for entry in cleaned:
            try:
                ipaddress.ip_network(entry, strict=False)
            except ValueError:
                if not _HOST_NAME.fullmatch(entry):
                    raise ValueError(f"{entry!r} is neither an IP network nor a host name") from None
        return cleaned


class ComfyUISettings(BaseModel):
    """A ComfyUI server that runs ComfyUI workflows as tasks (see docs/comfyui.md).

    ``url`` is operator configuration, trusted like the queue URL: it does not go through the SSRF guard.
    """

    url: str | None = Field(
        default=None, description="ComfyUI's base URL (COMFYUI_URL); None: ComfyUI workflows are refused"
    )
    workflows_dir: Path | None = Field(
        default=None, description="API-format workflow files <name>.json; default: DATA_DIR/workflows"
    )
    timeout_s: float = Field(default=900.0, gt=0.0, description="longest one workflow may run")
    connect_timeout_s: float = Field(default=10.0, gt=0.0)


class RemoteEngineSettings(BaseModel):
    """A swap service (``faceswap engine-serve`` or compatible) that runs ``face_swap`` tasks for workers.

    ``url`` is operator configuration: it does not go through the SSRF guard (docs/comfyui.md).
    """

    url: str | None = Field(
        default=None, description="base URL of the swap service (FACE_SWAP_API_URL); None: swap locally"
    )
    timeout_s: float = Field(default=120.0, gt=0.0, description="one request's limit (FACE_SWAP_TIMEOUT)")
    attempts: int = Field(default=4, ge=1, description="tries per swap on timeouts, network errors and 5xx")
    backoff_s: float = Field(default=1.0, ge=0.0, description="first delay between tries, doubled each time")
    shared_dir: Path | None = Field(
        default=None,
        description="a directory the swap service also sees (its engine_server.input_root): inputs are "
        "written there and sent as paths; None: inputs are sent inline (data: URLs) or as their http(s) URL",
    )


class EngineServerSettings(BaseModel):
    """``faceswap engine-serve``: our engine as a swap service (``POST /process``, ``GET /health``)."""

    input_root: Path | None = Field(
        default=None,
        description="local paths under this directory are read as inputs; None: no local path is accepted",
    )
    concurrency: int = Field(default=1, ge=1, description="swaps at once")


LEGACY_ENV: Mapping[str, tuple[str, ...]] = MappingProxyType(
    {
        "STORAGE_PROVIDER": ("storage", "provider"),
        "R2_ACCOUNT_ID": ("storage", "account_id"),
        "R2_ACCESS_KEY_ID": ("storage", "access_key_id"),
        "R2_SECRET_ACCESS_KEY": ("storage", "secret_access_key"),
        "R2_BUCKET_NAME": ("storage", "bucket"),
        "R2_PUBLIC_URL": ("storage", "public_base_url"),
        "COMFYUI_URL": ("comfyui", "url"),
        "FACE_SWAP_API_URL": ("remote_engine", "url"),
        "FACE_SWAP_TIMEOUT": ("remote_engine", "timeout_s"),
    }
)
"""The seed's environment names -> the setting they fill; ``FACESWAP_*`` variables win over them."""


class LegacyEnvSource(PydanticBaseSettingsSource):
    """Reads the :data:`LEGACY_ENV` variables (empty ones are ignored) into nested settings."""

    def get_field_value(self, field: FieldInfo, field_name: str) -> tuple[Any, str, bool]:
        return None, field_name, False

    def __call__(self) -> dict[str, Any]:
        found: dict[str, Any] = {}
        for name, path in LEGACY_ENV.items():
            value = os.environ.get(name, "").strip()
            if not value:
                continue
            section = found
            for part in path[:-1]:
                section = section.setdefault(part, {})
            section[path[-1]] = value
        return found


class Settings(BaseSettings):
    model_config = SettingsConfigDict(
        env_prefix="FACESWAP_",
        env_nested_delimiter="__",
        extra="ignore",
    )

    data_dir: Path = Field(default_factory=default_data_dir)
    models_dir: Path | None = Field(default=None, description="default: DATA_DIR/models")
    models_base_url: str | None = Field(
        default=None,
        description="a mirror serving <file> and <name>.hash for every model; replaces the public sources",
    )
    engine: EngineSettings = Field(default_factory=EngineSettings)
    queue: QueueSettings = Field(default_factory=QueueSettings)
    storage: StorageSettings = Field(default_factory=StorageSettings)
    service: ServiceSettings = Field(default_factory=ServiceSettings)
    limits: InputLimits = Field(default_factory=InputLimits)
    fetch: FetchSettings = Field(default_factory=FetchSettings)
    comfyui: ComfyUISettings = Field(default_factory=ComfyUISettings)
    remote_engine: RemoteEngineSettings = Field(default_factory=RemoteEngineSettings)
    engine_server: EngineServerSettings = Field(default_factory=EngineServerSettings)

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        legacy = LegacyEnvSource(settings_cls)
        return init_settings, env_settings, dotenv_settings, legacy, file_secret_settings

    @model_validator(mode="after")
    def _derive_paths(self) -> Settings:
        if self.models_dir is None:
            self.models_dir = self.data_dir / "models"
        if self.comfyui.workflows_dir is None:
            self.comfyui.workflows_dir = self.data_dir / "workflows"
        # one byte limit: limits.max_bytes; the old service.max_upload_mb fills it when it is not set
        mib = 1024 * 1024
        if self.service.max_upload_mb is not None and "max_bytes" not in self.limits.model_fields_set:
            self.limits.max_bytes = int(self.service.max_upload_mb * mib)
        self.service.max_upload_mb = self.limits.max_bytes / mib
        return self

    @property
    def models_path(self) -> Path:
        assert self.models_dir is not None
        return self.models_dir
