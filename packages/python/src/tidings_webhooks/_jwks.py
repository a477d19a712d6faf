"""The server's JSON Web Key Set, fetched once and kept, fetched again when a delivery names a key it lacks."""

from __future__ import annotations

import json
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from typing import Any

from .errors import KeySetUnavailableError

__all__ = ["JwksCache"]


class JwksCache:
    """The keys of a JWKS URL (or of a JWKS given as a dict, which is never fetched).

    As ``jose`` does for the TypeScript SDK: the set is kept ``max_age`` seconds (600), and fetched again when a
    token names a ``kid`` it lacks, or no key verifies a ``v1a`` signature (which names none), but at most once
    per ``cooldown`` seconds (30), so forged deliveries cannot make it hammer the server. Thread-safe.
    """

    def __init__(
        self,
        url: str | None = None,
        *,
        keys: dict[str, Any] | None = None,
        max_age: float = 600.0,
        cooldown: float = 30.0,
        timeout: float = 5.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        if (url is None) == (keys is None):
            raise TypeError("give a JWKS url or its keys, not both")
        self.url = url
        self._max_age = max_age
        self._cooldown = cooldown
        self._timeout = timeout
        self._clock = clock
        self._lock = threading.Lock()
        self._keys: list[dict[str, Any]] | None = None if keys is None else _key_list(keys, "the jwks given")
        self._fetched_at = float("-inf")
        #: How many times the set was fetched (for tests and metrics).
        self.fetch_count = 0

    def keys(self) -> list[dict[str, Any]]:
        """The keys, fetched if none are held or they are older than ``max_age``."""
        with self._lock:
            if self.url is not None and (self._keys is None or self._clock() - self._fetched_at >= self._max_age):
                self._fetch()
            return list(self._keys or [])

    def refresh(self) -> bool:
        """Fetches the set again unless it was fetched within the cooldown (or is a dict); whether it did."""
        with self._lock:
            if self.url is None or self._clock() - self._fetched_at < self._cooldown:
                return False
            self._fetch()
            return True

    def key_for(self, kid: str | None) -> dict[str, Any] | None:
        """The key named ``kid``, fetching the set again (within the cooldown) if it is not there."""
        found = [k for k in self.keys() if k.get("kid") == kid]
        if not found and self.refresh():
            found = [k for k in self.keys() if k.get("kid") == kid]
        return found[0] if found else None

    def _fetch(self) -> None:
        assert self.url is not None
        self.fetch_count += 1
        try:
            with urllib.request.urlopen(self.url, timeout=self._timeout) as response:
                document = json.loads(response.read().decode("utf-8"))
        except (OSError, urllib.error.URLError, ValueError) as error:
            raise KeySetUnavailableError(f"could not load the JWKS from {self.url}: {error}") from error
        self._keys = _key_list(document, self.url)
        self._fetched_at = self._clock()


def _key_list(document: Any, source: str) -> list[dict[str, Any]]:
    keys = document.get("keys") if isinstance(document, dict) else None
    if not isinstance(keys, list) or not all(isinstance(k, dict) for k in keys):
        raise KeySetUnavailableError(f"{source} is not a JSON Web Key Set")
    return keys


_CACHES: dict[str, JwksCache] = {}
_CACHES_MAX = 32
_CACHES_LOCK = threading.Lock()


def shared_cache(url: str) -> JwksCache:
    """One cache per URL for the whole process, so ``verify_webhook(…, jwks=url)`` fetches the set once."""
    with _CACHES_LOCK:
        cache = _CACHES.get(url)
        if cache is None:
            if len(_CACHES) >= _CACHES_MAX:
                _CACHES.pop(next(iter(_CACHES)))
            cache = _CACHES[url] = JwksCache(url)
        return cache
