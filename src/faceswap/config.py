"""One pydantic-settings ``Settings``: prefix ``FACESWAP_``, nested sections with ``__``.

Every entry point builds it once (``Settings()``), validates it, and passes it down explicitly.
"""

from __future__ import annotations

import os
from pathlib import Path

from pydantic import BaseModel, Field, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from faceswap.choices import DetectorName, EngineName, EnhancerName, ExecutionProvider, choices


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
    enhancer_blend: float = Field(default=0.8, ge=0.0, le=1.0)
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
    """Where uploads and results live: ``file://`` (default), later ``s3://``, ``gs://``, ``cf-images://``."""

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

    @model_validator(mode="after")
    def _derive_paths(self) -> Settings:
        if self.models_dir is None:
            self.models_dir = self.data_dir / "models"
        return self

    @property
    def models_path(self) -> Path:
        assert self.models_dir is not None
        return self.models_dir
