"""``S3Storage``: objects in an S3 bucket (the ``s3://`` backend): AWS S3, Cloudflare R2 or any S3 server.

The object ``results/abc/out.png`` is the S3 object ``<prefix>results/abc/out.png``. Puts up to one part
(8 MiB) are a single ``PutObject``; larger ones stream as a multipart upload that is aborted if the data
fails or the put is cancelled, so a reader sees the whole new object or none (S3 writes are atomic).
Content types are kept; metadata values are percent-encoded where HTTP headers cannot carry them.

boto3 is blocking: every call runs on a worker thread. Checksums are computed and validated only when an
operation requires them, which S3-compatible servers (R2, SeaweedFS, MinIO) accept.
"""

from __future__ import annotations

import asyncio
import builtins
import contextlib
import logging
from collections.abc import AsyncGenerator, AsyncIterator, Callable, Mapping
from datetime import UTC, datetime, timedelta
from typing import Any, Final

import boto3
from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError

from faceswap.errors import BadOptionError, InvalidKeyError, NotFoundError, StorageUnavailableError
from faceswap.storage.base import (
    DEFAULT_CHUNK_SIZE,
    DEFAULT_CONTENT_TYPE,
    LEFTOVER_AGE,
    PutData,
    Storage,
    StoredObject,
    check_stream,
    validate_content_type,
    validate_metadata,
)
from faceswap.storage.chunks import as_chunks, parts, within
from faceswap.storage.keys import validate_key, validate_prefix
from faceswap.storage.s3_support import decode_metadata, encode_metadata, error_code, storage_error

logger = logging.getLogger(__name__)

DEFAULT_PART_SIZE: Final = 8 * 1024 * 1024
MIN_PART_SIZE: Final = 5 * 1024 * 1024
"""S3's smallest part (all but the last)."""
MAX_PRESIGN_S: Final = 7 * 24 * 3600
"""SigV4 presigned URLs live at most a week."""


class S3Storage(Storage):
    """Objects under ``prefix`` in ``bucket``; credentials not given come from boto3's usual sources."""

    scheme = "s3"

    def __init__(
        self,
        bucket: str,
        prefix: str = "",
        *,
        endpoint_url: str | None = None,
        region: str | None = None,
        access_key_id: str | None = None,
        secret_access_key: str | None = None,
        public_base_url: str | None = None,
        addressing_style: str | None = None,
        part_size: int = DEFAULT_PART_SIZE,
        max_attempts: int = 3,
        connect_timeout_s: float = 5.0,
        read_timeout_s: float = 60.0,
    ) -> None:
        if not bucket or "/" in bucket:
            raise BadOptionError(f"an S3 bucket name must be non-empty, without '/'; got {bucket!r}")
        if prefix:
            validate_prefix(prefix)
            prefix = prefix if prefix.endswith("/") else prefix + "/"
        if part_size < MIN_PART_SIZE:
            raise BadOptionError(f"S3 parts must be at least {MIN_PART_SIZE} bytes; got {part_size}")
        self.bucket = bucket
        self.prefix = prefix
        self.endpoint_url = endpoint_url
        self.public_base_url = public_base_url.rstrip("/") if public_base_url else None
        self.part_size = part_size
        style = addressing_style or ("path" if endpoint_url else "auto")
        config = Config(
            request_checksum_calculation="when_required",
            response_checksum_validation="when_required",
            retries={"max_attempts": max_attempts, "mode": "standard"},
            connect_timeout=connect_timeout_s,
            read_timeout=read_timeout_s,
            s3={"addressing_style": style},
            max_pool_connections=32,
        )
        try:
            self._client: Any = boto3.session.Session().client(
                "s3",
                endpoint_url=endpoint_url,
                region_name=region,
                aws_access_key_id=access_key_id,
                aws_secret_access_key=secret_access_key,
                config=config,
            )
        except (BotoCoreError, ValueError) as exc:
            raise BadOptionError(f"cannot set up the S3 client: {exc}") from exc

    def __repr__(self) -> str:
        where = f" at {self.endpoint_url}" if self.endpoint_url else ""
        return f"S3Storage('s3://{self.bucket}/{self.prefix}'{where})"

    def _name(self, key: str) -> str:
        return self.prefix + validate_key(key)

    async def _call(self, action: str, key: str, method: Callable[..., Any], /, **kwargs: Any) -> Any:
        try:
            return await asyncio.to_thread(method, Bucket=self.bucket, **kwargs)
        except (BotoCoreError, ClientError) as exc:
            raise storage_error(exc, action, key) from exc

    # -- writing -----------------------------------------------------------------------------------

    async def put(
        self,
        key: str,
        data: PutData,
        *,
        content_type: str = DEFAULT_CONTENT_TYPE,
        metadata: Mapping[str, str] | None = None,
    ) -> StoredObject:
        name = self._name(key)
        validate_content_type(content_type)
        extra = {"ContentType": content_type, "Metadata": encode_metadata(validate_metadata(metadata))}
        chunks = as_chunks(data)
        client = self._client
        upload_id: str | None = None
        done: builtins.list[dict[str, Any]] = []
        try:
            async for part in parts(chunks, self.part_size):
                if upload_id is None and len(part) < self.part_size:  # the first part is the last
                    await self._call("store", key, client.put_object, Key=name, Body=part, **extra)
                    break
                if upload_id is None:
                    started = await self._call(
                        "store", key, client.create_multipart_upload, Key=name, **extra
                    )
                    upload_id = str(started["UploadId"])
                number = len(done) + 1
                answer = await self._call(
                    "store",
                    key,
                    client.upload_part,
                    Key=name,
                    UploadId=upload_id,
                    PartNumber=number,
                    Body=part,
                )
                done.append({"PartNumber": number, "ETag": answer["ETag"]})
            if upload_id is not None:
                await self._call(
                    "store",
                    key,
                    client.complete_multipart_upload,
                    Key=name,
                    UploadId=upload_id,
                    MultipartUpload={"Parts": done},
                )
        except BaseException:
            if upload_id is not None:  # also on cancellation: no parts may stay behind
                await self._abort(name, upload_id)
            raise
        logger.debug("stored %s in s3://%s (%s)", name, self.bucket, content_type)
        return await self.stat(key)

    async def _abort(self, name: str, upload_id: str) -> None:
        try:
            await asyncio.to_thread(
                self._client.abort_multipart_upload, Bucket=self.bucket, Key=name, UploadId=upload_id
            )
        except (BotoCoreError, ClientError) as exc:
            logger.warning("could not abort the upload of %s (swept later): %s", name, exc)

    async def delete(self, key: str) -> None:
        await self._call("delete", key, self._client.delete_object, Key=self._name(key))

    # -- reading -----------------------------------------------------------------------------------

    async def get(self, key: str) -> bytes:
        name = self._name(key)

        def read_all() -> bytes:
            body = self._client.get_object(Bucket=self.bucket, Key=name)["Body"]
            try:
                return bytes(body.read())
            finally:
                body.close()

        try:
            return await asyncio.to_thread(read_all)
        except (BotoCoreError, ClientError) as exc:
            raise storage_error(exc, "read", key) from exc

    async def stream(
        self, key: str, *, chunk_size: int = DEFAULT_CHUNK_SIZE, start: int = 0, stop: int | None = None
    ) -> AsyncIterator[bytes]:
        check_stream(chunk_size, start, stop)
        if stop == start:  # no bytes wanted (S3 would read "bytes=5-4" as the whole object)
            await self.stat(key)
            return
        ranged = (
            {}
            if (start, stop) == (0, None)
            else {"Range": f"bytes={start}-{'' if stop is None else stop - 1}"}
        )
        name = self._name(key)
        try:
            answer = await asyncio.to_thread(self._client.get_object, Bucket=self.bucket, Key=name, **ranged)
        except ClientError as exc:
            if error_code(exc) == "InvalidRange":
                return  # the span starts past the end: nothing to send
            raise storage_error(exc, "read", key) from exc
        except BotoCoreError as exc:
            raise storage_error(exc, "read", key) from exc
        chunks = self._read_body(answer["Body"], key, chunk_size)
        if ranged and not answer.get("ContentRange"):  # a server that ignores Range sent the whole object
            chunks = within(chunks, start, stop)
        async with contextlib.aclosing(chunks):
            async for chunk in chunks:
                yield chunk

    @staticmethod
    async def _read_body(body: Any, key: str, chunk_size: int) -> AsyncGenerator[bytes, None]:
        try:
            while True:
                try:
                    chunk = await asyncio.to_thread(body.read, chunk_size)
                except (BotoCoreError, OSError) as exc:
                    raise StorageUnavailableError(f"reading {key!r} from S3 broke off: {exc}") from exc
                if not chunk:
                    return
                yield chunk
        finally:
            body.close()

    async def stat(self, key: str) -> StoredObject:
        head = await self._call("read", key, self._client.head_object, Key=self._name(key))
        return self._describe(key, head)

    @staticmethod
    def _describe(key: str, head: Mapping[str, Any]) -> StoredObject:
        modified = head.get("LastModified")
        created = modified.astimezone(UTC) if isinstance(modified, datetime) else datetime.now(UTC)
        etag = head.get("ETag")
        return StoredObject(
            key=key,
            size=int(head.get("ContentLength", 0)),
            content_type=str(head.get("ContentType") or DEFAULT_CONTENT_TYPE),
            created=created,
            metadata=decode_metadata(head.get("Metadata") or {}),
            etag=str(etag).strip('"') if etag else None,
        )

    async def _stat_or_none(self, key: str) -> StoredObject | None:
        try:
            return await self.stat(key)
        except NotFoundError:
            return None  # deleted meanwhile

    async def list(self, prefix: str = "") -> AsyncIterator[StoredObject]:
        validate_prefix(prefix)
        paginator = self._client.get_paginator("list_objects_v2")
        pages = iter(paginator.paginate(Bucket=self.bucket, Prefix=self.prefix + prefix))
        while True:
            try:
                page = await asyncio.to_thread(next, pages, None)
            except (BotoCoreError, ClientError) as exc:
                raise storage_error(exc, "list", prefix) from exc
            if page is None:
                return
            keys = []
            for entry in page.get("Contents", []):
                key = str(entry["Key"])[len(self.prefix) :]
                try:
                    keys.append(validate_key(key))
                except InvalidKeyError:
                    continue  # an object some other program stored under a name we never generate
            # S3 lists no content type or metadata: one HEAD per object, a page at a time
            for found in await asyncio.gather(*(self._stat_or_none(k) for k in sorted(keys))):
                if found is not None:
                    yield found

    # -- the rest ------------------------------------------------------------------------------------

    async def url(self, key: str, *, expires_s: int = 3600) -> str | None:
        await super().url(key, expires_s=expires_s)
        name = self._name(key)
        if self.public_base_url is not None:
            return f"{self.public_base_url}/{name}"
        if expires_s > MAX_PRESIGN_S:
            raise BadOptionError(f"presigned S3 URLs live at most {MAX_PRESIGN_S} s; got {expires_s}")
        try:
            url = await asyncio.to_thread(
                self._client.generate_presigned_url,
                "get_object",
                Params={"Bucket": self.bucket, "Key": name},
                ExpiresIn=expires_s,
            )
        except BotoCoreError as exc:
            raise StorageUnavailableError(f"cannot presign a URL for {key!r}: {exc}") from exc
        return str(url)

    async def health(self) -> bool:
        try:
            await self._call("reach the bucket of", self.prefix or "/", self._client.head_bucket)
        except NotFoundError:
            raise StorageUnavailableError(f"S3 bucket {self.bucket!r} does not exist") from None
        return True

    async def sweep_leftovers(
        self, now: datetime, *, older_than: timedelta = LEFTOVER_AGE, prefix: str = ""
    ) -> int:
        """Aborts the multipart uploads under ``prefix`` started at or before ``now - older_than``."""
        cutoff = now - older_than
        paginator = self._client.get_paginator("list_multipart_uploads")
        where = self.prefix + validate_prefix(prefix)

        def stale() -> builtins.list[tuple[str, str]]:
            found = []
            for page in paginator.paginate(Bucket=self.bucket, Prefix=where):
                for upload in page.get("Uploads", []):
                    if upload["Initiated"] <= cutoff:
                        found.append((str(upload["Key"]), str(upload["UploadId"])))
            return found

        try:
            uploads = await asyncio.to_thread(stale)
        except (BotoCoreError, ClientError) as exc:
            raise storage_error(exc, "list the uploads of", self.prefix or "/") from exc
        for name, upload_id in uploads:
            await self._abort(name, upload_id)
        if uploads:
            logger.info("aborted %d unfinished multipart upload(s) in s3://%s", len(uploads), self.bucket)
        return len(uploads)

    async def aclose(self) -> None:
        await asyncio.to_thread(self._client.close)
