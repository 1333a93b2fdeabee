"""Pure helpers of the S3 backend: metadata that HTTP headers can carry, boto3 failures as faceswap errors."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Final
from urllib.parse import quote, unquote

from botocore.exceptions import ClientError, ParamValidationError

from faceswap.errors import (
    BadOptionError,
    FaceswapError,
    NotFoundError,
    OutputError,
    StorageUnavailableError,
)

_MISSING: Final = frozenset({"404", "NoSuchKey", "NotFound"})
_HEADER_SAFE: Final = "".join(chr(c) for c in range(0x21, 0x7F) if chr(c) != "%")


_EMPTY: Final = "%00"
"""An empty value (some S3 servers drop empty headers); NUL is never in a value, so it cannot clash."""


def encode_metadata(metadata: Mapping[str, str]) -> dict[str, str]:
    """Values percent-encoded outside printable ASCII (and ``%`` and spaces): HTTP headers carry them as is."""
    return {k: quote(v, safe=_HEADER_SAFE, errors="surrogatepass") or _EMPTY for k, v in metadata.items()}


def decode_metadata(metadata: Mapping[str, str]) -> dict[str, str]:
    return {k.lower(): "" if v == _EMPTY else unquote(v, errors="surrogatepass") for k, v in metadata.items()}


def error_code(exc: ClientError) -> str:
    """S3's error code of a refused request (``NoSuchKey``, ``InvalidRange`` ...), or ``""``."""
    return str(exc.response.get("Error", {}).get("Code", ""))


def storage_error(exc: Exception, action: str, key: str) -> FaceswapError:
    """The faceswap error for a boto3 failure: missing keys, an unreachable or refusing service, the rest."""
    if isinstance(exc, ClientError):
        code = error_code(exc)
        status = int(exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode") or 0)
        if code in _MISSING:
            return NotFoundError(f"no stored object {key!r}")
        if code == "NoSuchBucket" or status in (401, 403, 429) or status >= 500:
            return StorageUnavailableError(f"S3 refused to {action} {key!r}: {code or status}")
        return OutputError(f"S3 could not {action} {key!r}: {code or status}")
    if isinstance(exc, ParamValidationError):
        return BadOptionError(f"S3 refused the request to {action} {key!r}: {exc}")
    return StorageUnavailableError(f"S3 is unreachable ({action} {key!r}): {exc}")
