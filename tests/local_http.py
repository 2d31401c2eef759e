"""Small real HTTP servers on 127.0.0.1 for the HTTP client's tests: an origin whose every answer a test decides
(including closing the connection, cutting an answer short and answering late), a forward proxy (absolute-form
requests and ``CONNECT`` tunnels) that records what it was asked, and a self-signed certificate for TLS."""

from __future__ import annotations

import base64
import contextlib
import datetime as dt
import http.client
import ipaddress
import socket
import ssl
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class Received:
    """One request as the server read it."""

    connection: int  # the accepted connection it came on, numbered from 1
    on_connection: int  # its place on that connection, from 1
    request_line: str
    headers: dict[str, str]  # names lower-cased
    body: bytes


@dataclass(frozen=True)
class Reply:
    status: int = 200
    body: bytes = b'{"ok": true}'
    close: bool = False  # say ``Connection: close`` and close after the answer
    delay: float = 0.0  # wait this long before answering
    cut_after: int | None = None  # send the head and this many bytes of the body, then close the connection
    close_after: bool = False  # answer as kept-alive, then close the connection at once anyway


#: close the connection without answering the request
DROP = "drop"

Behaviour = Callable[[Received], Reply | str]


def _read_head(stream) -> tuple[str, dict[str, str]] | None:
    line = stream.readline(65537)
    if not line:
        return None
    headers: dict[str, str] = {}
    while True:
        header = stream.readline(65537)
        if header in (b"\r\n", b"\n", b""):
            break
        name, _, value = header.decode("latin-1").partition(":")
        headers[name.strip().lower()] = value.strip()
    return line.decode("latin-1").rstrip("\r\n"), headers


def _head(status: int, length: int, *, close: bool) -> bytes:
    reason = http.client.responses.get(status, "")
    lines = [f"HTTP/1.1 {status} {reason}", "Content-Type: application/json", f"Content-Length: {length}"]
    if close:
        lines.append("Connection: close")
    return ("\r\n".join(lines) + "\r\n\r\n").encode()


class _Threads:
    """A listening socket on 127.0.0.1 and a thread per accepted connection; ``stop`` closes them all."""

    def __init__(self, context: ssl.SSLContext | None = None) -> None:
        self._listener = socket.create_server(("127.0.0.1", 0))
        self.port = self._listener.getsockname()[1]
        self._context = context
        self._lock = threading.Lock()
        self._open: list[socket.socket] = []
        self._threads: list[threading.Thread] = []
        self.accepted = 0
        self._stopping = False
        self._acceptor = threading.Thread(target=self._accept, daemon=True)
        self._acceptor.start()

    def _accept(self) -> None:
        while True:
            try:
                sock, _ = self._listener.accept()
            except OSError:
                return
            with self._lock:
                if self._stopping:
                    sock.close()
                    return
                self.accepted += 1
                number = self.accepted
                self._open.append(sock)
                thread = threading.Thread(target=self._serve_guarded, args=(sock, number), daemon=True)
                self._threads.append(thread)
            thread.start()

    def _serve_guarded(self, sock: socket.socket, number: int) -> None:
        try:
            if self._context is not None:
                sock = self._context.wrap_socket(sock, server_side=True)
                with self._lock:
                    self._open.append(sock)
            self.serve(sock, number)
        except (OSError, ValueError):
            pass  # the client went away, or the test stopped the server
        finally:
            sock.close()

    def serve(self, sock: socket.socket, number: int) -> None:
        raise NotImplementedError

    def stop(self) -> None:
        with self._lock:
            self._stopping = True
            sockets = list(self._open)
        with contextlib.suppress(OSError):
            self._listener.shutdown(socket.SHUT_RDWR)  # wakes the thread waiting in accept()
        self._listener.close()
        for sock in sockets:
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)
            sock.close()
        for thread in [self._acceptor, *self._threads]:
            thread.join(timeout=5)

    def __enter__(self):
        return self

    def __exit__(self, *exc) -> None:
        self.stop()


class Origin(_Threads):
    """An HTTP/1.1 server answering each request as ``behaviour`` says (a 200 with a small JSON body by default);
    keeps what it received."""

    def __init__(self, behaviour: Behaviour | None = None, *, context: ssl.SSLContext | None = None) -> None:
        self.behaviour: Behaviour = behaviour or (lambda request: Reply())
        self.received: list[Received] = []
        super().__init__(context)
        self.url = f"{'https' if context else 'http'}://127.0.0.1:{self.port}/api/router"

    def serve(self, sock: socket.socket, number: int) -> None:
        stream = sock.makefile("rb")
        on_connection = 0
        while True:
            head = _read_head(stream)
            if head is None:
                return
            line, headers = head
            body = stream.read(int(headers.get("content-length") or 0))
            on_connection += 1
            request = Received(number, on_connection, line, headers, body)
            with self._lock:
                self.received.append(request)
            reply = self.behaviour(request)
            if reply == DROP:
                return
            assert isinstance(reply, Reply)
            if reply.delay:
                time.sleep(reply.delay)
            if reply.cut_after is not None:
                sock.sendall(_head(reply.status, len(reply.body), close=False) + reply.body[: reply.cut_after])
                return
            sock.sendall(_head(reply.status, len(reply.body), close=reply.close) + reply.body)
            if reply.close or reply.close_after:
                return


class Proxy(_Threads):
    """A forward proxy: absolute-form requests are sent on to their origin, ``CONNECT`` opens a tunnel. Keeps each
    request line and its headers as asked of the proxy. With ``password``, asks for ``Proxy-Authorization`` of the
    user ``shop``."""

    def __init__(self, password: str | None = None) -> None:
        self.password = password
        self.asked: list[tuple[str, dict[str, str]]] = []
        super().__init__()
        self.url = f"http://127.0.0.1:{self.port}"

    def _authorised(self, headers: dict[str, str]) -> bool:
        if self.password is None:
            return True
        expected = "Basic " + base64.b64encode(f"shop:{self.password}".encode()).decode()
        return headers.get("proxy-authorization") == expected

    def serve(self, sock: socket.socket, number: int) -> None:
        stream = sock.makefile("rb")
        while True:
            head = _read_head(stream)
            if head is None:
                return
            line, headers = head
            with self._lock:
                self.asked.append((line, headers))
            method, target, _ = line.split(" ", 2)
            if not self._authorised(headers):
                sock.sendall(b"HTTP/1.1 407 Proxy Authentication Required\r\nContent-Length: 0\r\n\r\n")
                return
            if method == "CONNECT":
                host, _, port = target.rpartition(":")
                upstream = socket.create_connection((host, int(port)), timeout=10)
                sock.sendall(b"HTTP/1.1 200 Connection established\r\n\r\n")
                _pipe(sock, upstream)
                return
            body = stream.read(int(headers.get("content-length") or 0))
            split = target.split("/", 3)  # http: / '' / host:port / path
            origin = http.client.HTTPConnection(split[2], timeout=10)
            forwarded = {k: v for k, v in headers.items() if k not in ("proxy-authorization", "connection")}
            origin.request(method, "/" + split[3], body=body, headers=forwarded)
            answer = origin.getresponse()
            content = answer.read()
            origin.close()
            sock.sendall(_head(answer.status, len(content), close=False) + content)


def _pipe(client: socket.socket, upstream: socket.socket) -> None:
    """Copy bytes both ways until one side closes (the client sends nothing after CONNECT before the 200, so
    nothing of the tunnel waits in the head's read buffer)."""

    def down() -> None:
        try:
            while data := upstream.recv(65536):
                client.sendall(data)
        except OSError:
            pass
        finally:
            with contextlib.suppress(OSError):
                client.shutdown(socket.SHUT_WR)

    thread = threading.Thread(target=down, daemon=True)
    thread.start()
    try:
        while data := client.recv(65536):
            upstream.sendall(data)
    finally:
        with contextlib.suppress(OSError):
            upstream.shutdown(socket.SHUT_RDWR)  # wakes the other direction's recv()
        upstream.close()
        thread.join(timeout=5)


def self_signed(directory: Path, *names: str) -> tuple[Path, Path]:
    """A certificate for ``names`` (IP addresses or host names; by default 127.0.0.1 and localhost) signed by its own
    key: (certificate, key) files."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "kuaifa test origin")])
    now = dt.datetime.now(dt.UTC)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(hours=1))
        .not_valid_after(now + dt.timedelta(days=1))
        .add_extension(
            x509.SubjectAlternativeName([_alternative_name(name) for name in names or ("127.0.0.1", "localhost")]),
            critical=False,
        )
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    cert_file, key_file = directory / "origin.pem", directory / "origin.key"
    cert_file.write_bytes(certificate.public_bytes(serialization.Encoding.PEM))
    key_file.write_bytes(
        key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    )
    return cert_file, key_file


def _alternative_name(name: str):
    from cryptography import x509

    try:
        return x509.IPAddress(ipaddress.ip_address(name))
    except ValueError:
        return x509.DNSName(name)
