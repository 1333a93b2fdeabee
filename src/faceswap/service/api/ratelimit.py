"""Per-key rate limits with the ``limits`` library, shared between API replicas through Redis.

A key may make ``burst`` requests in any window of ``burst / per_minute`` minutes (a moving window,
:func:`window`): ``burst`` at once, ``per_minute`` a minute on average. Where the windows live
(:func:`storage_url`): ``service.rate_limit_storage_url`` when set; otherwise the queue's Redis when the
queue is on Redis, so that N replicas spend one budget per key; otherwise this process's memory.

When Redis cannot be reached the limiter fails open: the request passes, a warning is logged, and Redis
is not asked again for :data:`RETRY_S` (requests pass unlimited meanwhile), so an outage of the limiter's
store neither refuses traffic nor slows every request by a connection timeout.
"""

from __future__ import annotations

import logging
import math
import time
from collections.abc import Callable
from urllib.parse import urlsplit

from limits import RateLimitItem, RateLimitItemPerSecond
from limits.aio.storage import MemoryStorage, RedisStorage
from limits.aio.strategies import MovingWindowRateLimiter
from limits.errors import StorageError
from redis.asyncio import ConnectionPool

from faceswap.config import Settings
from faceswap.errors import BadOptionError, RateLimitedError
from faceswap.redact import redact

logger = logging.getLogger(__name__)

REDIS_SCHEMES = frozenset({"redis", "rediss", "unix"})
MEMORY_URL = "memory://"
STORAGE_TIMEOUT_S = 0.5
"""Longest a Redis connect or command may take before the limiter counts Redis as down."""
RETRY_S = 5.0
"""How long the limiter lets requests through without asking Redis after Redis failed."""


def storage_url(settings: Settings) -> str:
    """Where the windows live: the setting, else the queue's Redis, else ``memory://``."""
    if configured := settings.service.rate_limit_storage_url.strip():
        return configured
    queue = settings.queue.url
    if queue and urlsplit(queue).scheme.lower() in REDIS_SCHEMES:
        return queue
    return MEMORY_URL


def window(burst: int, per_minute: float) -> RateLimitItem:
    """``burst`` requests per ``60 * burst / per_minute`` seconds, in whole seconds (at least one).

    Below one second the window is one second and its amount ``per_minute / 60``, so the rate stays right.
    """
    seconds = max(1, math.floor(60.0 * burst / per_minute + 0.5))
    amount = max(1, math.floor(per_minute * seconds / 60.0 + 0.5))
    return RateLimitItemPerSecond(amount, seconds)


class RateLimiter:
    """Moving windows per key in memory or Redis; :meth:`take` spends one request of a key."""

    def __init__(
        self,
        url: str,
        burst: int,
        *,
        prefix: str = "faceswap:ratelimit",
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.url = url
        self.burst = burst
        self.clock = clock
        self.shared = url != MEMORY_URL
        self._pool: ConnectionPool | None = None
        self._down_until = 0.0
        scheme = urlsplit(url).scheme.lower()
        if url == MEMORY_URL:
            self._storage: MemoryStorage | RedisStorage = MemoryStorage()
        elif scheme in REDIS_SCHEMES:
            self._pool = ConnectionPool.from_url(
                url, socket_connect_timeout=STORAGE_TIMEOUT_S, socket_timeout=STORAGE_TIMEOUT_S
            )
            self._storage = RedisStorage(
                "async+redis://",
                implementation="redispy",
                wrap_exceptions=True,
                key_prefix=prefix,
                connection_pool=self._pool,  # type: ignore[arg-type]
            )
        else:
            raise BadOptionError(
                f"rate-limit storage {redact(url)!r}: use memory:// or a redis://, rediss:// or unix:// URL"
            )
        self._limiter = MovingWindowRateLimiter(self._storage)

    @classmethod
    def from_settings(cls, settings: Settings) -> RateLimiter:
        return cls(
            storage_url(settings),
            settings.service.rate_limit_burst,
            prefix=f"faceswap:{settings.queue.name}:ratelimit",
        )

    async def take(self, who: str, per_minute: float) -> None:
        """Spends one request of ``who``; ``RateLimitedError`` with ``retry_after`` when none is left."""
        if self.clock() < self._down_until:
            return
        item = window(self.burst, per_minute)
        try:
            if await self._limiter.hit(item, who):
                self._recovered()
                return
            reset = (await self._limiter.get_window_stats(item, who)).reset_time
        except StorageError as exc:
            self._failed(exc)
            return
        self._recovered()
        wait = max(1, math.ceil(reset - time.time()))
        raise RateLimitedError(
            f"rate limit of {per_minute:g} requests per minute reached; retry in {wait} s", wait
        )

    def _failed(self, exc: StorageError) -> None:
        self._down_until = self.clock() + RETRY_S
        logger.warning(
            "rate-limit storage %s unreachable (%s); requests pass unlimited, retrying in %g s",
            redact(self.url),
            type(exc.storage_error).__name__,
            RETRY_S,
        )

    def _recovered(self) -> None:
        if self._down_until:
            self._down_until = 0.0
            logger.warning("rate-limit storage %s reachable again; limits apply", redact(self.url))

    async def aclose(self) -> None:
        if self._pool is not None:
            await self._pool.aclose()
