"""Chunks of bytes: what ``put`` receives (shared by the backends that upload over a network), and a span of
a stream for a backend that cannot ask for one."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncGenerator, AsyncIterable, AsyncIterator
from pathlib import Path
from typing import Final

from faceswap.errors import BadOptionError, InputTooLargeError, NotFoundError
from faceswap.storage.base import PutData

FILE_READ_SIZE: Final = 1024 * 1024


def as_chunks(data: PutData) -> AsyncIterable[bytes]:
    """``data`` as an async iterable of chunks; ``BadOptionError`` for anything ``put`` does not take."""
    if isinstance(data, bytes | bytearray | memoryview):
        return _single(bytes(data))
    if isinstance(data, Path):
        return _file_chunks(data)
    if isinstance(data, AsyncIterable):
        return data
    raise BadOptionError(f"put takes bytes, a Path or an async iterator of bytes; got {type(data)}")


def checked(chunk: object) -> bytes | bytearray | memoryview:
    """``chunk`` when it is bytes-like; ``BadOptionError`` otherwise."""
    if not isinstance(chunk, bytes | bytearray | memoryview):
        raise BadOptionError(f"put's iterator must yield bytes; got {type(chunk).__name__}")
    return chunk


async def parts(chunks: AsyncIterable[bytes], part_size: int) -> AsyncIterator[bytes]:
    """The chunks regrouped into parts of exactly ``part_size`` bytes (the last one may be shorter,
    and is yielded even when empty if nothing came at all)."""
    buffer = bytearray()
    sent = False
    async for chunk in chunks:
        buffer += checked(chunk)
        while len(buffer) >= part_size:
            yield bytes(buffer[:part_size])
            del buffer[:part_size]
            sent = True
    if buffer or not sent:
        yield bytes(buffer)


async def gather(chunks: AsyncIterable[bytes], *, limit: int | None = None) -> bytes:
    """Every chunk joined; ``limit`` bytes at most (``InputTooLargeError`` past it)."""
    buffer = bytearray()
    async for chunk in chunks:
        buffer += checked(chunk)
        if limit is not None and len(buffer) > limit:
            raise InputTooLargeError(f"the data is larger than this storage takes ({limit} bytes)")
    return bytes(buffer)


async def _single(data: bytes) -> AsyncIterator[bytes]:
    yield data


async def _file_chunks(source: Path) -> AsyncIterator[bytes]:
    try:
        handle = await asyncio.to_thread(source.open, "rb")
    except OSError as exc:
        raise NotFoundError(f"cannot read {source}: {exc.strerror or exc}") from exc
    try:
        while chunk := await asyncio.to_thread(handle.read, FILE_READ_SIZE):
            yield chunk
    finally:
        handle.close()


async def within(chunks: AsyncIterable[bytes], start: int, stop: int | None) -> AsyncGenerator[bytes, None]:
    """The bytes ``start`` up to ``stop`` (None: the end) of the whole object ``chunks`` gives, the ones
    before read and dropped; the first chunk is always read (a missing object raises even for no bytes)."""
    offset = 0
    async for chunk in chunks:
        begin, offset = offset, offset + len(chunk)
        if stop is not None and begin >= stop:
            return
        piece = chunk[max(0, start - begin) : len(chunk) if stop is None else stop - begin]
        if piece:
            yield piece
        if stop is not None and offset >= stop:
            return
