"""The PDD client's HTTP: one ``POST`` with a form body, its status and its body, over kept-alive connections.

Built on the standard library's :mod:`http.client`, which reads a full page of orders (252 KB of JSON) for about a
quarter of the CPU a general-purpose client spends on it. :class:`PooledHttp` keeps up to
:data:`MAX_IDLE_PER_HOST` idle connections per origin and is shared by threads. What it does and does not do:

- **Connection reuse**: a connection goes back to the pool after its answer was read whole, unless the server said
  ``Connection: close`` (or answered in HTTP/1.0 without keep-alive) or the exchange failed. An idle connection the
  server has closed meanwhile is dropped before use; one that fails before any byte of the answer (the server closed
  it as the request went out) is sent again, once, on a new connection: the server never answered that request.
  Nothing else is sent twice: retrying is the client's decision.
- **Timeouts**: one number of seconds, for connecting (TLS and proxy tunnel included) and for each read from the
  socket; a server that keeps sending a byte now and then is not cut off.
- **TLS**: verified against ``certifi``'s CA bundle, or the file or directory named by ``SSL_CERT_FILE`` /
  ``SSL_CERT_DIR``.
- **Proxies from the environment** (``http_proxy``, ``https_proxy``, ``all_proxy``, ``no_proxy``; read once, when
  the pool is made): ``http://`` URLs through the proxy in absolute form, ``https://`` URLs through a ``CONNECT``
  tunnel; the proxy URL's user and password go as ``Proxy-Authorization: Basic``. Only ``http://`` proxies: a
  proxy URL of another scheme (``https://``, ``socks5://``) fails each request with :class:`HttpTransportFailure`.
  ``no_proxy`` is matched as :func:`urllib.request.proxy_bypass_environment` does (host names and their
  subdomains, ``host:port``, ``*``; no address ranges).
- No compression, redirects, cookies or HTTP/2.
"""

from __future__ import annotations

import base64
import functools
import http.client
import os
import select
import socket
import ssl
import threading
from collections.abc import Mapping
from dataclasses import dataclass
from typing import NamedTuple, Protocol
from urllib.parse import quote, unquote, urlsplit
from urllib.request import getproxies, proxy_bypass_environment

#: idle connections kept per origin (and proxy); more are closed when they come back
MAX_IDLE_PER_HOST = 8
#: what stays as it is in a request target (RFC 3986's reserved characters, and ``%`` of what is already escaped)
_URL_SAFE = ":/?#[]@!$&'()*+,;=%~"
#: how a kept-alive connection the server closed fails when used: the request is refused or no answer starts
_DROPPED = (http.client.RemoteDisconnected, BrokenPipeError, ConnectionResetError, ConnectionAbortedError)


class Answer(NamedTuple):
    """An HTTP answer: its status code and its whole body."""

    status: int
    body: bytes


class HttpTransportFailure(Exception):
    """No answer came: the connection could not be made (refused, DNS, TLS verification, proxy) or broke."""


class HttpTimeout(HttpTransportFailure):
    """Connecting, or a read of the answer, took longer than the timeout."""


class HttpPost(Protocol):
    """What the PDD client needs of HTTP."""

    def post(self, url: str, body: bytes, headers: Mapping[str, str], timeout: float) -> Answer:
        """``POST`` ``body`` to ``url``; the answer whatever its status. Raises :class:`HttpTimeout` or
        :class:`HttpTransportFailure` when no whole answer came."""
        ...

    def close(self) -> None:
        """Release the connections."""
        ...


@dataclass(frozen=True, slots=True)
class _Route:
    """How to reach one URL: the connection's key in the pool, what to connect to, and the request line's target."""

    key: tuple[object, ...]
    tls: bool  # the connection speaks TLS (to the origin, through a tunnel if any)
    host: str  # what the TCP connection goes to: the origin, or the proxy
    port: int
    target: str  # the path, or the absolute URL for an http:// URL through a proxy
    tunnel: tuple[str, int] | None  # CONNECT to this origin first
    proxy_headers: tuple[tuple[str, str], ...]  # sent to the proxy: with CONNECT when tunnelling, else in the request
    refusal: str | None  # a proxy this pool cannot use: each request fails with this


class _NoAnswer(Exception):
    """A reused connection failed before any byte of the answer (the server had closed it)."""

    def __init__(self, cause: BaseException) -> None:
        super().__init__(str(cause))
        self.cause = cause


class PooledHttp:
    """:class:`HttpPost` over :mod:`http.client`, keeping idle connections per origin; safe to share by threads.

    ``proxies`` maps ``http``/``https``/``all``/``no`` as :func:`urllib.request.getproxies` does; None reads the
    environment now. ``ssl_context`` replaces the verifying default (certifi, or ``SSL_CERT_FILE``/``SSL_CERT_DIR``).
    """

    def __init__(
        self,
        *,
        proxies: Mapping[str, str] | None = None,
        ssl_context: ssl.SSLContext | None = None,
        max_idle_per_host: int = MAX_IDLE_PER_HOST,
    ) -> None:
        self._proxies = dict(getproxies() if proxies is None else proxies)
        self._ssl_context = ssl_context
        self._max_idle = max_idle_per_host
        self._lock = threading.Lock()
        self._idle: dict[tuple[object, ...], list[http.client.HTTPConnection]] = {}
        self._routes: dict[str, _Route] = {}
        self._closed = False

    def post(self, url: str, body: bytes, headers: Mapping[str, str], timeout: float) -> Answer:
        route = self._route(url)
        if route.refusal is not None:
            raise HttpTransportFailure(route.refusal)
        sent = {"User-Agent": _user_agent(), **headers, "Content-Length": str(len(body))}
        if route.tunnel is None:
            sent.update(route.proxy_headers)  # through a tunnel the origin reads the request: not for its eyes
        connection = self._take(route)
        try:
            try:
                return self._exchange(connection, route, body, sent, timeout, reused=connection.sock is not None)
            except _NoAnswer:
                connection.close()
                connection = self._connection(route)
                return self._exchange(connection, route, body, sent, timeout, reused=False)
        except BaseException:
            connection.close()
            raise

    def close(self) -> None:
        """Close the idle connections; a connection in use is closed when its answer has been read. The pool
        takes no more requests."""
        with self._lock:
            self._closed = True
            idle = [connection for connections in self._idle.values() for connection in connections]
            self._idle.clear()
        for connection in idle:
            connection.close()

    def idle_count(self, url: str) -> int:
        """How many idle connections are kept for ``url``'s origin."""
        with self._lock:
            return len(self._idle.get(self._route(url).key, ()))

    # --- one exchange -----------------------------------------------------------------------------------------

    def _exchange(
        self,
        connection: http.client.HTTPConnection,
        route: _Route,
        body: bytes,
        headers: Mapping[str, str],
        timeout: float,
        *,
        reused: bool,
    ) -> Answer:
        connection.timeout = timeout
        try:
            if connection.sock is not None:
                connection.sock.settimeout(timeout)
            try:
                connection.putrequest("POST", route.target, skip_accept_encoding=True)
                for name, value in headers.items():
                    connection.putheader(name, value)
                connection.endheaders(body)
                response = connection.getresponse()
            except _DROPPED as exc:
                if reused:
                    raise _NoAnswer(exc) from exc
                raise
            answer = Answer(response.status, response.read())
        except TimeoutError as exc:
            raise HttpTimeout(f"no answer from {route.host}:{route.port} within {timeout} s: {exc!r}") from exc
        except (OSError, http.client.HTTPException) as exc:
            raise HttpTransportFailure(f"{type(exc).__name__} talking to {route.host}:{route.port}: {exc}") from exc
        if response.will_close:
            connection.close()
        else:
            self._give_back(route, connection)
        return answer

    # --- the pool ---------------------------------------------------------------------------------------------

    def _take(self, route: _Route) -> http.client.HTTPConnection:
        """An idle connection to the route's origin whose server has not closed it, or a new unconnected one."""
        while True:
            with self._lock:
                if self._closed:
                    raise RuntimeError("this HTTP pool is closed")
                idle = self._idle.get(route.key)
                connection = idle.pop() if idle else None
            if connection is None:
                return self._connection(route)
            if connection.sock is not None and not _readable(connection.sock):
                return connection
            connection.close()  # closed by the server while idle (or it sent something unasked): not usable

    def _give_back(self, route: _Route, connection: http.client.HTTPConnection) -> None:
        with self._lock:
            if not self._closed:
                idle = self._idle.setdefault(route.key, [])
                if len(idle) < self._max_idle:
                    idle.append(connection)
                    return
        connection.close()

    def _connection(self, route: _Route) -> http.client.HTTPConnection:
        connection: http.client.HTTPConnection
        if route.tls:
            connection = http.client.HTTPSConnection(route.host, route.port, context=self._tls())
        else:
            connection = http.client.HTTPConnection(route.host, route.port)
        if route.tunnel is not None:
            connection.set_tunnel(*route.tunnel, headers=dict(route.proxy_headers))
        return connection

    def _tls(self) -> ssl.SSLContext:
        if self._ssl_context is None:
            self._ssl_context = _verifying_context()
        return self._ssl_context

    # --- routes -----------------------------------------------------------------------------------------------

    def _route(self, url: str) -> _Route:
        route = self._routes.get(url)
        if route is None:
            route = self._routes[url] = _route(url, self._proxies)
            if len(self._routes) > 256:  # a client posts to one URL; keep the cache from growing without end
                self._routes.clear()
        return route


def _route(url: str, proxies: Mapping[str, str]) -> _Route:
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    try:
        port = parts.port or (443 if scheme == "https" else 80)
    except ValueError as exc:
        raise HttpTransportFailure(f"{url!r} has no valid port") from exc
    if scheme not in ("http", "https") or not parts.hostname:
        raise HttpTransportFailure(f"{url!r} is not an http:// or https:// URL")
    host = parts.hostname
    path = quote((parts.path or "/") + (f"?{parts.query}" if parts.query else ""), safe=_URL_SAFE)
    proxy_url = proxies.get(scheme) or proxies.get("all")
    if not proxy_url or proxy_bypass_environment(f"{host}:{port}", proxies):
        return _Route(("direct", scheme, host, port), scheme == "https", host, port, path, None, (), None)
    proxy = urlsplit(proxy_url if "://" in proxy_url else f"http://{proxy_url}")
    if proxy.scheme.lower() != "http" or not proxy.hostname:
        refusal = f"proxy {proxy.scheme}://{proxy.hostname} for {url}: only http:// proxies are supported"
        return _Route(("refused", proxy_url), False, host, port, path, None, (), refusal)
    proxy_port = proxy.port or 80
    auth: tuple[tuple[str, str], ...] = ()
    if proxy.username is not None:
        userinfo = f"{unquote(proxy.username)}:{unquote(proxy.password or '')}"
        auth = (("Proxy-Authorization", "Basic " + base64.b64encode(userinfo.encode()).decode("ascii")),)
    key = ("proxy", scheme, host, port, proxy.hostname, proxy_port, auth)
    if scheme == "http":  # absolute form to the proxy, which forwards it
        return _Route(key, False, proxy.hostname, proxy_port, f"http://{parts.netloc.rpartition('@')[2]}{path}",
                      None, auth, None)  # fmt: skip
    return _Route(key, True, proxy.hostname, proxy_port, path, (host, port), auth, None)


def _readable(sock: socket.socket) -> bool:
    """Whether an idle socket has something to read: the server closed it (EOF) or sent what was not asked."""
    try:
        if hasattr(select, "poll"):
            poller = select.poll()
            poller.register(sock, select.POLLIN)
            return bool(poller.poll(0))
        return bool(select.select([sock], [], [], 0)[0])
    except (OSError, ValueError):
        return True


def _verifying_context() -> ssl.SSLContext:
    if os.environ.get("SSL_CERT_FILE"):
        return _context(os.environ["SSL_CERT_FILE"], None)
    if os.environ.get("SSL_CERT_DIR"):
        return _context(None, os.environ["SSL_CERT_DIR"])
    import certifi

    return _context(certifi.where(), None)


@functools.cache
def _context(cafile: str | None, capath: str | None) -> ssl.SSLContext:
    """One verifying context per CA bundle, shared by every pool (loading the bundle costs milliseconds; a
    context serves any number of connections and threads)."""
    return ssl.create_default_context(cafile=cafile, capath=capath)


@functools.cache
def _user_agent() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return f"kuaifa/{version('kuaifa')}"
    except PackageNotFoundError:
        return "kuaifa"
