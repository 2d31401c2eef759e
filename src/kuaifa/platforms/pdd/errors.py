"""Typed errors from the PDD gateway's ``error_response`` (pdd-reference §1.4).

Every failure the gateway reports carries ``error_code``, ``error_msg``, ``sub_code``, ``sub_msg`` and
``request_id``. The code decides what a caller may do about it, so each family of codes gets its own class:
retry with backoff (system, gateway and rate-limit codes), refresh the token (10019), fix configuration
(auth, sign, permission), alert a person (risk-control bans), or treat it as a refusal of this one request
(business and parameter errors). :func:`error_from_response` builds the right class from the envelope.
"""

from __future__ import annotations

from collections.abc import Mapping


class PddError(Exception):
    """A call to the PDD gateway failed. ``retryable`` says whether the same call may succeed later unchanged."""

    retryable = False

    def __init__(
        self,
        code: int,
        msg: str = "",
        sub_code: str | None = None,
        sub_msg: str = "",
        request_id: str = "",
    ) -> None:
        self.code = code
        self.msg = msg
        self.sub_code = sub_code
        self.sub_msg = sub_msg
        self.request_id = request_id
        parts = [f"PDD error {code}: {msg}"]
        if sub_code:
            parts.append(f"sub_code {sub_code}")
        if sub_msg:
            parts.append(sub_msg)
        if request_id:
            parts.append(f"request_id {request_id}")
        super().__init__("; ".join(parts))


class PddRetryableError(PddError):
    """System, gateway or degradation error (50000–50002, 52001/52002, 52102/52103): retry with backoff."""

    retryable = True


class PddRateLimited(PddRetryableError):
    """The API or the app is being throttled (70031 调用过于频繁, 52101 当前接口被限流): back off, then retry."""


class PddTokenExpired(PddError):
    """10019 access_token 已过期: refresh the token (or have the merchant authorize again)."""


class PddAuthError(PddError):
    """20032 wrong access_token or client_id, 10016 client offline: a configuration problem, never retried."""


class PddSignError(PddError):
    """20004 sign 校验失败: the client secret or the signing of parameters is wrong."""


class PddPermissionError(PddError):
    """20031 the app lacks the permission package for this API."""


class PddBannedError(PddError):
    """70032–70035 calls forbidden by risk control: stop and alert a person."""


class PddBusinessError(PddError):
    """The request was understood and refused (21001/21002 business parameters, 45001 order not in this shop)."""


class PddOrderNotFound(PddBusinessError):
    """45001 订单不属于当前店铺或订单不存在: wrong shop token, too early after a push message, older than 90 days,
    or a wrong order number."""


class PddParamError(PddError):
    """10000 参数错误 / 10001 公共参数错误: the request is malformed; fix it, do not retry."""


class PddConfigError(PddError):
    """10017 wrong type, 20005 IP not whitelisted, 20034/20035 API offline or wrong gateway, 70036 test-app quota."""


class PddTransportError(PddError):
    """No usable gateway answer: network error, timeout, HTTP error status or a body that is not the envelope.

    ``code`` is 0 (no platform code exists); ``http_status`` is set when the gateway answered with an HTTP error.
    Timeouts, connection errors, HTTP 429 and 5xx are retryable; anything else is not.
    """

    def __init__(self, msg: str, *, retryable: bool, http_status: int | None = None) -> None:
        super().__init__(0, msg)
        self.retryable = retryable
        self.http_status = http_status


RETRYABLE_CODES = frozenset({50000, 50001, 50002, 52001, 52002, 52102, 52103})
RATE_LIMIT_CODES = frozenset({52101, 70031})

_CLASS_BY_CODE: dict[int, type[PddError]] = {
    **dict.fromkeys(RETRYABLE_CODES, PddRetryableError),
    **dict.fromkeys(RATE_LIMIT_CODES, PddRateLimited),
    10019: PddTokenExpired,
    20032: PddAuthError,
    10016: PddAuthError,
    20004: PddSignError,
    20031: PddPermissionError,
    **dict.fromkeys((70032, 70033, 70034, 70035), PddBannedError),
    21001: PddBusinessError,
    21002: PddBusinessError,
    45001: PddOrderNotFound,
    10000: PddParamError,
    10001: PddParamError,
    **dict.fromkeys((10017, 20005, 20034, 20035, 70036), PddConfigError),
}


def error_class(code: int) -> type[PddError]:
    """The error class for a gateway ``error_code``; unknown codes are plain, non-retryable :class:`PddError`."""
    return _CLASS_BY_CODE.get(code, PddError)


def error_from_response(envelope: Mapping[str, object]) -> PddError:
    """Build the typed error from ``{"error_response": {...}}`` (or from the inner object itself)."""
    inner = envelope.get("error_response", envelope)
    body: Mapping[str, object] = inner if isinstance(inner, Mapping) else {}
    raw_code = body.get("error_code")
    if isinstance(raw_code, bool) or not isinstance(raw_code, int | str) or not str(raw_code).strip().isdigit():
        return PddTransportError(f"error_response without a numeric error_code: {body!r}", retryable=False)
    code = int(raw_code)
    sub_code = body.get("sub_code")
    return error_class(code)(
        code,
        str(body.get("error_msg") or ""),
        None if sub_code is None or sub_code == "" else str(sub_code),
        str(body.get("sub_msg") or ""),
        str(body.get("request_id") or ""),
    )
