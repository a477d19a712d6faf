"""Fixtures: the signing vectors shared with @tidings/sdk, real Tidings servers (the built ``tidings serve``, on
port 0), and receivers on 127.0.0.1 that record what they get."""

from __future__ import annotations

import json
import os
import queue
import re
import shutil
import subprocess
import tempfile
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

REPO = Path(__file__).resolve().parents[3]
FIXTURES = Path(os.environ.get("TIDINGS_VECTORS_DIR", REPO / "packages" / "sdk" / "test" / "fixtures"))
SERVER_CLI = Path(os.environ.get("TIDINGS_SERVER_CLI", REPO / "packages" / "server" / "dist" / "cli" / "main.js"))
API_KEY = "python-test-key-0123456789"
ADMIN_KEY = "python-admin-key-0123456789"


@pytest.fixture(scope="session")
def signing_vectors() -> dict[str, Any]:
    return json.loads((FIXTURES / "signing-vectors.json").read_text())


@pytest.fixture(scope="session")
def standard_vectors() -> dict[str, Any]:
    return json.loads((FIXTURES / "standard-webhooks-vectors.json").read_text())


class Tidings:
    """A ``tidings serve`` child process in dev mode (http receivers on 127.0.0.1 allowed), with fast retries."""

    def __init__(self, env: dict[str, str]) -> None:
        node = os.environ.get("TIDINGS_NODE") or shutil.which("node")
        if node is None or not SERVER_CLI.exists():
            why = f"the Tidings server is not built ({SERVER_CLI}) or node is missing: run `npm run build` first"
            if os.environ.get("TIDINGS_REQUIRE_SERVER") == "1":
                pytest.fail(why)
            pytest.skip(why)
        self._data_dir = tempfile.mkdtemp(prefix="tidings-python-")
        self._process = subprocess.Popen(
            [node, str(SERVER_CLI), "serve"],
            env={
                **os.environ,
                "TIDINGS_PORT": "0",
                "TIDINGS_DEV": "1",
                "TIDINGS_DATA_DIR": self._data_dir,
                "TIDINGS_API_KEY": API_KEY,
                "TIDINGS_ADMIN_KEY": ADMIN_KEY,
                "TIDINGS_RETRY_SCHEDULE": "0.1,0.1,0.2",
                "TIDINGS_LOG_LEVEL": "warn",
                **env,
            },
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        lines: queue.Queue[str] = queue.Queue()
        threading.Thread(target=lambda: [lines.put(line) for line in self._process.stdout], daemon=True).start()  # type: ignore[union-attr]
        output, deadline = [], time.monotonic() + 30
        while True:
            try:
                line = lines.get(timeout=max(0.1, deadline - time.monotonic()))
            except queue.Empty:
                self.close()
                raise RuntimeError("tidings serve did not start:\n" + "".join(output)) from None
            output.append(line)
            listening = re.search(r"Tidings is listening on (\S+)", line)
            if listening:
                self.url = listening.group(1)
                return

    def api(self, method: str, path: str, body: Any = None, key: str = API_KEY) -> Any:
        request = urllib.request.Request(
            f"{self.url}{path}",
            method=method,
            data=None if body is None else json.dumps(body).encode(),
            headers={"x-goog-api-key": key, **({"content-type": "application/json"} if body is not None else {})},
        )
        try:
            with urllib.request.urlopen(request, timeout=10) as response:
                return json.loads(response.read() or b"{}")
        except urllib.error.HTTPError as error:
            raise AssertionError(f"{method} {path}: HTTP {error.code} {error.read().decode()}") from None

    @property
    def jwks_url(self) -> str:
        return f"{self.url}/.well-known/jwks.json"

    def close(self) -> None:
        self._process.terminate()
        try:
            self._process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            self._process.kill()
            self._process.wait()
        shutil.rmtree(self._data_dir, ignore_errors=True)


@pytest.fixture(scope="module")
def tidings() -> Iterator[Tidings]:
    """Dynamic deliveries signed with RS256 JWTs (the default); a rotated key signs at once."""
    server = Tidings({"TIDINGS_JWKS_PROPAGATION_S": "0"})
    yield server
    server.close()


@pytest.fixture(scope="module")
def tidings_v1a() -> Iterator[Tidings]:
    """TIDINGS_DYNAMIC_SIGNING=v1a: dynamic deliveries signed like Gemini's live ones."""
    server = Tidings({"TIDINGS_DYNAMIC_SIGNING": "v1a", "TIDINGS_JWKS_PROPAGATION_S": "0"})
    yield server
    server.close()


@dataclass
class Delivery:
    path: str
    headers: dict[str, str]
    body: bytes


class Recorder:
    """A real HTTP endpoint on 127.0.0.1 that answers 200 and records every request."""

    def __init__(self) -> None:
        self.received: list[Delivery] = []
        self._arrived = threading.Condition()
        recorder = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 (http.server's name)
                body = self.rfile.read(int(self.headers.get("content-length", "0")))
                with recorder._arrived:
                    recorder.received.append(Delivery(self.path, {k.lower(): v for k, v in self.headers.items()}, body))
                    recorder._arrived.notify_all()
                self.send_response(200)
                self.send_header("content-length", "0")
                self.end_headers()

            def log_message(self, *args: Any) -> None:
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self._server.server_port}/hook"
        threading.Thread(target=self._server.serve_forever, daemon=True).start()

    def wait_for(self, count: int, timeout: float = 20.0) -> list[Delivery]:
        with self._arrived:
            if not self._arrived.wait_for(lambda: len(self.received) >= count, timeout):
                raise AssertionError(f"received {len(self.received)} of {count} deliveries in {timeout} s")
            return list(self.received)

    def close(self) -> None:
        self._server.shutdown()
        self._server.server_close()


@pytest.fixture
def recorder() -> Iterator[Recorder]:
    r = Recorder()
    yield r
    r.close()


def complete_operation(server: Tidings, op_type: str = "export", webhook_config: dict | None = None, **done: Any) -> str:
    """Creates a custom operation and completes it; its name."""
    created = server.api("POST", "/v1/operations", {"type": op_type, **({"webhook_config": webhook_config} if webhook_config else {})})
    server.api("POST", f"/v1/{created['name']}:complete", done)
    return created["name"]
