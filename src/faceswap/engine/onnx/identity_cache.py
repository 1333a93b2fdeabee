"""A small cache of per-identity model inputs, keyed by the :class:`Identity` object itself.

An identity is immutable, so the same object always gives the same input: an image-source swapper crops
and normalises a source photo once per identity instead of once per face or per video batch. Entries are
found by the object's ``id`` and checked through a weak reference (a dead identity's ``id`` can be reused
by a new one; it is then a miss). The last ``capacity`` identities are kept, least recently used first out.
"""

from __future__ import annotations

import threading
import weakref
from collections import OrderedDict
from collections.abc import Callable, Sequence

import numpy as np
from numpy.typing import NDArray

from faceswap.engine.types import Identity

Rows = Callable[[Sequence[Identity]], NDArray[np.float32]]
"""Identities in, one input row each (N x ...)."""


class IdentityCache:
    """One read-only input row per identity, made by ``make`` for the identities not yet held."""

    def __init__(self, capacity: int = 8) -> None:
        if capacity < 1:
            raise ValueError("an identity cache holds at least one entry")
        self.capacity = capacity
        self._entries: OrderedDict[int, tuple[weakref.ref[Identity], NDArray[np.float32]]] = OrderedDict()
        self._lock = threading.Lock()

    def rows(self, identities: Sequence[Identity], make: Rows) -> NDArray[np.float32]:
        """The rows of ``identities`` (distinct objects) stacked, read-only; ``make`` is called once, for
        those not held. One identity, or all of them made in this call, are returned without a copy."""
        found = [self._get(identity) for identity in identities]
        missing = [identity for identity, row in zip(identities, found, strict=True) if row is None]
        if missing:
            made = make(missing)
            made.flags.writeable = False  # the cache keeps views of it
            fresh = iter(self._put(missing, made))
            if len(missing) == len(identities):
                return made
            found = [row if row is not None else next(fresh) for row in found]
        held = [row for row in found if row is not None]
        if len(held) == 1:
            return held[0]
        stacked = np.concatenate(held)
        stacked.flags.writeable = False
        return stacked

    def __len__(self) -> int:
        return len(self._entries)

    def _get(self, identity: Identity) -> NDArray[np.float32] | None:
        key = id(identity)
        with self._lock:
            entry = self._entries.get(key)
            if entry is None or entry[0]() is not identity:
                return None
            self._entries.move_to_end(key)
            return entry[1]

    def _put(self, identities: Sequence[Identity], rows: NDArray[np.float32]) -> list[NDArray[np.float32]]:
        """Keeps row i (as a 1-row view) for ``identities[i]``; returns those views."""
        views = [rows[i : i + 1] for i in range(len(identities))]
        with self._lock:
            for identity, view in zip(identities, views, strict=True):
                self._entries[id(identity)] = (weakref.ref(identity), view)
                self._entries.move_to_end(id(identity))
            while len(self._entries) > self.capacity:
                self._entries.popitem(last=False)
        return views
