"""``open_storage``: one URL setting picks the storage backend; each backend is imported only when used.

URLs:

- ``""``, ``file:`` or ``file://``: local files under ``DATA_DIR/files`` (the default);
- ``file:///abs/folder``: local files under an absolute folder; ``file:folder``: under ``DATA_DIR/folder``;
- ``s3://bucket/prefix`` (AWS, Cloudflare R2, any S3 server), ``gs://bucket/prefix`` and
  ``cf-images://account``: planned; they are in the dispatch table but raise ``BadOptionError`` until
  their backends are built.

Cloud SDKs are imported inside the opener of their scheme, so a process only needs the SDK of the
backend it uses.
"""

from __future__ import annotations

import typing as t
from collections.abc import Callable, Mapping
from pathlib import Path
from types import MappingProxyType
from urllib.parse import SplitResult, unquote, urlsplit

from faceswap.errors import BadOptionError

if t.TYPE_CHECKING:
    from faceswap.config import Settings
    from faceswap.storage.base import Storage

DEFAULT_LOCAL_FOLDER: t.Final = "files"


class OpenOptions(t.NamedTuple):
    """What every opener gets besides the URL."""

    data_dir: Path
    public_base_url: str | None


def local_root_from_url(url: str, data_dir: Path) -> Path:
    """The folder a ``file:`` URL names (see the module docstring)."""
    if url in ("", "file:", "file://", "file:///"):
        return data_dir / DEFAULT_LOCAL_FOLDER
    parts = urlsplit(url)
    if (
        parts.scheme.lower() != "file"
        or parts.netloc not in ("", "localhost")
        or parts.query
        or parts.fragment
    ):
        raise BadOptionError(f"a local storage URL looks like file:///abs/folder or file:folder; got {url!r}")
    path = unquote(parts.path)
    if "\x00" in path:
        raise BadOptionError(f"a local storage URL must not contain NUL; got {url!r}")
    if url.lower().startswith("file://"):
        return Path(path)  # file:///abs/folder (RFC 8089): always absolute
    return Path(path) if Path(path).is_absolute() else data_dir / path


def _open_local(url: str, parts: SplitResult, options: OpenOptions) -> Storage:
    from faceswap.storage.local import LocalStorage

    return LocalStorage(local_root_from_url(url, options.data_dir), public_base_url=options.public_base_url)


def _not_built(what: str) -> Callable[[str, SplitResult, OpenOptions], Storage]:
    def opener(url: str, parts: SplitResult, options: OpenOptions) -> Storage:
        raise BadOptionError(f"the {what} storage backend is not built yet; use file:// (got {url!r})")

    return opener


OPENERS: t.Final[Mapping[str, Callable[[str, SplitResult, OpenOptions], Storage]]] = MappingProxyType(
    {
        "file": _open_local,
        "s3": _not_built("S3"),
        "gs": _not_built("Google Cloud Storage"),
        "cf-images": _not_built("Cloudflare Images"),
    }
)
"""URL scheme -> opener; a new backend adds one entry here and one fixture to the contract tests."""


def open_storage(url: str, *, data_dir: Path, public_base_url: str | None = None) -> Storage:
    """The storage the URL names (see the module docstring)."""
    parts = urlsplit(url)
    scheme = parts.scheme.lower() if url else "file"
    opener = OPENERS.get(scheme)
    if opener is None:
        raise BadOptionError(
            f"storage URL must start with one of {', '.join(s + ':' for s in OPENERS)}; got {url!r}"
        )
    return opener(url, parts, OpenOptions(data_dir=data_dir, public_base_url=public_base_url))


def storage_from_settings(settings: Settings) -> Storage:
    """The storage ``settings.storage`` configures."""
    return open_storage(
        settings.storage.url,
        data_dir=settings.data_dir,
        public_base_url=settings.storage.public_base_url,
    )
