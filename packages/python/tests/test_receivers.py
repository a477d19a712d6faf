"""The FastAPI and Flask helpers, receiving real deliveries from Tidings over HTTP: they answer before the
handler ends, run it once per event (a redelivery is a duplicate), and refuse what does not verify."""

from __future__ import annotations

import threading
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from typing import Any

import pytest
import uvicorn
from conftest import Tidings, complete_operation
from fastapi import FastAPI
from flask import Flask
from werkzeug.serving import make_server

from tidings_webhooks import HandlerContext, WebhookReceiver
from tidings_webhooks.fastapi import fastapi_endpoint
from tidings_webhooks.flask import flask_view


def wait_until(check: Any, timeout: float = 20.0) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        if time.monotonic() > deadline:
            raise AssertionError("timed out")
        time.sleep(0.02)


class FlaskServer:
    def __init__(self, app: Flask) -> None:
        self._server = make_server("127.0.0.1", 0, app, threaded=True)
        self.url = f"http://127.0.0.1:{self._server.server_port}/hooks/tidings"
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    def start(self) -> None:
        self._thread.start()

    def close(self) -> None:
        self._server.shutdown()


@pytest.fixture
def flask_server() -> Iterator[tuple[Flask, FlaskServer]]:
    app = Flask(__name__)
    server = FlaskServer(app)
    yield app, server
    server.close()


def test_flask_acks_before_the_handler_ends_and_runs_it_once_per_event(tidings: Tidings, flask_server: tuple[Flask, FlaskServer]) -> None:
    app, server = flask_server
    hook = tidings.api("POST", "/v1/webhooks", {"uri": server.url, "subscribed_events": ["export.*"]})
    release, handled = threading.Event(), []

    def handler(event: dict, context: HandlerContext) -> None:
        release.wait(30)
        handled.append((event["type"], context.webhook_id))

    receiver = WebhookReceiver(handler, secret=hook["new_signing_secret"])
    app.add_url_rule("/hooks/tidings", view_func=flask_view(receiver), methods=["POST"])
    server.start()

    complete_operation(tidings)
    [event] = tidings.api("GET", "/v1/events?type=export.succeeded")["events"][-1:]
    # Acknowledged (202) and recorded as delivered while the handler is still waiting.
    wait_until(lambda: tidings.api("GET", f"/v1/events/{event['id']}")["deliveries"][0]["state"] == "succeeded")
    assert handled == []
    release.set()
    receiver.drain(10)
    assert handled == [("export.succeeded", event["id"])]

    # The same event again (same webhook-id): acknowledged as a duplicate, not handled twice.
    tidings.api("POST", f"/v1/events/{event['id']}:redeliver", {})
    wait_until(lambda: len(tidings.api("GET", f"/v1/events/{event['id']}")["deliveries"]) == 2)
    wait_until(lambda: all(d["state"] == "succeeded" for d in tidings.api("GET", f"/v1/events/{event['id']}")["deliveries"]))
    receiver.drain(10)
    assert handled == [("export.succeeded", event["id"])]
    statuses = sorted(d["last_status_code"] for d in tidings.api("GET", f"/v1/events/{event['id']}")["deliveries"])
    assert statuses == [200, 202]

    # A forged request is refused and never reaches the handler.
    forged = urllib.request.Request(
        server.url,
        data=b'{"type":"export.succeeded","version":"v1","timestamp":"2026-01-01T00:00:00Z","data":{"id":"operations/x"}}',
        headers={"webhook-id": "msg_forged", "webhook-timestamp": str(int(time.time())), "webhook-signature": "v1,AAAA", "content-type": "application/json"},
    )
    with pytest.raises(urllib.error.HTTPError) as refused:
        urllib.request.urlopen(forged, timeout=10)
    assert refused.value.code == 400
    receiver.close()
    assert len(handled) == 1


def test_fastapi_verifies_a_dynamic_jwt_against_the_url_it_was_posted_to(tidings: Tidings) -> None:
    handled: list[dict] = []

    async def handler(event: dict, context: HandlerContext) -> None:
        handled.append(event)

    receiver = WebhookReceiver(handler, jwks=tidings.jwks_url)
    app = FastAPI()
    app.add_api_route("/hooks/tidings", fastapi_endpoint(receiver), methods=["POST"])
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=0, log_level="warning", lifespan="off"))
    server.install_signal_handlers = lambda: None  # type: ignore[method-assign]
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    try:
        wait_until(lambda: server.started)
        port = server.servers[0].sockets[0].getsockname()[1]
        url = f"http://127.0.0.1:{port}/hooks/tidings"
        # No audience given: each token is checked against the URL it arrived at, which must be the target's.
        name = complete_operation(tidings, "render", {"uris": [url, f"{url}?copy=1"]})
        wait_until(lambda: len(handled) == 1 and len(tidings.api("GET", "/v1/events?type=render.succeeded")["events"]) > 0)
        receiver.drain(10)
        assert [e["data"]["id"] for e in handled] == [name]
        event = tidings.api("GET", "/v1/events?type=render.succeeded")["events"][-1]
        wait_until(lambda: all(d["state"] == "succeeded" for d in tidings.api("GET", f"/v1/events/{event['id']}")["deliveries"]))
        # Both targets got the same webhook-id: the second is a duplicate, the handler ran once.
        assert sorted(d["last_status_code"] for d in tidings.api("GET", f"/v1/events/{event['id']}")["deliveries"]) == [200, 202]
    finally:
        server.should_exit = True
        thread.join(10)
        receiver.close()
