"""The simulated PDD gateway over real HTTP: ``POST /api/router`` with a form or JSON body, on a
``ThreadingHTTPServer`` in a background thread (pdd-reference §1.1, §1.3: both body types, UTF-8).

``serve()`` generates (or takes) the shop state, binds 127.0.0.1 on a free port by default, and returns the server
and its thread; ``server.base_url`` is the router URL to give a client, ``server.state`` the knobs for tests, and
``stop(server)`` (or ``server.stop()``) shuts it down.
"""

from __future__ import annotations

import json
import logging
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl

from kuaifa.platforms.sim.authorize import authorization_page
from kuaifa.platforms.sim.gateway import Reply, handle
from kuaifa.platforms.sim.generator import generate_shop
from kuaifa.platforms.sim.shop import ShopConfig
from kuaifa.platforms.sim.state import SimState

logger = logging.getLogger(__name__)

ROUTER_PATH = "/api/router"
AUTHORIZE_PATH = "/authorize"
MAX_BODY_BYTES = 1 << 20  # the real gateway refuses large bodies (52004); 1 MiB is the simulator's bound


class SimGatewayServer(ThreadingHTTPServer):
    """The HTTP server; every request thread shares ``state``."""

    daemon_threads = True
    block_on_close = False

    def __init__(self, address: tuple[str, int], state: SimState) -> None:
        super().__init__(address, _RouterHandler)
        self.state = state

    @property
    def port(self) -> int:
        return int(self.server_address[1])

    @property
    def base_url(self) -> str:
        host, port = self.socket.getsockname()[:2]
        return f"http://{host}:{port}{ROUTER_PATH}"

    @property
    def authorize_url(self) -> str:
        """The service-market authorisation page a merchant is sent to (real PDD: mms.pinduoduo.com/open.html)."""
        host, port = self.socket.getsockname()[:2]
        return f"http://{host}:{port}{AUTHORIZE_PATH}"

    def stop(self) -> None:
        """Stop serving and release the socket."""
        self.shutdown()
        self.server_close()


class _RouterHandler(BaseHTTPRequestHandler):
    server: SimGatewayServer
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True  # keep-alive answers go out at once, not after a delayed ACK

    def do_GET(self) -> None:
        """The merchant's authorisation page (授权): ``/authorize?client_id=…&redirect_uri=…&state=…``."""
        path, _, query = self.path.partition("?")
        if path != AUTHORIZE_PATH:
            self._send(Reply(404, b'{"error":"not found"}'))
            return
        answer = authorization_page(self.server.state, dict(parse_qsl(query)))
        if isinstance(answer, str):  # agreed: back to the app with the code
            self.send_response(302)
            self.send_header("Location", answer)
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        self._send(answer)

    def do_POST(self) -> None:
        if self.path.split("?", 1)[0] != ROUTER_PATH:
            self._send(Reply(404, b'{"error":"not found"}'))
            return
        length = int(self.headers.get("Content-Length") or 0)
        if length > MAX_BODY_BYTES:
            self._send(Reply(413, b'{"error":"request body too large"}'))
            return
        body = self.rfile.read(length)
        try:
            raw = _decode(body, self.headers.get("Content-Type") or "")
        except ValueError as exc:
            self._send(Reply(400, json.dumps({"error": str(exc)}).encode()))
            return
        self._send(handle(self.server.state, raw))

    def _send(self, reply: Reply) -> None:
        try:
            self.send_response(reply.status)
            self.send_header("Content-Type", reply.content_type)
            self.send_header("Content-Length", str(len(reply.body)))
            self.end_headers()
            self.wfile.write(reply.body)
        except (BrokenPipeError, ConnectionResetError):
            logger.debug("client went away before the answer (e.g. it timed out on an injected delay)")

    def log_message(self, format: str, *args: Any) -> None:
        logger.debug("sim gateway: " + format, *args)


def _decode(body: bytes, content_type: str) -> dict[str, object]:
    text = body.decode("utf-8")
    if content_type.split(";", 1)[0].strip().lower() == "application/json":
        payload = json.loads(text or "{}")
        if not isinstance(payload, dict):
            raise ValueError("a JSON body must be an object")
        return payload
    return dict(parse_qsl(text, keep_blank_values=True))


def serve(
    host: str = "127.0.0.1",
    port: int = 0,
    seed: int = 1,
    *,
    state: SimState | None = None,
    config: ShopConfig | None = None,
    now: float | None = None,
) -> tuple[SimGatewayServer, threading.Thread]:
    """Start the simulator in a background thread; returns the server (bound port in ``server.port``) and thread.

    Without ``state`` a shop is generated from ``config`` (or ``ShopConfig(seed=seed)``), with the clock frozen at
    ``now`` (default: four days after the generated days, when every case generated has opened).
    """
    if state is None:
        state = SimState(generate_shop(config or ShopConfig(seed=seed)), now=now)
    server = SimGatewayServer((host, port), state)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.name = f"pdd-sim-{server.port}"
    thread.start()
    return server, thread


def stop(server: SimGatewayServer) -> None:
    """Stop a server started by :func:`serve`."""
    server.stop()
