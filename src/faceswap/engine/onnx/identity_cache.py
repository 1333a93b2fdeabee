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
        """The stacked rows of ``identities`` (distinct objects; read-only), ``make`` called once for those
        not held."""
        found = [self._get(identity) for identity in identities]
        missing = [identity for identity, row in zip(identities, found, strict=True) if row is None]
        if not missing:
            return np.stack([row for row in found if row is not None])
        made = make(missing)
        made.flags.writeable = False  # the cache keeps views of it
        self._put(missing, made)
        if len(missing) == len(identities):
            return made
        fresh = iter(made)
        return np.stack([row if row is not None else next(fresh) for row in found])

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

    def _put(self, identities: Sequence[Identity], rows: NDArray[np.float32]) -> None:
        with self._lock:
            for identity, row in zip(identities, rows, strict=True):
                self._entries[id(identity)] = (weakref.ref(identity), row)
                self._entries.move_to_end(id(identity))
            while len(self._entries) > self.capacity:
                self._entries.popitem(last=False)
