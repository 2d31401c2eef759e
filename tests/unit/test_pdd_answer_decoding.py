"""How the PDD client reads an answer's body and sends its form: orjson, ``json`` for what orjson refuses, and a
form body byte for byte what ``urllib.parse.urlencode`` of the signed parameters gives, with its headers."""

from __future__ import annotations

from urllib.parse import parse_qsl, urlencode

import pytest

from kuaifa.platforms.pdd.client import PddClient, _decode
from kuaifa.platforms.pdd.errors import PddTransportError
from kuaifa.platforms.pdd.http import Answer
from kuaifa.platforms.pdd.signing import sign
from tests.recording_http import RecordingHttp


def test_utf8_answer_is_read_with_its_chinese_text() -> None:
    body = '{"order_sn_increment_get_response": {"total_count": 1, "order_sn_list": [{"address": "上海市"}]}}'
    assert _decode(body.encode()) == {
        "order_sn_increment_get_response": {"total_count": 1, "order_sn_list": [{"address": "上海市"}]}
    }


def test_java_long_range_is_read_exactly() -> None:
    body = f'{{"low": {-(2**63)}, "high": {2**63 - 1}, "unsigned": {2**64 - 1}}}'.encode()
    assert _decode(body) == {"low": -(2**63), "high": 2**63 - 1, "unsigned": 2**64 - 1}


def test_what_orjson_refuses_is_read_by_json() -> None:
    assert _decode(b'{"x": NaN, "s": "\\ud800"}')["s"] == "\ud800"
    assert _decode(b'\xef\xbb\xbf{"bom": 1}') == {"bom": 1}  # a UTF-8 byte order mark


def test_body_that_is_not_json_raises_value_error() -> None:
    with pytest.raises(ValueError):
        _decode(b"<html>502 Bad Gateway</html>")
    with pytest.raises(ValueError):
        _decode(b'{"s": "\xff"}')  # not UTF-8


def test_garbled_answer_is_a_retryable_transport_error() -> None:
    http = RecordingHttp(answers=[Answer(200, b'{"pdd.time.get_response": {"time": ')])
    client = PddClient("id", "secret", "token", http=http, rate_limits={}, max_retries=0)
    with pytest.raises(PddTransportError) as raised:
        client.call("pdd.time.get")
    assert raised.value.retryable


@pytest.mark.parametrize(("status", "retryable"), [(429, True), (500, True), (503, True), (403, False), (302, False)])
def test_a_status_other_than_200_is_a_transport_error(status: int, retryable: bool) -> None:
    http = RecordingHttp(answers=[Answer(status, b"{}")])
    client = PddClient("id", "secret", "token", http=http, rate_limits={}, max_retries=0)
    with pytest.raises(PddTransportError) as raised:
        client.call("pdd.time.get")
    assert (raised.value.retryable, raised.value.http_status) == (retryable, status)


def test_form_body_is_the_urlencoded_signed_parameters() -> None:
    http = RecordingHttp(answers=[Answer(200, b'{"order_info_get_response": {"order_info": {"order_sn": "1"}}}')])
    client = PddClient("id", "secret", "tok en", base_url="http://x/api/router", http=http, timeout=2.5,
                       rate_limits={}, clock=lambda: 1_700_000_000.0)  # fmt: skip
    client.call("pdd.order.information.get", order_sn="260302-1 &=中文")

    [request] = http.sent
    form = dict(parse_qsl(request.body.decode()))
    assert (request.url, request.timeout) == ("http://x/api/router", 2.5)
    assert request.headers == {"Content-Type": "application/x-www-form-urlencoded"}
    assert request.body == urlencode(form).encode()  # the same bytes, in the same order
    assert form["order_sn"] == "260302-1 &=中文" and form["access_token"] == "tok en"
    assert form["timestamp"] == "1700000000" and form["data_type"] == "JSON" and form["version"] == "V1"
    unsigned = {k: v for k, v in form.items() if k != "sign"}
    assert form["sign"] == sign(unsigned, "secret")
    assert list(form)[-1] == "sign"
