"""Flask: ``app.add_url_rule("/hooks/tidings", view_func=flask_view(receiver), methods=["POST"])``."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask import jsonify, request

from ._receiver import WebhookReceiver

__all__ = ["flask_view"]


def flask_view(receiver: WebhookReceiver, endpoint: str = "tidings_webhook") -> Callable[[], Any]:
    """A view that verifies the delivery, queues it and answers at once (see :class:`WebhookReceiver`)."""

    def view() -> Any:
        status, payload = receiver.receive(request.get_data(cache=False), request.headers, request.url)
        return jsonify(payload), status

    view.__name__ = endpoint
    return view
