"""The one ``Settings``: prefix ``FACESWAP_``, one nested section per module of this package."""

from __future__ import annotations

from pathlib import Path

from pydantic import Field, model_validator
from pydantic_settings import BaseSettings, PydanticBaseSettingsSource, SettingsConfigDict

from faceswap.config.comfyui import ComfyUISettings
from faceswap.config.engine import EngineSettings
from faceswap.config.engine_server import EngineServerSettings
from faceswap.config.fetch import FetchSettings
from faceswap.config.legacy import LegacyEnvSource
from faceswap.config.limits import InputLimits
from faceswap.config.paths import default_data_dir
from faceswap.config.queue import QueueSettings
from faceswap.config.remote_engine import RemoteEngineSettings
from faceswap.config.service import ServiceSettings
from faceswap.config.storage import StorageSettings
from faceswap.config.video import VideoSettings


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
    video: VideoSettings = Field(default_factory=VideoSettings)

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
