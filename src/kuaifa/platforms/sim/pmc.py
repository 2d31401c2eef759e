"""The simulated PDD push-message server (PMC, pdd-reference §5) over a real websocket on a background thread.

What it keeps of the platform's rules:

* The path is ``/message/{client_id}/{timestamp_ms}/{sign}`` with ``sign = base64(lowercase_hex(md5(client_id +
  timestamp_ms + client_secret)))``, URL-encoded. A wrong client or sign is accepted at the websocket level and then
  closed with :data:`CLOSE_AUTH_FAILED` (the real close code is not documented; this one is the simulator's).
* Messages are ``Common`` frames with int64 ids (by default starting at 2^53 + 1, which no float can hold) and a
  JSON-string ``content`` shaped like §5's examples.
* A message stays pending until the client ACKs it with its id, type and mallID; pending messages are sent again
  after ``redeliver_after_s`` and on every new connection (optionally under a new id, as §5 warns may happen).
* Client heartbeats are answered with a server heartbeat (a guess: the reply is not documented).

The messages come from the shop: a :class:`~kuaifa.platforms.sim.shop_watcher.ShopWatcher` turns what changed in
the simulated shop into topics, and the server publishes them. :meth:`SimPmcServer.wait_until_watched` returns once
the changes made before the call have been published (no sleeping for a guessed while).

Tests steer the delivery: :meth:`SimPmcServer.publish` an arbitrary message, :meth:`~SimPmcServer.duplicate` one,
:meth:`~SimPmcServer.hold` and :meth:`~SimPmcServer.release` to send out of order,
:meth:`~SimPmcServer.drop_connections`, :meth:`~SimPmcServer.send_raw` a malformed frame; and they inspect
``acked``, ``pending``, ``deliveries``, ``handshakes`` and ``heartbeats``.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import hashlib
import json
import logging
import random
import re
import threading
import time
from collections import deque
from dataclasses import dataclass
from typing import Any
from urllib.parse import unquote, urlsplit

from websockets.asyncio.server import ServerConnection, serve
from websockets.exceptions import ConnectionClosed

from kuaifa.platforms.sim.shop_watcher import ShopEvent, ShopWatcher
from kuaifa.platforms.sim.state import SimState

logger = logging.getLogger(__name__)

PATH = re.compile(r"/message/(?P<client_id>[^/]+)/(?P<timestamp>[^/]+)/(?P<sign>[^/]+)")
CLOSE_BAD_PATH = 4000  # simulator's choice: the real codes are not documented
CLOSE_AUTH_FAILED = 4001
DEFAULT_FIRST_ID = 2**53 + 1
DEFAULT_REDELIVER_AFTER_S = 30.0  # "delayed redelivery" (§5); the real delay is not documented
DEFAULT_MALFORMED_FRAME = '{"commandType":"Common","id":'


def expected_sign(client_id: str, timestamp_ms: str, client_secret: str) -> str:
    """``base64(lowercase_hex(md5(client_id + timestamp_ms + client_secret)))``, computed independently of the
    client's implementation so a bug in one is not mirrored by the other."""
    hex_digest = hashlib.md5((client_id + timestamp_ms + client_secret).encode("utf-8")).hexdigest().lower()
    return base64.b64encode(hex_digest.encode("ascii")).decode("ascii")


@dataclass(frozen=True, slots=True)
class Handshake:
    """One connection attempt: who asked, and whether it was accepted (else the close code and reason sent)."""

    client_id: str
    timestamp: str
    accepted: bool
    close_code: int | None = None
    reason: str = ""


@dataclass(frozen=True, slots=True)
class Delivery:
    """One frame the server sent: a message (its id) or a raw frame (``message_id`` None)."""

    message_id: int | None
    text: str


@dataclass
class _Pending:
    id: int
    frame: dict[str, Any]
    held: bool = False
    last_sent: float | None = None  # time.monotonic() of the last send; None = never sent
    deliveries: int = 0


class SimPmcServer:
    """The push server for one app and the simulated shop. All public methods are thread-safe; build it with
    :func:`serve_pmc`."""

    def __init__(
        self,
        state: SimState,
        *,
        client_id: str,
        client_secret: str,
        redeliver_after_s: float = DEFAULT_REDELIVER_AFTER_S,
        first_id: int = DEFAULT_FIRST_ID,
        watch_state: bool = True,
        watch_interval_s: float = 0.2,
        new_id_on_redeliver: bool = False,
        reply_heartbeats: bool = True,
    ) -> None:
        self.state = state
        self.client_id = client_id
        self.client_secret = client_secret
        self.mall_id = state.shop.config.mall_id
        self.redeliver_after_s = redeliver_after_s
        self.watch_interval_s = watch_interval_s
        self.new_id_on_redeliver = new_id_on_redeliver
        self.reply_heartbeats = reply_heartbeats
        self._lock = threading.Lock()
        self._next_id = first_id
        self._frames: dict[int, dict[str, Any]] = {}
        self._pending: dict[int, _Pending] = {}
        self._outbox: deque[int | str] = deque()
        self._holding = False
        self._acked: list[int] = []
        self._bad_acks: list[dict[str, Any]] = []
        self._deliveries: list[Delivery] = []
        self._handshakes: list[Handshake] = []
        self._heartbeats = 0
        self._connections: list[ServerConnection] = []
        self._watcher = ShopWatcher(state) if watch_state else None
        self._watch_now = False  # a caller waits: make the next pass without waiting for the interval
        self._loop: asyncio.AbstractEventLoop | None = None
        self._wake: asyncio.Event | None = None
        self._stopping: asyncio.Event | None = None
        self._thread: threading.Thread | None = None
        self._host = "127.0.0.1"
        self._port = 0

    # --- lifecycle --------------------------------------------------------------------------------------------

    def start(self, host: str = "127.0.0.1", port: int = 0) -> None:
        """Bind and serve on a daemon thread with its own event loop; returns once the port is bound."""
        ready = threading.Event()
        failure: list[BaseException] = []

        def main() -> None:
            try:
                asyncio.run(self._main(host, port, ready))
            except BaseException as exc:  # reported to start() if it happens before the port is bound
                failure.append(exc)
                ready.set()

        self._thread = threading.Thread(target=main, name=f"pdd-sim-pmc-{port}", daemon=True)
        self._thread.start()
        if not ready.wait(10) or failure:
            raise RuntimeError(f"the PMC simulator did not start: {failure[0] if failure else 'timeout'}")

    def stop(self) -> None:
        """Close every connection (code 1001), stop serving and join the thread."""
        loop, stopping = self._loop, self._stopping
        if loop is not None and stopping is not None:
            with contextlib.suppress(RuntimeError):
                loop.call_soon_threadsafe(stopping.set)
        if self._thread is not None:
            self._thread.join(10)

    @property
    def port(self) -> int:
        return self._port

    @property
    def url_base(self) -> str:
        """The ``ws://host:port`` to use instead of ``wss://message-api.pinduoduo.com``."""
        return f"ws://{self._host}:{self._port}"

    # --- messages ---------------------------------------------------------------------------------------------

    def publish(
        self, topic: str, content: dict[str, Any] | str, *, mall_id: int | None = None, at_ms: int | None = None
    ) -> int:
        """Queue a message and return its id. ``content`` is an object (sent as a JSON string) or a raw string
        (sent as is, e.g. not JSON, to test malformed content). Held messages wait for :meth:`release`."""
        now_ms = int(self.state.now() * 1000)
        text = content if isinstance(content, str) else json.dumps(content, ensure_ascii=False, separators=(",", ":"))
        with self._lock:
            message_id = self._take_id()
            frame = {
                "id": message_id,
                "commandType": "Common",
                "time": now_ms if at_ms is None else at_ms,
                "sendTime": now_ms,
                "message": {"type": topic, "mallID": self.mall_id if mall_id is None else mall_id, "content": text},
            }
            self._frames[message_id] = frame
            self._pending[message_id] = _Pending(message_id, frame, held=self._holding)
            if not self._holding:
                self._outbox.append(message_id)
        self._poke()
        return message_id

    def duplicate(self, message_id: int, times: int = 1) -> None:
        """Send a message (pending or already ACKed) again, ``times`` more times, under the same id."""
        with self._lock:
            if message_id not in self._frames:
                raise KeyError(message_id)
            self._outbox.extend([message_id] * times)
        self._poke()

    def hold(self) -> None:
        """From now on queue new messages without sending them, until :meth:`release`."""
        with self._lock:
            self._holding = True

    def release(self, order: str = "reverse", *, seed: int = 0) -> list[int]:
        """Send the held messages ``"reverse"``d, ``"shuffle"``d (seeded) or in ``"order"``; returns the ids in the
        order sent, and stops holding."""
        with self._lock:
            held = [p.id for p in self._pending.values() if p.held]
            if order == "reverse":
                held.reverse()
            elif order == "shuffle":
                random.Random(seed).shuffle(held)
            elif order != "order":
                raise ValueError(f"unknown order {order!r}")
            for message_id in held:
                self._pending[message_id].held = False
            self._outbox.extend(held)
            self._holding = False
        self._poke()
        return held

    def send_raw(self, text: str = DEFAULT_MALFORMED_FRAME) -> None:
        """Send one raw frame as is (default: truncated JSON). It is not tracked as a message."""
        with self._lock:
            self._outbox.append(text)
        self._poke()

    def drop_connections(self, *, abrupt: bool = True) -> int:
        """Break every open connection: ``abrupt`` kills the TCP connection without a close frame (a network
        failure), otherwise close with 1011. Returns how many were open. Pending messages stay pending."""
        loop = self._loop
        with self._lock:
            connections = list(self._connections)
        if loop is None:
            return 0
        for ws in connections:
            if abrupt:
                loop.call_soon_threadsafe(ws.transport.abort)
            else:
                asyncio.run_coroutine_threadsafe(ws.close(1011, "simulated drop"), loop)
        return len(connections)

    def wait_until_watched(self, timeout: float = 5.0) -> None:
        """Return once every change made to the shop before this call has been published as messages (held ones
        stay held, but are in :attr:`pending`). Asks for a pass at once rather than at the next interval; raises
        :class:`TimeoutError` if none is made within ``timeout`` seconds (the server is stopped, say) and
        :class:`RuntimeError` if the server does not watch the shop."""
        if self._watcher is None:
            raise RuntimeError("this PMC simulator does not watch the shop (watch_state=False)")
        self._watcher.wait_until_watched(timeout, ask=self._ask_for_a_pass)

    def _ask_for_a_pass(self) -> None:
        with self._lock:
            self._watch_now = True
        self._poke()

    # --- inspection -------------------------------------------------------------------------------------------

    @property
    def acked(self) -> list[int]:
        """Ids ACKed (with the right type and mallID), in ACK order."""
        with self._lock:
            return list(self._acked)

    @property
    def pending(self) -> list[int]:
        """Ids published and not yet ACKed, held ones included, ascending."""
        with self._lock:
            return sorted(self._pending)

    @property
    def deliveries(self) -> list[Delivery]:
        with self._lock:
            return list(self._deliveries)

    @property
    def bad_acks(self) -> list[dict[str, Any]]:
        """ACK frames that matched no pending message or echoed a wrong type/mallID (ACKs of already ACKed ids,
        after a duplicate, are not bad)."""
        with self._lock:
            return list(self._bad_acks)

    @property
    def handshakes(self) -> list[Handshake]:
        with self._lock:
            return list(self._handshakes)

    @property
    def heartbeats(self) -> int:
        with self._lock:
            return self._heartbeats

    @property
    def connection_count(self) -> int:
        with self._lock:
            return len(self._connections)

    def frame(self, message_id: int) -> dict[str, Any]:
        """The frame of a message as published."""
        with self._lock:
            copied: dict[str, Any] = json.loads(json.dumps(self._frames[message_id]))
            return copied

    # --- the loop ---------------------------------------------------------------------------------------------

    async def _main(self, host: str, port: int, ready: threading.Event) -> None:
        self._loop = asyncio.get_running_loop()
        self._wake = asyncio.Event()
        self._stopping = asyncio.Event()
        async with serve(self._connection, host, port, ping_interval=None) as server:
            bound = server.sockets[0].getsockname()
            self._host, self._port = str(bound[0]), int(bound[1])
            ready.set()
            pump = asyncio.create_task(self._pump())
            try:
                await self._stopping.wait()
            finally:
                pump.cancel()
                await asyncio.gather(pump, return_exceptions=True)
        self._loop = None

    def _poke(self) -> None:
        loop, wake = self._loop, self._wake
        if loop is not None and wake is not None:
            with contextlib.suppress(RuntimeError):
                loop.call_soon_threadsafe(wake.set)

    async def _pump(self) -> None:
        """Watch the shop, requeue messages due for redelivery, and send what is queued."""
        assert self._wake is not None
        loop = asyncio.get_running_loop()
        next_watch = loop.time()
        while True:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), timeout=min(0.05, self.watch_interval_s))
            self._wake.clear()
            try:
                with self._lock:
                    asked, self._watch_now = self._watch_now, False
                if self._watcher is not None and (asked or loop.time() >= next_watch):
                    next_watch = loop.time() + self.watch_interval_s
                    self._watcher.watch(self._publish_event)
                await self._flush()
            except Exception:
                logger.exception("PMC simulator pump failed; continuing")

    def _publish_event(self, event: ShopEvent) -> None:
        self.publish(event.topic, event.content, at_ms=event.at * 1000)

    async def _flush(self) -> None:
        with self._lock:
            target = self._connections[-1] if self._connections else None
            if target is None:
                return
            now = time.monotonic()
            queued = set(self._outbox)
            for pending in list(self._pending.values()):
                due = pending.last_sent is not None and now - pending.last_sent >= self.redeliver_after_s
                if not pending.held and due and pending.id not in queued:
                    self._outbox.append(self._redeliverable(pending))
            items = list(self._outbox)
            self._outbox.clear()
        for index, item in enumerate(items):
            text = item if isinstance(item, str) else json.dumps(self._frames[item], separators=(",", ":"))
            try:
                await target.send(text)
            except ConnectionClosed:
                with self._lock:
                    self._outbox.extendleft(reversed(items[index:]))
                return
            with self._lock:
                message_id = None if isinstance(item, str) else item
                self._deliveries.append(Delivery(message_id, text))
                sent = self._pending.get(message_id) if message_id is not None else None
                if sent is not None:
                    sent.last_sent = time.monotonic()
                    sent.deliveries += 1

    def _redeliverable(self, pending: _Pending) -> int:
        """The id to send a pending message again under: the same, or with ``new_id_on_redeliver`` a fresh one."""
        if not self.new_id_on_redeliver:
            return pending.id
        new_id = self._take_id()
        frame = {**pending.frame, "id": new_id}
        del self._pending[pending.id]
        self._frames[new_id] = frame
        self._pending[new_id] = _Pending(new_id, frame, last_sent=pending.last_sent, deliveries=pending.deliveries)
        return new_id

    def _take_id(self) -> int:
        message_id = self._next_id
        self._next_id += 1
        return message_id

    # --- one connection ---------------------------------------------------------------------------------------

    async def _connection(self, ws: ServerConnection) -> None:
        request = ws.request
        match = PATH.fullmatch(urlsplit(request.path if request is not None else "").path)
        if match is None:
            await self._refuse(ws, "", "", CLOSE_BAD_PATH, "expected /message/{client_id}/{timestamp_ms}/{sign}")
            return
        client_id, timestamp, sign = (unquote(match.group(name)) for name in ("client_id", "timestamp", "sign"))
        if client_id != self.client_id:
            await self._refuse(ws, client_id, timestamp, CLOSE_AUTH_FAILED, "unknown client_id")
            return
        if not timestamp.isdigit() or sign != expected_sign(client_id, timestamp, self.client_secret):
            await self._refuse(ws, client_id, timestamp, CLOSE_AUTH_FAILED, "sign check failed")
            return
        with self._lock:
            self._handshakes.append(Handshake(client_id, timestamp, accepted=True))
            self._connections.append(ws)
            queued = set(self._outbox)
            for pending in list(self._pending.values()):
                if not pending.held and pending.last_sent is not None and pending.id not in queued:
                    self._outbox.append(self._redeliverable(pending))  # unACKed: send again on the new connection
        self._poke()
        try:
            async for text in ws:
                await self._on_frame(ws, text)
        except ConnectionClosed:
            pass
        finally:
            with self._lock:
                if ws in self._connections:
                    self._connections.remove(ws)

    async def _refuse(self, ws: ServerConnection, client_id: str, timestamp: str, code: int, reason: str) -> None:
        with self._lock:
            self._handshakes.append(Handshake(client_id, timestamp, accepted=False, close_code=code, reason=reason))
        await ws.close(code, reason)

    async def _on_frame(self, ws: ServerConnection, text: str | bytes) -> None:
        try:
            frame = json.loads(text)
        except ValueError:
            logger.warning("PMC simulator got a frame that is not JSON: %r", text[:200])
            return
        command = frame.get("commandType") if isinstance(frame, dict) else None
        if command == "HeartBeat":
            with self._lock:
                self._heartbeats += 1
            if self.reply_heartbeats:
                await ws.send(json.dumps({"commandType": "HeartBeat", "time": int(self.state.now() * 1000)}))
        elif command == "Ack":
            self._ack(frame)
        else:
            logger.info("PMC simulator ignored a client frame: %r", frame)

    def _ack(self, frame: dict[str, Any]) -> None:
        """Take an ACK: its id must be a pending message's, with that message's type and mallID echoed."""
        message_id = frame.get("id")
        with self._lock:
            pending = self._pending.get(message_id) if type(message_id) is int else None
            if pending is None:
                if message_id not in self._acked:
                    self._bad_acks.append(frame)
                return
            sent = pending.frame["message"]
            if frame.get("type") != sent["type"] or frame.get("mallID") != sent["mallID"]:
                self._bad_acks.append(frame)
                return
            del self._pending[pending.id]
            self._acked.append(pending.id)


def serve_pmc(
    state: SimState,
    host: str = "127.0.0.1",
    port: int = 0,
    *,
    client_id: str | None = None,
    client_secret: str | None = None,
    redeliver_after_s: float = DEFAULT_REDELIVER_AFTER_S,
    first_id: int = DEFAULT_FIRST_ID,
    watch_state: bool = True,
    watch_interval_s: float = 0.2,
    new_id_on_redeliver: bool = False,
    reply_heartbeats: bool = True,
) -> SimPmcServer:
    """Start the push server for ``state`` on a background thread and return it (``.url_base``, ``.port``,
    ``.stop()``). ``client_id`` defaults to the state's first app and ``client_secret`` to that app's secret."""
    app = client_id if client_id is not None else next(iter(state.apps))
    secret = client_secret if client_secret is not None else state.apps[app]
    server = SimPmcServer(
        state,
        client_id=app,
        client_secret=secret,
        redeliver_after_s=redeliver_after_s,
        first_id=first_id,
        watch_state=watch_state,
        watch_interval_s=watch_interval_s,
        new_id_on_redeliver=new_id_on_redeliver,
        reply_heartbeats=reply_heartbeats,
    )
    server.start(host, port)
    return server
