"""An :class:`~kuaifa.platforms.pdd.http.HttpPost` that keeps what the client sent: over real HTTP (a
:class:`PooledHttp` underneath), or answering canned answers without a network."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from urllib.parse import parse_qsl

from kuaifa.platforms.pdd.http import Answer, HttpPost, PooledHttp


@dataclass(frozen=True)
class Sent:
    url: str
    body: bytes
    headers: dict[str, str]
    timeout: float

    def form(self) -> dict[str, str]:
        return dict(parse_qsl(self.body.decode(), keep_blank_values=True))


class RecordingHttp:
    """Records each post; answers from ``answers`` (a list taken in order, or a function of the request) when
    given, else passes the request on to ``inner`` (a real :class:`PooledHttp` by default)."""

    def __init__(
        self,
        inner: HttpPost | None = None,
        *,
        answers: Iterable[Answer] | Callable[[Sent], Answer] | None = None,
    ) -> None:
        self.sent: list[Sent] = []
        self._answers = answers if answers is None or callable(answers) else list(answers)
        self._inner = inner if inner is not None or answers is not None else PooledHttp(proxies={})
        self.closed = False

    def post(self, url: str, body: bytes, headers: Mapping[str, str], timeout: float) -> Answer:
        request = Sent(url, body, dict(headers), timeout)
        self.sent.append(request)
        if callable(self._answers):
            return self._answers(request)
        if self._answers is not None:
            return self._answers.pop(0)
        assert self._inner is not None
        return self._inner.post(url, body, headers, timeout)

    def close(self) -> None:
        self.closed = True
        if self._inner is not None:
            self._inner.close()
