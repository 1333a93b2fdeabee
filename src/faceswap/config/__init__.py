"""One pydantic-settings ``Settings``: prefix ``FACESWAP_``, nested sections with ``__``.

Every entry point builds it once (``Settings()``), validates it, and passes it down explicitly. Each
section lives in its own module; everything is importable from ``faceswap.config``.
"""

from faceswap.config.comfyui import ComfyUISettings
from faceswap.config.engine import EngineSettings
from faceswap.config.engine_server import EngineServerSettings
from faceswap.config.fetch import FetchSettings
from faceswap.config.legacy import LEGACY_ENV, LegacyEnvSource
from faceswap.config.limits import InputLimits
from faceswap.config.paths import default_data_dir
from faceswap.config.queue import QueueSettings
from faceswap.config.remote_engine import RemoteEngineSettings
from faceswap.config.service import ServiceSettings
from faceswap.config.settings import Settings
from faceswap.config.storage import StorageSettings
from faceswap.config.video import VideoSettings

__all__ = [
    "LEGACY_ENV",
    "ComfyUISettings",
    "EngineServerSettings",
    "EngineSettings",
    "FetchSettings",
    "InputLimits",
    "LegacyEnvSource",
    "QueueSettings",
    "RemoteEngineSettings",
    "ServiceSettings",
    "Settings",
    "StorageSettings",
    "VideoSettings",
    "default_data_dir",
]
