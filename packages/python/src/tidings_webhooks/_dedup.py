"""Which ``webhook-id``s were accepted: Tidings delivers at least once, with the same id on every retry."""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from typing import Protocol

__all__ = ["DedupStore", "MemoryDedupStore"]


class DedupStore(Protocol):
    """Claim-then-process. Backed by Redis, ``claim`` is one ``SET key 1 NX EX ttl`` shared by every process."""

    def claim(self, webhook_id: str, ttl: float) -> bool:
        """Records ``webhook_id`` for ``ttl`` seconds; True if it was not recorded already. Must be atomic."""
        ...

    def release(self, webhook_id: str) -> None:
        """Forgets ``webhook_id`` after its handler failed for good, so a retry or redelivery runs it again."""
        ...


class MemoryDedupStore:
    """In-process and thread-safe: right for one process (several behind a load balancer need a shared store)."""

    def __init__(self, max_entries: int = 100_000, clock: Callable[[], float] = time.monotonic) -> None:
        self._expiries: OrderedDict[str, float] = OrderedDict()
        self._max_entries = max_entries
        self._clock = clock
        self._lock = threading.Lock()

    def __len__(self) -> int:
        return len(self._expiries)

    def claim(self, webhook_id: str, ttl: float) -> bool:
        now = self._clock()
        with self._lock:
            # One TTL for all ids: insertion order is expiry order, so only the front ever expires.
            while self._expiries and next(iter(self._expiries.values())) <= now:
                self._expiries.popitem(last=False)
            if webhook_id in self._expiries:
                return False
            if len(self._expiries) >= self._max_entries:
                self._expiries.popitem(last=False)
            self._expiries[webhook_id] = now + ttl
            return True

    def release(self, webhook_id: str) -> None:
        with self._lock:
            self._expiries.pop(webhook_id, None)
