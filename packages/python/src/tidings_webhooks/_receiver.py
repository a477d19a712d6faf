"""A receiver: verify, answer at once, run the handler in the background with retries, drop duplicates."""

from __future__ import annotations

import asyncio
import inspect
import logging
import threading
import time
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

from ._dedup import DedupStore, MemoryDedupStore
from ._headers import Headers, get_header
from ._keys import decode_public_key, decode_secret
from ._verify import DEFAULT_TOLERANCE_SECONDS, Jwks, Keys, verify_webhook
from .errors import KeySetUnavailableError, WebhookVerificationError

__all__ = ["HandlerContext", "WebhookReceiver"]

log = logging.getLogger("tidings_webhooks")


@dataclass(frozen=True)
class HandlerContext:
    #: The delivery's ``webhook-id``: the same for every retry and redelivery of one event.
    webhook_id: str
    #: 1 for the first run, 2 for the first retry, …
    attempt: int


Handler = Callable[[dict, HandlerContext], Any]


def _backoff(attempt: int) -> float:
    return min(30.0, 0.1 * 2 ** (attempt - 1))


class WebhookReceiver:
    """Framework-neutral: ``receive(body, headers, url)`` answers ``(status, json_body)`` within milliseconds.

    It verifies the delivery (400 when it does not verify; 503 when the JWKS cannot be fetched, so Tidings
    retries), answers 200 ``{"status": "duplicate"}`` for a ``webhook-id`` already accepted, and otherwise queues
    the event and answers 202 ``{"status": "accepted"}``. The handler (a function or a coroutine function) runs on
    a thread pool, retried with backoff up to ``max_attempts`` runs; if it never succeeds its id is forgotten, so
    Tidings' next retry or a redelivery runs it again. Give the same keyword arguments as
    :func:`~tidings_webhooks.verify_webhook`; with ``jwks`` and no ``audience`` the request's URL is the audience.
    """

    def __init__(
        self,
        handler: Handler,
        *,
        secret: Keys | None = None,
        public_key: Keys | None = None,
        jwks: Jwks | None = None,
        audience: str | None = None,
        issuer: str | None = None,
        tolerance: float = DEFAULT_TOLERANCE_SECONDS,
        dedup: DedupStore | None = None,
        dedup_ttl: float = 24 * 3600.0,
        max_workers: int = 8,
        max_attempts: int = 5,
        retry_delay: Callable[[int], float] = _backoff,
        max_pending: int = 10_000,
    ) -> None:
        if sum(k is not None for k in (secret, public_key, jwks)) != 1:
            raise TypeError("give secret, public_key or jwks: one of them")
        # Checked now, so a mistake stops the application at start-up rather than failing every delivery.
        for value in [secret] if isinstance(secret, str) else secret or []:
            decode_secret(value)
        for value in [public_key] if isinstance(public_key, str) else public_key or []:
            decode_public_key(value)
        self._verify_options = {"secret": secret, "public_key": public_key, "jwks": jwks, "issuer": issuer, "tolerance": tolerance}
        self._audience = audience
        self._handler = handler
        self._dedup = dedup if dedup is not None else MemoryDedupStore()
        self._dedup_ttl = dedup_ttl
        self._max_attempts = max_attempts
        self._retry_delay = retry_delay
        self._max_pending = max_pending
        self._pool = ThreadPoolExecutor(max_workers=max_workers, thread_name_prefix="tidings-webhooks")
        self._pending: set[Future[None]] = set()
        self._lock = threading.Lock()
        self._closed = False

    def receive(self, body: bytes | str, headers: Headers, url: str | None = None) -> tuple[int, dict[str, Any]]:
        if self._closed:
            return 503, _error("shutting_down", "receiver is shutting down")
        options = dict(self._verify_options)
        if options["jwks"] is not None:
            options["audience"] = self._audience if self._audience is not None else url
        try:
            event = verify_webhook(body, headers, **options)
        except KeySetUnavailableError as error:
            return 503, _error(error.code, str(error))
        except WebhookVerificationError as error:
            return 400, _error(error.code, str(error))
        webhook_id = get_header(headers, "webhook-id") or ""
        with self._lock:
            if len(self._pending) >= self._max_pending:
                return 503, _error("queue_full", "too many events in flight; retry later")
        if not self._dedup.claim(webhook_id, self._dedup_ttl):
            return 200, {"status": "duplicate"}
        future = self._pool.submit(self._run, event, webhook_id)
        with self._lock:
            self._pending.add(future)
        future.add_done_callback(self._forget)
        return 202, {"status": "accepted"}

    def drain(self, timeout: float | None = None) -> None:
        """Waits until every queued event has been handled or given up."""
        deadline = None if timeout is None else time.monotonic() + timeout
        while True:
            with self._lock:
                pending = list(self._pending)
            if not pending:
                return
            for future in pending:
                future.exception(None if deadline is None else max(0.0, deadline - time.monotonic()))

    def close(self) -> None:
        """Refuses new deliveries (503: Tidings retries them later), then waits for the queued ones."""
        self._closed = True
        self.drain()
        self._pool.shutdown(wait=True)

    def _run(self, event: dict, webhook_id: str) -> None:
        for attempt in range(1, self._max_attempts + 1):
            try:
                result = self._handler(event, HandlerContext(webhook_id, attempt))
                if inspect.isawaitable(result):
                    asyncio.run(_awaited(result))
                return
            except Exception:
                if attempt == self._max_attempts:
                    log.exception("tidings webhook handler failed for good: %s (%s)", webhook_id, event.get("type"))
                    self._dedup.release(webhook_id)
                    return
                time.sleep(self._retry_delay(attempt))

    def _forget(self, future: Future[None]) -> None:
        with self._lock:
            self._pending.discard(future)


async def _awaited(awaitable: Any) -> Any:
    return await awaitable


def _error(code: str, message: str) -> dict[str, Any]:
    return {"error": {"code": code, "message": message}}
