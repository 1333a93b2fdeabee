"""Retention: delete uploads and results once they are older than their configured age."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from faceswap.config import StorageSettings
from faceswap.errors import BadOptionError
from faceswap.storage.base import Storage
from faceswap.storage.keys import RESULTS_PREFIX, UPLOADS_PREFIX, validate_prefix

logger = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class RetentionRule:
    """Objects under ``prefix`` are deleted once older than ``max_age_hours`` (``0``: kept forever)."""

    prefix: str
    max_age_hours: float

    def __post_init__(self) -> None:
        if not self.prefix:
            raise BadOptionError("a retention rule needs a prefix such as 'uploads/'")
        validate_prefix(self.prefix)
        if not self.max_age_hours >= 0:
            raise BadOptionError(f"retention hours must be 0 (forever) or more; got {self.max_age_hours}")

    @property
    def max_age(self) -> timedelta | None:
        return timedelta(hours=self.max_age_hours) if self.max_age_hours > 0 else None


def retention_rules(settings: StorageSettings) -> tuple[RetentionRule, ...]:
    """The rules the settings configure: inputs under ``uploads/``, outputs under ``results/``."""
    return (
        RetentionRule(UPLOADS_PREFIX, settings.inputs_retention_hours),
        RetentionRule(RESULTS_PREFIX, settings.results_retention_hours),
    )


async def cleanup_expired(storage: Storage, now: datetime, rules: Sequence[RetentionRule]) -> int:
    """Deletes every object older than its rule's age at ``now`` (timezone-aware); the number deleted.
    (The leftovers of interrupted writes are swept apart: :meth:`Storage.sweep_leftovers`.)"""
    if now.tzinfo is None:
        raise BadOptionError("cleanup_expired needs a timezone-aware 'now'")
    deleted = 0
    for rule in rules:
        max_age = rule.max_age
        if max_age is None:
            continue
        cutoff = now - max_age
        expired = [obj.key async for obj in storage.list(rule.prefix) if obj.created < cutoff]
        deleted += await storage.delete_all(expired)
        if expired:
            logger.info(
                "retention: deleted %d object(s) under %s older than %s", len(expired), rule.prefix, max_age
            )
    return deleted
