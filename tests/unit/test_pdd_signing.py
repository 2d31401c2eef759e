"""PDD request signing (pdd-reference §1.3): the official test vector and the SDKs' value rules."""

from __future__ import annotations

import hashlib

import pytest
from hypothesis import given
from hypothesis import strategies as st

from kuaifa.platforms.pdd.signing import encode_params, sign

OFFICIAL_PARAMS = {
    "access_token": "asd78172s8ds9a921j9qqwda12312w1w21211",
    "client_id": "1",
    "data_type": "XML",
    "order_status": "1",
    "page": "1",
    "page_size": "10",
    "timestamp": "1480411125",
    "type": "pdd.order.number.list.get",
}


def _md5_upper(text: str) -> str:
    return hashlib.md5(text.encode()).hexdigest().upper()


def test_the_official_test_vector_signs_to_the_documented_value() -> None:
    assert sign(OFFICIAL_PARAMS, "testSecret") == "E4DE3ED21002510DED352819E7AE6775"


def test_integers_sign_like_their_decimal_strings() -> None:
    as_ints = {
        **OFFICIAL_PARAMS,
        "client_id": 1,
        "order_status": 1,
        "page": 1,
        "page_size": 10,
        "timestamp": 1480411125,
    }
    assert sign(as_ints, "testSecret") == "E4DE3ED21002510DED352819E7AE6775"


def test_an_existing_sign_parameter_is_not_signed() -> None:
    assert sign({**OFFICIAL_PARAMS, "sign": "WHATEVER"}, "testSecret") == "E4DE3ED21002510DED352819E7AE6775"


def test_the_order_in_which_parameters_are_given_does_not_matter() -> None:
    reversed_params = dict(reversed(list(OFFICIAL_PARAMS.items())))
    assert sign(reversed_params, "testSecret") == sign(OFFICIAL_PARAMS, "testSecret")


@pytest.mark.parametrize("empty", [None, ""])
def test_none_and_empty_values_are_left_out_of_the_sign_and_the_request(empty: object) -> None:
    with_empty = {**OFFICIAL_PARAMS, "refund_address_id": empty}
    assert sign(with_empty, "testSecret") == "E4DE3ED21002510DED352819E7AE6775"
    assert "refund_address_id" not in encode_params(with_empty)


def test_booleans_are_signed_and_sent_as_lowercase_true_and_false() -> None:
    params = {"type": "pdd.order.number.list.increment.get", "use_has_next": True, "is_x": False}
    assert encode_params(params) == {
        "type": "pdd.order.number.list.increment.get",
        "use_has_next": "true",
        "is_x": "false",
    }
    assert sign(params, "s") == _md5_upper("sis_xfalsetypepdd.order.number.list.increment.getuse_has_nexttrues")


def test_objects_and_arrays_are_compact_json_with_unicode_kept() -> None:
    params = {"request": {"order_sn": "1", "operate_desc": "同意"}, "extra_track_list": [{"shipping_id": 85}]}
    wire = encode_params(params)
    assert wire == {
        "request": '{"order_sn":"1","operate_desc":"同意"}',
        "extra_track_list": '[{"shipping_id":85}]',
    }
    expected = _md5_upper("k" + "extra_track_list" + wire["extra_track_list"] + "request" + wire["request"] + "k")
    assert sign(params, "k") == expected


def test_non_ascii_values_are_hashed_as_utf8() -> None:
    params = {"note": "请发顺丰"}
    assert sign(params, "s") == hashlib.md5("snote请发顺丰s".encode()).hexdigest().upper()


def test_keys_sort_by_ascii_so_uppercase_comes_first() -> None:
    assert sign({"b": "2", "B": "1", "a": "3"}, "s") == _md5_upper("sB1a3b2s")


def test_values_that_cannot_be_sent_are_refused() -> None:
    with pytest.raises(TypeError, match="object"):
        sign({"x": object()}, "s")


@given(st.dictionaries(st.from_regex(r"[a-z_]{1,12}", fullmatch=True), st.text(min_size=1, max_size=20), max_size=8))
def test_sign_matches_the_spec_for_any_string_parameters(params: dict[str, str]) -> None:
    params.pop("sign", None)
    expected = _md5_upper("sec" + "".join(k + params[k] for k in sorted(params)) + "sec")
    result = sign(params, "sec")
    assert result == expected
    assert len(result) == 32 and result == result.upper()
