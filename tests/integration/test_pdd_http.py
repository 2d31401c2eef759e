"""The PDD client's HTTP (``platforms/pdd/http.py``) against real servers on 127.0.0.1: connection reuse, the one
resend after a kept-alive connection the server closed, timeouts and failures, proxies and TLS verification."""

from __future__ import annotations

import base64
import ssl
import threading
import time
from pathlib import Path

import pytest

from kuaifa.platforms.pdd.http import MAX_IDLE_PER_HOST, Answer, HttpTimeout, HttpTransportFailure, PooledHttp
from tests.local_http import DROP, Origin, Proxy, Received, Reply, self_signed

FORM = {"Content-Type": "application/x-www-form-urlencoded"}
PROXY_VARIABLES = ("http_proxy", "https_proxy", "all_proxy", "no_proxy")


@pytest.fixture
def origin():
    with Origin() as server:
        yield server


@pytest.fixture
def direct():
    pool = PooledHttp(proxies={})
    yield pool
    pool.close()


@pytest.fixture
def no_proxy_env(monkeypatch: pytest.MonkeyPatch) -> pytest.MonkeyPatch:
    for name in PROXY_VARIABLES:
        monkeypatch.delenv(name, raising=False)
        monkeypatch.delenv(name.upper(), raising=False)
    monkeypatch.delenv("REQUEST_METHOD", raising=False)
    return monkeypatch


@pytest.fixture
def certificate(tmp_path: Path) -> tuple[Path, Path]:
    return self_signed(tmp_path)


def tls_server_context(certificate: tuple[Path, Path]) -> ssl.SSLContext:
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(*certificate)
    return context


def post(pool: PooledHttp, url: str, body: bytes = b"a=1", timeout: float = 5.0) -> Answer:
    return pool.post(url, body, FORM, timeout)


# --- what is sent -------------------------------------------------------------------------------------------------


def test_the_request_carries_the_form_its_length_and_the_user_agent(origin: Origin, direct: PooledHttp) -> None:
    answer = post(direct, origin.url, b"type=pdd.time.get&x=%E4%B8%AD")

    assert answer == Answer(200, b'{"ok": true}')
    [request] = origin.received
    assert request.request_line == "POST /api/router HTTP/1.1"
    assert request.body == b"type=pdd.time.get&x=%E4%B8%AD"
    assert request.headers["content-type"] == "application/x-www-form-urlencoded"
    assert request.headers["content-length"] == str(len(request.body))
    assert request.headers["host"] == f"127.0.0.1:{origin.port}"
    assert request.headers["user-agent"].startswith("kuaifa/")
    assert "accept-encoding" not in request.headers  # answers come uncompressed


def test_statuses_other_than_200_come_back_as_answers(direct: PooledHttp) -> None:
    replies = {b"503": Reply(503, b"busy"), b"429": Reply(429, b"slow down"), b"404": Reply(404, b"")}
    with Origin(lambda request: replies[request.body]) as server:
        assert [post(direct, server.url, code) for code in replies] == [
            Answer(503, b"busy"),
            Answer(429, b"slow down"),
            Answer(404, b""),
        ]
        assert server.accepted == 1  # an error status does not cost the connection


# --- connection reuse ---------------------------------------------------------------------------------------------


def test_one_connection_carries_posts_one_after_another(origin: Origin, direct: PooledHttp) -> None:
    for n in range(5):
        assert post(direct, origin.url, f"n={n}".encode()).status == 200

    assert origin.accepted == 1
    assert [(r.connection, r.on_connection) for r in origin.received] == [(1, n) for n in range(1, 6)]
    assert direct.idle_count(origin.url) == 1


def test_an_answer_saying_connection_close_is_not_kept(direct: PooledHttp) -> None:
    with Origin(lambda request: Reply(close=True)) as server:
        post(direct, server.url)
        assert direct.idle_count(server.url) == 0
        post(direct, server.url)
        assert server.accepted == 2


def test_a_connection_the_server_closed_while_idle_is_not_used(direct: PooledHttp) -> None:
    with Origin(lambda request: Reply(close_after=True)) as server:  # kept alive by its headers, closed anyway
        post(direct, server.url)
        deadline = time.monotonic() + 5
        while _server_threads_alive(server) and time.monotonic() < deadline:  # it has closed the connection
            time.sleep(0.01)
        assert post(direct, server.url, b"second").status == 200

        assert [(r.connection, r.on_connection, r.body) for r in server.received] == [
            (1, 1, b"a=1"),
            (2, 1, b"second"),
        ]


def _server_threads_alive(server: Origin) -> bool:
    return any(thread.is_alive() for thread in server._threads)


def test_a_kept_alive_connection_dropped_before_any_answer_is_sent_again_once_on_a_new_one(
    direct: PooledHttp,
) -> None:
    def second_dropped(request: Received) -> Reply | str:
        return DROP if (request.connection, request.on_connection) == (1, 2) else Reply(body=request.body)

    with Origin(second_dropped) as server:
        assert post(direct, server.url, b"first") == Answer(200, b"first")
        assert post(direct, server.url, b"second") == Answer(200, b"second")

        assert [(r.connection, r.on_connection, r.body) for r in server.received] == [
            (1, 1, b"first"),
            (1, 2, b"second"),  # the server read it, then closed without a word
            (2, 1, b"second"),  # sent again on a new connection
        ]


def test_the_resend_happens_once_and_a_new_connection_dropped_is_a_failure(direct: PooledHttp) -> None:
    with Origin(lambda request: Reply() if request.connection == 1 and request.on_connection == 1 else DROP) as server:
        post(direct, server.url)
        with pytest.raises(HttpTransportFailure):
            post(direct, server.url, b"second")

        assert [(r.connection, r.on_connection) for r in server.received] == [(1, 1), (1, 2), (2, 1)]
        with pytest.raises(HttpTransportFailure):
            post(direct, server.url, b"third")  # a new connection dropped: not sent again
        assert len(server.received) == 4


def test_a_server_dying_in_the_middle_of_the_answer_is_a_failure_not_a_resend(direct: PooledHttp) -> None:
    page = b"x" * 200_000

    def cut_second(request: Received) -> Reply:
        return Reply(body=page, cut_after=50_000) if request.on_connection == 2 else Reply()

    with Origin(cut_second) as server:
        post(direct, server.url)
        with pytest.raises(HttpTransportFailure) as raised:
            post(direct, server.url)

        assert not isinstance(raised.value, HttpTimeout)
        assert "IncompleteRead" in str(raised.value)
        assert len(server.received) == 2
        assert direct.idle_count(server.url) == 0
        assert post(direct, server.url).status == 200  # a new connection after the broken one


def test_at_most_eight_idle_connections_are_kept_per_host(direct: PooledHttp) -> None:
    threads = MAX_IDLE_PER_HOST + 4
    all_asked = threading.Barrier(threads, timeout=10)  # no answer before every thread has asked: 12 connections

    def together(request: Received) -> Reply:
        all_asked.wait()
        return Reply()

    with Origin(together) as server:
        start = threading.Barrier(threads)

        def one() -> None:
            start.wait()
            post(direct, server.url)

        workers = [threading.Thread(target=one) for _ in range(threads)]
        for worker in workers:
            worker.start()
        for worker in workers:
            worker.join(timeout=10)

        assert server.accepted == threads
        assert direct.idle_count(server.url) == MAX_IDLE_PER_HOST


def test_threads_posting_at_once_each_get_their_own_answer(direct: PooledHttp) -> None:
    with Origin(lambda request: Reply(body=b"echo:" + request.body)) as server:
        wrong: list[tuple[bytes, Answer]] = []
        errors: list[BaseException] = []

        def worker(n: int) -> None:
            try:
                for i in range(25):
                    body = f"thread={n}&call={i}".encode()
                    answer = post(direct, server.url, body)
                    if answer != Answer(200, b"echo:" + body):
                        wrong.append((body, answer))
            except BaseException as error:
                errors.append(error)

        workers = [threading.Thread(target=worker, args=(n,)) for n in range(12)]
        for thread in workers:
            thread.start()
        for thread in workers:
            thread.join(timeout=30)

        assert errors == [] and wrong == []
        assert len(server.received) == 12 * 25
        assert server.accepted <= 12  # connections are reused, never shared by two requests at once


# --- failures -----------------------------------------------------------------------------------------------------


def test_a_read_timeout_is_a_timeout_after_about_the_time_given(direct: PooledHttp) -> None:
    with Origin(lambda request: Reply(delay=2.0)) as server:
        started = time.monotonic()
        with pytest.raises(HttpTimeout):
            post(direct, server.url, timeout=0.3)
        waited = time.monotonic() - started

        assert 0.25 <= waited < 1.5
        assert len(server.received) == 1  # not sent again: the server may be doing it


def test_a_refused_connection_is_a_transport_failure(direct: PooledHttp) -> None:
    with Origin() as server:
        url = server.url
    with pytest.raises(HttpTransportFailure) as raised:
        post(direct, url)
    assert not isinstance(raised.value, HttpTimeout)
    assert isinstance(raised.value.__cause__, ConnectionRefusedError)


def test_a_url_that_is_not_http_is_a_transport_failure(direct: PooledHttp) -> None:
    with pytest.raises(HttpTransportFailure, match="not an http"):
        post(direct, "ftp://127.0.0.1/api/router")


def test_a_closed_pool_takes_no_more_requests(origin: Origin) -> None:
    pool = PooledHttp(proxies={})
    post(pool, origin.url)
    pool.close()
    assert pool.idle_count(origin.url) == 0
    with pytest.raises(RuntimeError):
        post(pool, origin.url)


# --- TLS ----------------------------------------------------------------------------------------------------------


def test_a_certificate_no_trusted_authority_signed_is_refused(
    certificate: tuple[Path, Path], no_proxy_env: pytest.MonkeyPatch
) -> None:
    with Origin(context=tls_server_context(certificate)) as server:
        pool = PooledHttp()  # verifying against the default authorities
        with pytest.raises(HttpTransportFailure) as raised:
            post(pool, server.url)
        assert isinstance(raised.value.__cause__, ssl.SSLCertVerificationError)
        assert server.received == []

        trusting = PooledHttp(ssl_context=ssl.create_default_context(cafile=str(certificate[0])))
        assert post(trusting, server.url) == Answer(200, b'{"ok": true}')  # the same server, its certificate trusted
        pool.close()
        trusting.close()


def test_the_certificate_must_name_the_host(tmp_path: Path, no_proxy_env: pytest.MonkeyPatch) -> None:
    elsewhere = self_signed(tmp_path, "elsewhere.example")
    with Origin(context=tls_server_context(elsewhere)) as server:
        pool = PooledHttp(ssl_context=ssl.create_default_context(cafile=str(elsewhere[0])))  # trusted, other name
        with pytest.raises(HttpTransportFailure) as raised:
            post(pool, server.url)
        assert isinstance(raised.value.__cause__, ssl.SSLCertVerificationError)
        pool.close()


# --- proxies ------------------------------------------------------------------------------------------------------


def test_an_http_url_goes_through_the_proxy_of_the_environment_in_absolute_form(
    origin: Origin, no_proxy_env: pytest.MonkeyPatch
) -> None:
    with Proxy(password="p@ss word") as proxy:
        no_proxy_env.setenv("http_proxy", proxy.url.replace("http://", "http://shop:p%40ss%20word@"))
        pool = PooledHttp()
        assert post(pool, origin.url, b"one") == Answer(200, b'{"ok": true}')
        assert post(pool, origin.url, b"two").status == 200
        pool.close()

        credentials = base64.b64encode(b"shop:p@ss word").decode()
        assert [(line, headers["proxy-authorization"]) for line, headers in proxy.asked] == [
            (f"POST {origin.url} HTTP/1.1", f"Basic {credentials}"),
            (f"POST {origin.url} HTTP/1.1", f"Basic {credentials}"),
        ]
        assert proxy.accepted == 1  # the connection to the proxy is kept
        assert [r.body for r in origin.received] == [b"one", b"two"]
        assert all("proxy-authorization" not in r.headers for r in origin.received)


def test_a_host_in_no_proxy_is_reached_directly(origin: Origin, no_proxy_env: pytest.MonkeyPatch) -> None:
    with Proxy() as proxy:
        no_proxy_env.setenv("http_proxy", proxy.url)
        no_proxy_env.setenv("no_proxy", "example.com,127.0.0.1")
        pool = PooledHttp()
        assert post(pool, origin.url).status == 200
        pool.close()

        assert proxy.asked == [] and len(origin.received) == 1


def test_an_https_url_goes_through_a_connect_tunnel_verified_end_to_end(
    certificate: tuple[Path, Path], no_proxy_env: pytest.MonkeyPatch
) -> None:
    with Origin(context=tls_server_context(certificate)) as server, Proxy(password="secret") as proxy:
        no_proxy_env.setenv("https_proxy", proxy.url.replace("http://", "http://shop:secret@"))
        pool = PooledHttp(ssl_context=ssl.create_default_context(cafile=str(certificate[0])))
        assert post(pool, server.url, b"one").status == 200
        assert post(pool, server.url, b"two").status == 200
        pool.close()

        credentials = base64.b64encode(b"shop:secret").decode()
        assert [(line, headers.get("proxy-authorization")) for line, headers in proxy.asked] == [
            (f"CONNECT 127.0.0.1:{server.port} HTTP/1.0", f"Basic {credentials}")  # one tunnel, kept
        ]
        assert [(r.request_line, r.body) for r in server.received] == [
            ("POST /api/router HTTP/1.1", b"one"),
            ("POST /api/router HTTP/1.1", b"two"),
        ]
        assert all("proxy-authorization" not in r.headers for r in server.received)


def test_a_tunnel_the_proxy_refuses_is_a_transport_failure(
    certificate: tuple[Path, Path], no_proxy_env: pytest.MonkeyPatch
) -> None:
    with Origin(context=tls_server_context(certificate)) as server, Proxy(password="secret") as proxy:
        no_proxy_env.setenv("https_proxy", proxy.url)  # no credentials
        pool = PooledHttp(ssl_context=ssl.create_default_context(cafile=str(certificate[0])))
        with pytest.raises(HttpTransportFailure, match="407"):
            post(pool, server.url)
        pool.close()
        assert server.received == []


def test_a_proxy_url_that_is_not_http_is_refused_with_a_reason(origin: Origin) -> None:
    pool = PooledHttp(proxies={"http": "https://proxy.example:3128", "https": "socks5://proxy.example:1080"})
    with pytest.raises(HttpTransportFailure, match=r"only http:// proxies"):
        post(pool, origin.url)
    with pytest.raises(HttpTransportFailure, match=r"only http:// proxies"):
        post(pool, origin.url.replace("http://", "https://"))
    assert origin.received == []
