"""Shop settings: ship-by promise, sender, review rules — and a dry run showing changed verdicts, saving nothing."""

import re

from kuaifa.persistence.models import AccessEvent, Shop
from tests.web.conftest import ingest, make_order

SENDER = {"sender_name": "王仓管", "sender_mobile": "13800000000", "sender_province": "浙江省",
          "sender_city": "杭州市", "sender_district": "余杭区", "sender_detail": "仓前街道 1 号"}  # fmt: skip
DEFAULT_FORM = {"ship_by_hours": "48", "enabled_address_incomplete": "on", "enabled_amount_anomaly": "on",
                "enabled_buyer_memo": "on", "min_pay": "0.01", "max_pay": "5000", "memo_keywords": "", "days": "7",
                **SENDER}  # fmt: skip


def changed_rows(html: str) -> list[str]:
    return re.findall(r'<tr data-change="([^"]+)">', html)


def test_dry_run_lists_the_orders_whose_verdict_would_change_and_saves_nothing(signed_in, stocked):
    ingest(stocked, [make_order("MEMO-1", ("TEA-001", 1), buyer_memo="请发顺丰"),
                     make_order("BIG-2", ("CUP-002", 3)), make_order("SMALL-3", ("TEA-001", 1))])  # fmt: skip
    client = signed_in("owner")
    form = {**DEFAULT_FORM, "enabled_buyer_memo": "", "max_pay": "20", "action": "dry_run"}  # 3 × 10 yuan > 20

    response = client.post(f"/shops/{stocked.id}/settings/", form)

    html = response.content.decode()
    assert response.status_code == 200
    assert 'data-examined="3" data-changed="2"' in html
    assert changed_rows(html) == ["MEMO-1", "BIG-2"]
    assert Shop.objects.get(id=stocked.id).review_rules == []
    assert not AccessEvent.objects.filter(kind="shop_settings_changed").exists()


def test_saving_stores_promise_sender_and_rules_together_and_names_the_person(signed_in, shop):
    client = signed_in("owner")
    form = {**DEFAULT_FORM, "ship_by_hours": "24", "memo_keywords": "顺丰、加急", "action": "save"}

    response = client.post(f"/shops/{shop.id}/settings/", form)

    assert response.status_code == 302
    saved = Shop.objects.get(id=shop.id)
    assert saved.ship_by_hours == 24
    assert (saved.sender_name, saved.sender_mobile, saved.sender_district) == ("王仓管", "13800000000", "余杭区")
    assert saved.review_rules == [
        {"code": "address_incomplete", "enabled": True},
        {"code": "amount_anomaly", "enabled": True, "params": {"min_pay_fen": 1, "max_pay_fen": 500_000}},
        {"code": "buyer_memo", "enabled": True, "params": {"keywords": ["顺丰", "加急"]}},
    ]
    audit = AccessEvent.objects.get(kind="shop_settings_changed")
    assert audit.actor == "user:owner"
    assert audit.details["before"]["ship_by_hours"] == 48
    assert audit.details["after"]["ship_by_hours"] == 24


def test_a_bad_sender_phone_is_refused_by_name_and_nothing_is_saved(signed_in, shop):
    client = signed_in("owner")
    form = {**DEFAULT_FORM, "ship_by_hours": "24", "sender_mobile": "12345", "action": "save"}

    response = client.post(f"/shops/{shop.id}/settings/", form)

    assert response.status_code == 400
    assert "12345" in response.content.decode()
    saved = Shop.objects.get(id=shop.id)
    assert (saved.ship_by_hours, saved.sender_mobile, saved.review_rules) == (48, "", [])
    assert not AccessEvent.objects.filter(kind="shop_settings_changed").exists()


def test_min_above_max_is_refused_in_the_dry_run_too(signed_in, shop):
    client = signed_in("owner")
    response = client.post(f"/shops/{shop.id}/settings/", {**DEFAULT_FORM, "min_pay": "100", "max_pay": "10",
                                                            "action": "dry_run"})  # fmt: skip
    assert response.status_code == 400
    assert "review.invalid_rule_config" in response.content.decode()
    assert 'id="dry-run"' not in response.content.decode()


def test_the_form_shows_the_stored_settings(signed_in, shop):
    html = signed_in("owner").get(f"/shops/{shop.id}/settings/").content.decode()
    assert 'name="ship_by_hours" inputmode="numeric" required value="48"' in html
    assert 'name="max_pay" inputmode="decimal" value="5000.00"' in html


def test_warehouse_staff_cannot_open_shop_settings(signed_in, shop):
    assert signed_in("warehouse").get(f"/shops/{shop.id}/settings/").status_code == 403
