"""The seed's environment names (``STORAGE_PROVIDER``, ``R2_*``, ``COMFYUI_URL``, ``FACE_SWAP_*``)."""

from __future__ import annotations

import os
from collections.abc import Mapping
from types import MappingProxyType
from typing import Any

from pydantic.fields import FieldInfo
from pydantic_settings import PydanticBaseSettingsSource

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
