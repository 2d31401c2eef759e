"""How the PDD client reads an answer's body and sends its form: orjson, ``json`` for what orjson refuses,
and a form body byte for byte what httpx's ``data=`` would send."""

from __future__ import annotations

from urllib.parse import parse_qsl

import httpx
import pytest

from kuaifa.platforms.pdd.client import PddClient, _decode
from kuaifa.platforms.pdd.errors import PddTransportError


def response(body: bytes, content_type: str = "application/json;charset=UTF-8") -> httpx.Response:
    return httpx.Response(200, content=body, headers={"Content-Type": content_type})


def test_utf8_answer_is_read_with_its_chinese_text() -> None:
    body = '{"order_sn_increment_get_response": {"total_count": 1, "order_sn_list": [{"address": "上海市"}]}}'
    assert _decode(response(body.encode())) == {
        "order_sn_increment_get_response": {"total_count": 1, "order_sn_list": [{"address": "上海市"}]}
    }


def test_java_long_range_is_read_exactly() -> None:
    body = f'{{"low": {-(2**63)}, "high": {2**63 - 1}, "unsigned": {2**64 - 1}}}'.encode()
    assert _decode(response(body)) == {"low": -(2**63), "high": 2**63 - 1, "unsigned": 2**64 - 1}


def test_what_orjson_refuses_is_read_by_json() -> None:
    assert _decode(response(b'{"x": NaN, "s": "\\ud800"}'))["s"] == "\ud800"


def test_body_that_is_not_json_raises_value_error() -> None:
    with pytest.raises(ValueError):
        _decode(response(b"<html>502 Bad Gateway</html>", "text/html; charset=utf-8"))


def test_garbled_answer_is_a_retryable_transport_error() -> None:
    transport = httpx.MockTransport(lambda request: response(b'{"pdd.time.get_response": {"time": '))
    client = PddClient("id", "secret", "token", http=httpx.Client(transport=transport), rate_limits={}, max_retries=0)
    with pytest.raises(PddTransportError) as raised:
        client.call("pdd.time.get")
    assert raised.value.retryable


def test_form_body_is_what_httpx_data_sends() -> None:
    sent: list[httpx.Request] = []

    def answer(request: httpx.Request) -> httpx.Response:
        sent.append(request)
        return response(b'{"order_info_get_response": {"order_info": {"order_sn": "1"}}}')

    client = PddClient("id", "secret", "tok en", http=httpx.Client(transport=httpx.MockTransport(answer)),
                       rate_limits={}, clock=lambda: 1_700_000_000.0)  # fmt: skip
    client.call("pdd.order.information.get", order_sn="260302-1 &=中文")
    request = sent[0]
    form = dict(parse_qsl(request.content.decode()))
    assert request.headers["content-type"] == "application/x-www-form-urlencoded"
    assert int(request.headers["content-length"]) == len(request.content)
    assert request.content == httpx.Request("POST", "http://x/", data=form).content
    assert form["order_sn"] == "260302-1 &=中文" and form["access_token"] == "tok en"
