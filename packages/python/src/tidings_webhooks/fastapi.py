"""FastAPI (or Starlette): ``app.add_api_route("/hooks/tidings", fastapi_endpoint(receiver), methods=["POST"])``."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse

from ._receiver import WebhookReceiver

__all__ = ["fastapi_endpoint"]


def fastapi_endpoint(receiver: WebhookReceiver) -> Callable[[Request], Awaitable[JSONResponse]]:
    """An endpoint that verifies the delivery, queues it and answers at once (see :class:`WebhookReceiver`).
    Verifying may fetch the JWKS, so it runs off the event loop."""

    async def tidings_webhook(request: Request) -> JSONResponse:
        body = await request.body()
        status, payload = await run_in_threadpool(receiver.receive, body, request.headers, str(request.url))
        return JSONResponse(payload, status_code=status)

    return tidings_webhook
