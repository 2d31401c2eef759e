"""Digests of platform records: equal records, equal digests; any change, another digest; digests stored by the
first recipe still recognised."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, replace
from datetime import timedelta
from typing import Any

import pytest

from kuaifa.domain.orders.canonical import CanonicalLine, Receiver
from kuaifa.services.fingerprints import VERSION, fingerprint
from tests.unit.test_aftersales import _case
from tests.unit.test_intake import T0, F, make_order


def _first_recipe(record: object) -> str:
    """How digests were taken before the version prefix (and are still stored for orders not changed since)."""
    return hashlib.blake2b(repr(record).encode(), digest_size=16).hexdigest()


def test_equal_orders_have_equal_fingerprints() -> None:
    assert fingerprint(make_order()) == fingerprint(make_order())


def test_a_fingerprint_is_the_version_and_30_hex_digits_and_fits_the_column() -> None:
    digest = fingerprint(make_order())
    assert digest.startswith(VERSION) and len(digest) == 32
    assert int(digest[len(VERSION) :], 16) >= 0


def test_the_recipe_is_pinned() -> None:
    # every stored digest depends on it: a changed recipe makes every order fetched again look changed
    assert fingerprint(make_order()) == "v2d787d6e25ec735c885c16d86791c7f"


@pytest.mark.parametrize(
    "changes",
    [
        {"remark": "老客户"},
        {"pay_amount_fen": 1991},
        {"refund_status": F.REFUNDING},
        {"receiver": Receiver(province="浙江省", city="杭州市", address_mask="滨江区****")},
        {"lines": (CanonicalLine(quantity=3, unit_price_fen=995, platform_sku_id="s1", outer_id="TEA-250"),)},
        {"lines": (CanonicalLine(quantity=2, unit_price_fen=995, platform_sku_id="s1", outer_id="TEA-250"),) * 2},
        {"updated_at": T0 + timedelta(seconds=1)},
        {"updated_at": T0 + timedelta(microseconds=1)},
        {"updated_at": None},
        {"tags": ("顺丰包邮",)},
        {"is_pre_sale": True},
        {"buyer_memo": "1"},
    ],
)
def test_any_change_the_platform_reports_changes_the_fingerprint(changes: dict[str, Any]) -> None:
    assert fingerprint(make_order(**changes)) != fingerprint(make_order())


def test_values_that_print_alike_in_json_still_differ_by_field() -> None:
    # the same text moved from one field to the next is another order
    assert fingerprint(make_order(buyer_memo="x", remark="")) != fingerprint(make_order(buyer_memo="", remark="x"))


def test_a_case_has_its_own_digest_and_any_change_moves_it() -> None:
    case = _case()
    assert fingerprint(case) == fingerprint(_case())
    assert fingerprint(replace(case, refund_amount_fen=4291)) != fingerprint(case)
    assert fingerprint(replace(case, goods=replace(case.goods, quantity=2))) != fingerprint(case)


@pytest.mark.parametrize("record", [make_order(), _case()], ids=["order", "case"])
def test_a_digest_stored_by_the_first_recipe_is_kept_while_the_record_is_unchanged(record: object) -> None:
    stored = _first_recipe(record)
    assert fingerprint(record, stored) == stored


def test_a_digest_stored_by_the_first_recipe_does_not_match_a_changed_order() -> None:
    stored = _first_recipe(make_order())
    changed = make_order(remark="改了地址")
    assert fingerprint(changed, stored) == fingerprint(changed) != stored


def test_a_current_digest_is_compared_as_it_is() -> None:
    order = make_order()
    assert fingerprint(order, fingerprint(order)) == fingerprint(order)
    assert fingerprint(order, fingerprint(make_order(remark="x"))) == fingerprint(order)


@dataclass(frozen=True)
class _Odd:
    values: frozenset[int]


def test_a_value_with_no_written_form_is_refused_not_skipped() -> None:
    with pytest.raises(TypeError):
        fingerprint(_Odd(frozenset({1})))
