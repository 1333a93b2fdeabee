"""Per-key token buckets: ``burst`` requests at once, refilled at ``per_minute / 60`` a second.

The buckets live in the API process that owns this object (per process, not shared): with N API replicas
behind a load balancer a key can make up to N times its limit. docs/deployment.md says so and how to
size it (divide by N, or route each key to one replica).
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from faceswap.errors import RateLimitedError

MAX_BUCKETS = 100_000
"""Buckets kept at most; full ones are dropped first when there are more (they hold no information)."""


@dataclass
class Bucket:
    tokens: float
    updated: float


@dataclass
class RateLimiter:
    burst: int
    clock: Callable[[], float] = time.monotonic
    buckets: dict[str, Bucket] = field(default_factory=dict)

    def take(self, who: str, per_minute: float) -> None:
        """Spends one token of ``who``'s bucket; ``RateLimitedError`` with ``retry_after`` when empty."""
        now = self.clock()
        rate = per_minute / 60.0
        bucket = self.buckets.get(who)
        if bucket is None:
            if len(self.buckets) >= MAX_BUCKETS:
                self._forget_full(now, rate)
            bucket = self.buckets[who] = Bucket(float(self.burst), now)
        bucket.tokens = min(float(self.burst), bucket.tokens + (now - bucket.updated) * rate)
        bucket.updated = now
        if bucket.tokens < 1.0:
            wait = math.ceil((1.0 - bucket.tokens) / rate)
            raise RateLimitedError(
                f"rate limit of {per_minute:g} requests per minute reached; retry in {wait} s", wait
            )
        bucket.tokens -= 1.0

    def _forget_full(self, now: float, rate: float) -> None:
        for who, bucket in list(self.buckets.items()):
            if bucket.tokens + (now - bucket.updated) * rate >= self.burst:
                del self.buckets[who]
