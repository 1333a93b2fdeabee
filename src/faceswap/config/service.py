"""``service``: the task service's timeouts, retries, webhooks and API access (``FACESWAP_SERVICE__*``)."""

from __future__ import annotations

from pydantic import BaseModel, Field, SecretStr


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
    retry_delay_s: float = Field(
        default=2.0, ge=0.0, description="bound of the first retry delay (random up to it), doubled per retry"
    )
    heartbeat_s: int = Field(
        default=30, ge=2, description="a running task not touched for this long is swept (worker lost)"
    )
    sweep_interval_s: int = Field(default=15, ge=1, description="how often workers look for stuck tasks")
    preload_engine: bool = Field(
        default=True,
        description="faceswap worker (queue or remote) loads the default engine (engine.engine) as it starts, "
        "before its first task: that task starts at once, and no lease waits behind the load; an engine that "
        "cannot load is logged and left to the tasks that ask for it. serve's in-process workers load on "
        "first use (a server just started stops at once)",
    )
    abort_poll_s: float = Field(default=0.5, gt=0.0, description="how often workers look for cancels")
    task_ttl_hours: float = Field(default=168.0, gt=0.0, description="how long finished tasks are listed")
    process_timeout_s: float = Field(default=120.0, gt=0.0, description="POST /api/face-swap/process wait")
    preview_timeout_s: float = Field(
        default=20.0, gt=0.0, le=600.0, description="POST /api/preview wait; past it 504 timeout"
    )
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
    rate_limit_burst: int = Field(
        default=20,
        ge=1,
        description="requests a key may make at once; with the rate, a key makes BURST requests in any "
        "window of BURST / PER_MINUTE minutes",
    )
    rate_limit_storage_url: str = Field(
        default="",
        description="where rate-limit windows live: memory:// (per process) or a redis://, rediss:// or "
        "unix:// URL shared by every replica; empty: the queue's Redis when the queue is on Redis, "
        "else memory://",
    )
    metrics: bool = Field(
        default=True,
        description="serve Prometheus metrics at /metrics (outside /api/: API keys do not apply)",
    )
    cors_origins: list[str] = Field(
        default_factory=list,
        description="origins allowed to call the API from a browser (CORS); empty (the default): none",
    )
