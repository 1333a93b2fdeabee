"""Object storage for uploads and results: one small ``Storage`` interface, backends opened from URLs.

Only the interface is imported here; backends (and their SDKs) load when :func:`open_storage` needs them.
"""

from faceswap.storage.base import DEFAULT_CONTENT_TYPE, PutData, Storage, StoredObject
from faceswap.storage.open import open_storage, storage_from_settings

__all__ = [
    "DEFAULT_CONTENT_TYPE",
    "PutData",
    "Storage",
    "StoredObject",
    "open_storage",
    "storage_from_settings",
]
