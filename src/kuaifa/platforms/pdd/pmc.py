"""PDD push messages (PMC / 消息服务) over a websocket (pdd-reference §5, §0.7).

The platform rules this module serves:

* Connection: ``wss://message-api.pinduoduo.com/message/{client_id}/{timestamp_ms}/{sign}``, where ``sign`` is
  ``base64(lowercase_hex(md5(client_id + timestamp_ms + client_secret)))``, URL-encoded in the path.
* Frames are JSON. The server pushes ``{"id", "commandType": "Common", "time", "sendTime", "message": {"type",
  "mallID", "content": "<JSON string>"}}``; ``id`` is an int64 that may exceed 2^53, so it is never allowed near a
  float. The client sends ``{"commandType": "HeartBeat", "time": ms}`` every 10 s (the official SDK's interval, with
  a 3 min timeout) and ``{"commandType": "Ack", "time", "id", "sendTime", "type", "mallID"}`` per message.
* ACK only after the message was handled; a message not ACKed is redelivered (and kept 7 days), possibly more than
  once and possibly under another id. Messages are triggers, not data: the handler should query the API (about
  10 minutes later) and dedupe on (mall, type, business key). This consumer never dedupes or reorders.

:class:`PmcConsumer` keeps one connection open, reconnecting with backoff, calls the handler for each message and
ACKs it only when the handler returned without raising. Malformed frames are logged and skipped, never ACKed, and
never stop the consumer.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import hashlib
import inspect
import json
import logging
import re
import threading
import time
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any
from urllib.parse import quote

from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed, InvalidHandshake, InvalidURI

logger = logging.getLogger(__name__)

PMC_BASE_URL = "wss://message-api.pinduoduo.com"
COMMON = "Common"
HEARTBEAT = "HeartBeat"
ACK = "Ack"
FAIL = "Fail"
TRADE_PREFIX = "pdd_trade_"
REFUND_PREFIX = "pdd_refund_"
DEFAULT_HEARTBEAT_S = 10.0  # the official Java SDK's interval (§5)
DEFAULT_TIMEOUT_S = 180.0  # the official Java SDK's timeout (§5)
DEFAULT_RECONNECT_BACKOFF: tuple[float, ...] = (1, 2, 5, 10, 30)

Handler = Callable[["PushMessage"], None] | Callable[["PushMessage"], Awaitable[None]]


# --- connection URL -----------------------------------------------------------------------------------------------


def pmc_sign(client_id: str, timestamp_ms: int | str, client_secret: str) -> str:
    """The path ``sign`` of the PMC URL: ``base64(lowercase_hex(md5(client_id + timestamp_ms + client_secret)))``.

    Test vector (§5): ``("app", 1700000000000, "secret")`` → ``OTgxODMwNDI2NWZiN2NiNzA2NzIxOTI0ZjJlMDMxMjE=``.
    """
    digest = hashlib.md5(f"{client_id}{timestamp_ms}{client_secret}".encode()).hexdigest()
    return base64.b64encode(digest.encode("ascii")).decode("ascii")


def pmc_url(base: str = PMC_BASE_URL, *, client_id: str, client_secret: str, now_ms: int) -> str:
    """The websocket URL ``{base}/message/{client_id}/{now_ms}/{sign}``, every segment URL-encoded (the sign's
    ``=`` padding becomes ``%3D``). ``now_ms`` is the connect moment in epoch milliseconds."""
    segments = (client_id, str(int(now_ms)), pmc_sign(client_id, int(now_ms), client_secret))
    return base.rstrip("/") + "/message/" + "/".join(quote(segment, safe="") for segment in segments)


def pmc_url_factory(
    client_id: str,
    client_secret: str,
    *,
    base: str = PMC_BASE_URL,
    clock: Callable[[], float] = time.time,
) -> Callable[[], str]:
    """A ``url_factory`` for :class:`PmcConsumer`: a freshly timestamped and signed URL on every (re)connect.

    ``clock`` is epoch seconds; pass PDD time (e.g. ``PddClient.platform_now``) if the local clock is off.
    """
    return lambda: pmc_url(base, client_id=client_id, client_secret=client_secret, now_ms=int(clock() * 1000))


# --- frames -------------------------------------------------------------------------------------------------------


class PmcFrameError(ValueError):
    """A frame that is not valid PMC JSON or lacks what a ``Common`` message must carry; it is skipped, not ACKed."""


@dataclass(frozen=True, slots=True)
class PushMessage:
    """One ``Common`` frame: the message ``id`` (exact int64), its topic ``type``, the shop (``mallID``), the
    server's ``sendTime`` (ms, echoed in the ACK) and the decoded ``content`` object.

    ``content`` is decoded with exact numbers: integers stay ``int``, anything with a fraction or exponent becomes a
    ``Decimal`` (amounts in PMC content are integers in fen, e.g. ``refund_fee``). ``time`` is the frame's event
    time in ms (0 when absent).
    """

    id: int
    type: str
    mall_id: int
    send_time: int
    content: dict[str, Any]
    time: int = 0

    @property
    def business_key(self) -> str | None:
        """The id of the record the message is about, for dedupe on (mall, type, business key) (§5).

        ``pdd_trade_*``: ``tid`` (the order_sn). ``pdd_refund_*``: ``refund_id`` (the after-sales id), falling back to
        ``tid`` when a refund message carries no refund id. Other topics (goods, chat): ``tid`` if present, else None.
        """
        tid = _key_text(self.content.get("tid"))
        if self.type.startswith(REFUND_PREFIX):
            return _key_text(self.content.get("refund_id")) or tid
        return tid

    @property
    def order_sn(self) -> str | None:
        """The order the message concerns (``content.tid``), if any."""
        return _key_text(self.content.get("tid"))

    @classmethod
    def from_frame(cls, frame: Mapping[str, Any]) -> PushMessage:
        """Read a decoded ``Common`` frame; raises :class:`PmcFrameError` naming what is wrong."""
        if frame.get("commandType") != COMMON:
            raise PmcFrameError(f"not a Common frame: commandType={frame.get('commandType')!r}")
        message = frame.get("message")
        if not isinstance(message, Mapping):
            raise PmcFrameError("a Common frame needs a 'message' object")
        topic = message.get("type")
        if not isinstance(topic, str) or not topic:
            raise PmcFrameError(f"message.type must be a non-empty string, got {topic!r}")
        return cls(
            id=_exact_int(frame.get("id"), "id"),
            type=topic,
            mall_id=_exact_int(message.get("mallID"), "message.mallID"),
            send_time=_exact_int(frame.get("sendTime"), "sendTime"),
            content=_decode_content(message.get("content")),
            time=_exact_int(frame["time"], "time") if frame.get("time") is not None else 0,
        )


def decode_frame(text: str | bytes) -> dict[str, Any]:
    """Decode one websocket frame as a JSON object with exact numbers (no float ever: int64 ids stay exact).

    Raises :class:`PmcFrameError` for text that is not JSON, not an object, or uses NaN/Infinity.
    """
    try:
        value = _loads(text)
    except (ValueError, UnicodeDecodeError) as exc:
        raise PmcFrameError(f"frame is not JSON: {exc}") from exc
    if not isinstance(value, dict):
        raise PmcFrameError(f"frame is JSON {type(value).__name__}, not an object")
    return value


def parse_message(text: str | bytes) -> PushMessage:
    """Decode a ``Common`` frame straight into a :class:`PushMessage` (raises :class:`PmcFrameError`)."""
    return PushMessage.from_frame(decode_frame(text))


def heartbeat_frame(now_ms: int) -> str:
    """The client heartbeat ``{"commandType":"HeartBeat","time":ms}``, sent every 10 s (§5)."""
    return json.dumps({"commandType": HEARTBEAT, "time": now_ms}, separators=(",", ":"))


def ack_frame(message: PushMessage, now_ms: int) -> str:
    """The ACK of a handled message: its ``id``, ``sendTime``, ``type`` and ``mallID`` echoed with ``time`` = now.

    ``json.dumps`` writes Python ints digit for digit, so an id above 2^53 goes back exactly as it came.
    """
    ack = {
        "commandType": ACK,
        "time": now_ms,
        "id": message.id,
        "sendTime": message.send_time,
        "type": message.type,
        "mallID": message.mall_id,
    }
    return json.dumps(ack, separators=(",", ":"))


def _loads(text: str | bytes) -> Any:
    return json.loads(text, parse_float=Decimal, parse_constant=_reject_constant)


def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not a JSON number")


_INTEGER_TEXT = re.compile(r"-?[0-9]+")


def _exact_int(value: object, field: str) -> int:
    """An integer field as an exact int: a JSON integer or a string of digits; never a float or a bool."""
    if isinstance(value, bool):
        raise PmcFrameError(f"{field} must be an integer, got {value!r}")
    if isinstance(value, int):
        return value
    if isinstance(value, str) and _INTEGER_TEXT.fullmatch(value.strip()):
        return int(value.strip())
    if isinstance(value, Decimal | float):
        raise PmcFrameError(f"{field} must be an integer literal, got {value!r} (a float cannot hold an int64 exactly)")
    raise PmcFrameError(f"{field} must be an integer, got {value!r}")


def _decode_content(content: object) -> dict[str, Any]:
    """``message.content`` is a JSON string holding an object (an already decoded object is accepted too)."""
    if isinstance(content, Mapping):
        return dict(content)
    if not isinstance(content, str):
        raise PmcFrameError(f"message.content must be a JSON string, got {type(content).__name__}")
    try:
        decoded = _loads(content)
    except ValueError as exc:
        raise PmcFrameError(f"message.content is not JSON: {exc}") from exc
    if not isinstance(decoded, dict):
        raise PmcFrameError(f"message.content is JSON {type(decoded).__name__}, not an object")
    return decoded


def _key_text(value: object) -> str | None:
    if value is None or isinstance(value, bool):
        return None
    text = str(value).strip()
    return text or None


def _excerpt(text: str | bytes, limit: int = 200) -> str:
    shown = text if isinstance(text, str) else text.decode("utf-8", "replace")
    return shown if len(shown) <= limit else shown[:limit] + "…"


# --- the consumer -------------------------------------------------------------------------------------------------


class PmcTimeout(Exception):
    """Nothing (no frame, no pong) came from the server for ``timeout_s``: the connection is presumed dead."""


@dataclass
class PmcStats:
    """Health counters of a :class:`PmcConsumer` (written by its event loop, readable from any thread).

    ``received`` counts well-formed messages handed to the handler; ``malformed`` frames that were skipped;
    ``reconnects`` connection attempts after the first; ``last_message_at`` the consumer clock's epoch seconds of
    the last well-formed message; ``last_close_code``/``last_close_reason`` what the server said when it last
    closed the connection (a refused sign shows here).
    """

    received: int = 0
    acked: int = 0
    handler_errors: int = 0
    malformed: int = 0
    reconnects: int = 0
    connects: int = 0
    heartbeats_sent: int = 0
    last_message_at: float | None = None
    last_error: str | None = None
    last_close_code: int | None = None
    last_close_reason: str | None = None
    last_backoff_s: float | None = None
    connected: bool = False


class PmcConsumer:
    """Consume PDD push messages: connect, heartbeat, handle, ACK after handling, reconnect with backoff.

    ``url_factory`` is called for every connection attempt (the URL carries a timestamp and its sign; see
    :func:`pmc_url_factory`). ``handler`` gets each :class:`PushMessage`; a coroutine function is awaited on the
    consumer's loop, a plain function runs in a worker thread (``asyncio.to_thread``) so a slow handler does not stop
    heartbeats. Messages are handled one at a time in arrival order. A handler that raises leaves the message
    unACKed: the platform redelivers it. Duplicates and out-of-order deliveries are passed on as they come.

    ``heartbeat_s``/``timeout_s``: heartbeat interval and the silence after which the connection is dropped and
    re-opened (any frame or websocket pong counts as a sign of life). ``reconnect_backoff``: the waits before the
    1st, 2nd, … consecutive reconnect (the last repeats); the sequence restarts after a connection that worked.
    ``clock`` (epoch seconds) stamps heartbeats, ACKs and ``last_message_at``; ``sleep`` is awaited for the backoff
    waits. ``connect_kwargs`` go to :func:`websockets.asyncio.client.connect` (ssl, proxy, …).
    """

    def __init__(
        self,
        url_factory: Callable[[], str],
        handler: Handler,
        *,
        heartbeat_s: float = DEFAULT_HEARTBEAT_S,
        timeout_s: float = DEFAULT_TIMEOUT_S,
        reconnect_backoff: Sequence[float] = DEFAULT_RECONNECT_BACKOFF,
        clock: Callable[[], float] = time.time,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
        open_timeout_s: float = 10.0,
        close_timeout_s: float = 2.0,
        connect_kwargs: Mapping[str, Any] | None = None,
    ) -> None:
        if heartbeat_s <= 0 or timeout_s <= 0:
            raise ValueError("heartbeat_s and timeout_s must be positive")
        if not reconnect_backoff or any(delay < 0 for delay in reconnect_backoff):
            raise ValueError("reconnect_backoff needs at least one delay, none negative")
        self.url_factory = url_factory
        self.handler = handler
        self.heartbeat_s = heartbeat_s
        self.timeout_s = timeout_s
        self.reconnect_backoff = tuple(float(delay) for delay in reconnect_backoff)
        self.open_timeout_s = open_timeout_s
        self.close_timeout_s = close_timeout_s
        self.connect_kwargs = dict(connect_kwargs or {})
        self.stats = PmcStats()
        self._clock = clock
        self._sleep = sleep
        self._stop_requested = threading.Event()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._stop: asyncio.Event | None = None
        self._thread: threading.Thread | None = None
        self._alive_at = 0.0
        self._session_healthy = False

    # --- running ----------------------------------------------------------------------------------------------

    async def run_async(self, stop: asyncio.Event | None = None) -> None:
        """Consume until ``stop`` is set or :meth:`stop` is called; returns after the current message (if any) was
        handled and ACKed and the connection closed."""
        loop = asyncio.get_running_loop()
        self._stop = stop if stop is not None else asyncio.Event()
        self._loop = loop
        if self._stop_requested.is_set():
            self._stop.set()
        attempt = 0
        first = True
        try:
            while not self._stop.is_set():
                if not first:
                    self.stats.reconnects += 1
                first = False
                await self._session()
                if self._stop.is_set():
                    break
                if self._session_healthy:
                    attempt = 0
                delay = self.reconnect_backoff[min(attempt, len(self.reconnect_backoff) - 1)]
                attempt += 1
                self.stats.last_backoff_s = delay
                logger.info("PMC reconnecting in %.2fs", delay)
                await self._pause(delay)
        finally:
            self._loop = None
            self.stats.connected = False

    def run(self, stop_event: threading.Event | None = None) -> None:
        """Consume in this thread until ``stop_event`` is set (or :meth:`stop` is called from another thread)."""

        async def main() -> None:
            stop = asyncio.Event()
            watcher = asyncio.create_task(self._watch(stop_event, stop)) if stop_event is not None else None
            try:
                await self.run_async(stop)
            finally:
                if watcher is not None:
                    watcher.cancel()

        asyncio.run(main())

    def run_until(self, predicate: Callable[[], bool], timeout: float) -> bool:
        """Consume until ``predicate()`` is true (checked every 10 ms) or ``timeout`` seconds passed; then stop
        cleanly. Returns the predicate's final value. Meant for tests and one-off scripts."""

        async def main() -> bool:
            stop = asyncio.Event()
            runner = asyncio.create_task(self.run_async(stop))
            loop = asyncio.get_running_loop()
            deadline = loop.time() + timeout
            while loop.time() < deadline and not runner.done() and not predicate():
                await asyncio.sleep(0.01)
            stop.set()
            await runner
            return predicate()

        return asyncio.run(main())

    def run_for(self, seconds: float) -> PmcStats:
        """Consume for ``seconds``, then stop cleanly; returns the stats."""
        self.run_until(lambda: False, seconds)
        return self.stats

    def start(self) -> threading.Thread:
        """Run the consumer in a daemon thread; :meth:`stop` ends it."""
        if self._thread is not None and self._thread.is_alive():
            raise RuntimeError("the consumer is already running")
        self._stop_requested.clear()
        self._thread = threading.Thread(target=self.run, name="pdd-pmc-consumer", daemon=True)
        self._thread.start()
        return self._thread

    def stop(self, timeout: float | None = 10.0) -> None:
        """Ask the consumer to stop (thread-safe) and wait for a thread started by :meth:`start` to end."""
        self._stop_requested.set()
        loop, stop = self._loop, self._stop
        if loop is not None and stop is not None:
            with contextlib.suppress(RuntimeError):  # the loop already closed
                loop.call_soon_threadsafe(stop.set)
        thread = self._thread
        if thread is not None and thread is not threading.current_thread():
            thread.join(timeout)

    async def _watch(self, stop_event: threading.Event, stop: asyncio.Event) -> None:
        while not stop_event.is_set():
            await asyncio.sleep(0.05)
        stop.set()

    async def _pause(self, seconds: float) -> None:
        """The backoff wait through the injected ``sleep``, cut short by a stop request."""
        assert self._stop is not None
        sleeper = asyncio.ensure_future(self._sleep(seconds))
        stopper = asyncio.create_task(self._stop.wait())
        await asyncio.wait({sleeper, stopper}, return_when=asyncio.FIRST_COMPLETED)
        for task in (sleeper, stopper):
            task.cancel()

    # --- one connection ---------------------------------------------------------------------------------------

    async def _session(self) -> None:
        """Open one connection and consume from it until it fails, times out or a stop is requested."""
        self._session_healthy = False
        try:
            url = self.url_factory()
            async with connect(
                url,
                open_timeout=self.open_timeout_s,
                close_timeout=self.close_timeout_s,
                ping_interval=None,  # liveness is the heartbeat loop's job (it pings too)
                **self.connect_kwargs,
            ) as ws:
                self.stats.connects += 1
                self.stats.connected = True
                self._alive_at = asyncio.get_running_loop().time()
                logger.info("PMC connected to %s", _redacted(url))
                heartbeats = asyncio.create_task(self._heartbeats(ws))
                try:
                    await self._receive(ws)
                finally:
                    heartbeats.cancel()
                    await asyncio.gather(heartbeats, return_exceptions=True)
        except ConnectionClosed as exc:
            received = exc.rcvd
            self.stats.last_close_code = received.code if received is not None else None
            self.stats.last_close_reason = received.reason if received is not None else None
            self._note_error(f"connection closed: {exc}")
        except PmcTimeout as exc:
            self._note_error(str(exc))
        except (OSError, TimeoutError, InvalidHandshake, InvalidURI) as exc:
            self._note_error(f"cannot connect: {exc!r}")
        except Exception as exc:  # never let one bad connection end the consumer
            logger.exception("PMC connection failed unexpectedly")
            self.stats.last_error = repr(exc)
        finally:
            self.stats.connected = False

    def _note_error(self, text: str) -> None:
        self.stats.last_error = text
        if self._stop is not None and self._stop.is_set():
            logger.info("PMC stopped: %s", text)
        else:
            logger.warning("PMC %s", text)

    async def _receive(self, ws: ClientConnection) -> None:
        """Read frames until a stop is requested (returns) or the connection dies or goes silent (raises)."""
        assert self._stop is not None
        loop = asyncio.get_running_loop()
        stopper = asyncio.create_task(self._stop.wait())
        try:
            while True:
                remaining = self._alive_at + self.timeout_s - loop.time()
                if remaining <= 0:
                    raise PmcTimeout(f"no frame from the server for {self.timeout_s:g}s")
                receiver = asyncio.create_task(ws.recv())
                done, _ = await asyncio.wait(
                    {receiver, stopper}, timeout=remaining, return_when=asyncio.FIRST_COMPLETED
                )
                if receiver not in done:
                    receiver.cancel()  # recv() is cancel-safe: an unread frame stays for the next call
                    await asyncio.gather(receiver, return_exceptions=True)
                    if stopper in done:
                        return
                    continue
                text = receiver.result()
                self._alive_at = loop.time()
                self._session_healthy = True
                await self._dispatch(ws, text)
        finally:
            stopper.cancel()

    async def _heartbeats(self, ws: ClientConnection) -> None:
        """Send a HeartBeat frame (and a websocket ping, whose pong proves the line is alive) every heartbeat_s."""
        loop = asyncio.get_running_loop()

        def pong(waiter: asyncio.Future[float]) -> None:
            if not waiter.cancelled() and waiter.exception() is None:
                self._alive_at = loop.time()
                self._session_healthy = True

        try:
            while True:
                await ws.send(heartbeat_frame(self._now_ms()))
                self.stats.heartbeats_sent += 1
                waiter = await ws.ping()
                if isinstance(waiter, asyncio.Future):
                    waiter.add_done_callback(pong)
                await asyncio.sleep(self.heartbeat_s)
        except ConnectionClosed:
            return  # the receive loop sees the closure and reconnects
        except Exception:
            logger.exception("PMC heartbeats stopped; the silence timeout will reconnect")

    async def _dispatch(self, ws: ClientConnection, text: str | bytes) -> None:
        """Route one frame: a Common message to the handler and then the ACK; anything malformed is logged, skipped
        and not ACKed."""
        try:
            frame = decode_frame(text)
        except PmcFrameError as exc:
            self._malformed(exc, text)
            return
        command = frame.get("commandType")
        if command == COMMON:
            try:
                message = PushMessage.from_frame(frame)
            except PmcFrameError as exc:
                self._malformed(exc, text)
                return
            await self._handle(ws, message)
        elif command == HEARTBEAT:
            logger.debug("PMC heartbeat from the server")
        elif command == FAIL:
            logger.warning("PMC server reported a failure: %s", _excerpt(text))
        else:
            logger.info("PMC ignored a frame with commandType %r", command)

    def _malformed(self, error: PmcFrameError, text: str | bytes) -> None:
        self.stats.malformed += 1
        logger.error("PMC malformed frame skipped (not ACKed): %s; frame: %s", error, _excerpt(text))

    async def _handle(self, ws: ClientConnection, message: PushMessage) -> None:
        self.stats.received += 1
        self.stats.last_message_at = self._clock()
        try:
            await self._call_handler(message)
        except Exception:
            self.stats.handler_errors += 1
            logger.exception(
                "PMC handler failed for message %d (%s, key %s); not ACKed, the platform will redeliver it",
                message.id,
                message.type,
                message.business_key,
            )
            return
        await ws.send(ack_frame(message, self._now_ms()))
        self.stats.acked += 1

    async def _call_handler(self, message: PushMessage) -> None:
        if inspect.iscoroutinefunction(self.handler):
            await self.handler(message)
            return
        result = await asyncio.to_thread(self.handler, message)
        if inspect.isawaitable(result):
            await result

    def _now_ms(self) -> int:
        return int(self._clock() * 1000)


def _redacted(url: str) -> str:
    """The URL without its sign (a credential for as long as the timestamp is accepted)."""
    head, _, _ = url.rpartition("/")
    return f"{head}/…"
