"""``open_storage``: one URL setting picks the storage backend; each backend is imported only when used.

URLs:

- ``""``, ``file:`` or ``file://``: local files under ``DATA_DIR/files`` (the default);
- ``file:///abs/folder``: local files under an absolute folder; ``file:folder``: under ``DATA_DIR/folder``;
- ``s3://bucket/prefix?endpoint=URL&region=R&addressing_style=path|virtual``: AWS S3, Cloudflare R2
  (endpoint ``https://<account>.r2.cloudflarestorage.com``, region ``auto``) or any S3 server;
- ``gs://bucket/prefix``: Google Cloud Storage (``STORAGE_EMULATOR_HOST`` points it at an emulator);
- ``cf-images://<account_id>?api=URL&delivery=URL``: Cloudflare Images (images only); ``api`` and
  ``delivery`` replace Cloudflare's own endpoints (for tests and proxies).

Credentials and endpoints not in the URL come from :class:`~faceswap.config.StorageSettings`; with an
empty URL, its legacy ``provider`` (``STORAGE_PROVIDER``) and ``bucket``/``account_id`` pick the backend
(:func:`storage_url`).

Cloud SDKs are imported inside the opener of their scheme, so a process only needs the SDK of the
backend it uses.
"""

from __future__ import annotations

import re
import typing as t
from collections.abc import Callable, Mapping
from pathlib import Path
from types import MappingProxyType
from urllib.parse import SplitResult, parse_qsl, unquote, urlencode, urlsplit

from faceswap.config import StorageSettings
from faceswap.errors import BadOptionError

if t.TYPE_CHECKING:
    from faceswap.config import Settings
    from faceswap.storage.base import Storage

DEFAULT_LOCAL_FOLDER: t.Final = "files"
_ACCOUNT_ID: t.Final = re.compile(r"[A-Za-z0-9_-]{1,64}")


class OpenOptions(t.NamedTuple):
    """What every opener gets besides the URL."""

    data_dir: Path
    public_base_url: str | None
    settings: StorageSettings = StorageSettings()
    """Credentials and endpoints the URL does not carry."""


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


def url_query(url: str, parts: SplitResult, allowed: t.Collection[str]) -> dict[str, str]:
    """The URL's query parameters; ``BadOptionError`` for repeated or unknown ones, or a fragment."""
    if parts.fragment:
        raise BadOptionError(f"a storage URL takes no #fragment; got {url!r}")
    pairs = parse_qsl(parts.query, keep_blank_values=True)
    query = dict(pairs)
    unknown = sorted(set(query) - set(allowed))
    if unknown or len(query) != len(pairs):
        raise BadOptionError(
            f"storage URL parameters are {', '.join(sorted(allowed)) or 'none'}, each once; got {url!r}"
        )
    return query


def bucket_and_prefix(url: str, parts: SplitResult) -> tuple[str, str]:
    """``bucket`` and ``prefix`` of ``scheme://bucket/prefix``."""
    bucket = parts.netloc
    if not bucket or "@" in bucket or ":" in bucket:
        raise BadOptionError(f"a storage URL looks like {parts.scheme}://bucket/prefix; got {url!r}")
    return bucket, unquote(parts.path).strip("/")


def _open_s3(url: str, parts: SplitResult, options: OpenOptions) -> Storage:
    from faceswap.storage.s3 import S3Storage

    query = url_query(url, parts, ("endpoint", "region", "addressing_style"))
    bucket, prefix = bucket_and_prefix(url, parts)
    settings = options.settings
    secret = settings.secret_access_key
    style = query.get("addressing_style")
    if style not in (None, "path", "virtual", "auto"):
        raise BadOptionError(f"addressing_style must be path, virtual or auto; got {style!r}")
    return S3Storage(
        bucket,
        prefix,
        endpoint_url=query.get("endpoint") or settings.endpoint_url,
        region=query.get("region") or settings.region,
        access_key_id=settings.access_key_id,
        secret_access_key=secret.get_secret_value() if secret else None,
        public_base_url=options.public_base_url,
        addressing_style=style,
    )


def _open_gcs(url: str, parts: SplitResult, options: OpenOptions) -> Storage:
    from faceswap.storage.gcs import GcsStorage

    url_query(url, parts, ())
    bucket, prefix = bucket_and_prefix(url, parts)
    return GcsStorage(bucket, prefix, public_base_url=options.public_base_url)


def _open_cf_images(url: str, parts: SplitResult, options: OpenOptions) -> Storage:
    from faceswap.storage.cf_images import CloudflareImagesStorage

    query = url_query(url, parts, ("api", "delivery"))
    account, path = bucket_and_prefix(url, parts)
    if path:
        raise BadOptionError(f"a Cloudflare Images URL looks like cf-images://<account_id>; got {url!r}")
    settings = options.settings
    if settings.api_token is None:
        raise BadOptionError("Cloudflare Images needs an API token (FACESWAP_STORAGE__API_TOKEN)")
    return CloudflareImagesStorage(
        account,
        settings.api_token.get_secret_value(),
        account_hash=settings.images_account_hash,
        variant=settings.images_variant,
        api_base_url=query.get("api"),
        delivery_base_url=query.get("delivery"),
    )


OPENERS: t.Final[Mapping[str, Callable[[str, SplitResult, OpenOptions], Storage]]] = MappingProxyType(
    {
        "file": _open_local,
        "s3": _open_s3,
        "gs": _open_gcs,
        "cf-images": _open_cf_images,
    }
)
"""URL scheme -> opener; a new backend adds one entry here and one fixture to the contract tests."""


def open_storage(
    url: str,
    *,
    data_dir: Path,
    public_base_url: str | None = None,
    settings: StorageSettings | None = None,
) -> Storage:
    """The storage the URL names (see the module docstring); ``settings`` adds credentials."""
    parts = urlsplit(url)
    scheme = parts.scheme.lower() if url else "file"
    opener = OPENERS.get(scheme)
    if opener is None:
        raise BadOptionError(
            f"storage URL must start with one of {', '.join(s + ':' for s in OPENERS)}; got {url!r}"
        )
    options = OpenOptions(data_dir, public_base_url, settings if settings is not None else StorageSettings())
    return opener(url, parts, options)


def storage_url(settings: StorageSettings) -> str:
    """``settings.url``, or the URL the legacy ``provider`` with ``bucket``/``account_id`` means."""
    provider = settings.provider
    if settings.url or provider in (None, "local"):
        return settings.url
    if provider == "cf-images":
        if not settings.account_id:
            raise BadOptionError("STORAGE_PROVIDER=cf-images needs the Cloudflare account id (R2_ACCOUNT_ID)")
        return f"cf-images://{settings.account_id}"
    if not settings.bucket:
        raise BadOptionError(f"STORAGE_PROVIDER={provider} needs a bucket (R2_BUCKET_NAME)")
    if provider == "gcs":
        return f"gs://{settings.bucket}"
    if provider == "s3":
        return f"s3://{settings.bucket}"
    if not settings.account_id or not _ACCOUNT_ID.fullmatch(settings.account_id):
        raise BadOptionError(
            f"STORAGE_PROVIDER=r2 needs the Cloudflare account id (R2_ACCOUNT_ID); got {settings.account_id!r}"
        )
    endpoint = f"https://{settings.account_id}.r2.cloudflarestorage.com"
    return f"s3://{settings.bucket}?{urlencode({'endpoint': endpoint, 'region': 'auto'})}"


def storage_from_settings(settings: Settings) -> Storage:
    """The storage ``settings.storage`` configures (downloads through the API when it says so)."""
    storage = open_storage(
        storage_url(settings.storage),
        data_dir=settings.data_dir,
        public_base_url=settings.storage.public_base_url,
        settings=settings.storage,
    )
    if settings.storage.downloads == "api":
        from faceswap.storage.api_downloads import ApiDownloads

        return ApiDownloads(storage)
    return storage
