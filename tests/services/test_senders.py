"""A shop's sender address: validated when stored, then printed on labels and sent with e-waybill requests."""

import json

import pytest
from click.testing import CliRunner
from django.utils import translation

from kuaifa.cli.main import cli
from kuaifa.persistence.models import Shop
from kuaifa.services.errors import InvalidInput
from kuaifa.services.senders import sender_of, set_sender, validate_sender
from tests.conftest import NOW

GOOD = {"name": "快发仓", "mobile": "13800001234", "province": "浙江省", "city": "杭州市", "district": "余杭区",
        "detail": "良睦路1399号3号仓"}  # fmt: skip


def test_a_stored_sender_is_what_the_waybill_and_the_label_use(shop):
    set_sender(shop.name, now=NOW, **GOOD)

    stored = sender_of(Shop.objects.get(id=shop.id))

    assert stored.for_waybill().mobile == "13800001234"
    assert (stored.name, stored.address) == ("快发仓", "浙江省杭州市余杭区良睦路1399号3号仓")


@pytest.mark.parametrize(
    ("field", "value", "words"),
    [
        ("mobile", "12345", "not a mobile"),
        ("mobile", "", "required"),
        ("detail", "", "required"),
        ("name", "x" * 65, "at most 64"),
        ("detail", "1号\x00", "control characters"),
    ],
)
def test_an_invalid_sender_is_refused_naming_the_option_and_nothing_is_stored(shop, field, value, words):
    with translation.override("en"), pytest.raises(InvalidInput) as refused:
        set_sender(shop.name, now=NOW, **{**GOOD, field: value})

    assert refused.value.params["field"] == f"--{field}"
    assert words in refused.value.params["reason"]
    assert sender_of(Shop.objects.get(id=shop.id)) is None


def test_a_landline_and_an_empty_district_are_accepted():
    sender = validate_sender(**{**GOOD, "mobile": "0571-88886666", "district": ""})

    assert (sender.mobile, sender.district) == ("0571-88886666", "")


def test_the_set_sender_command_stores_it(shop, monkeypatch):
    monkeypatch.setenv("KUAIFA_LANG", "en")
    args = [f"--{k}={v}" for k, v in GOOD.items()]

    result = CliRunner().invoke(cli, ["shop", "set-sender", shop.name, *args, "--json"], catch_exceptions=False)
    refused = CliRunner().invoke(cli, ["shop", "set-sender", shop.name, *args, "--mobile=1", "--json"])

    assert result.exit_code == 0, result.output
    assert json.loads(result.output)["detail"] == "良睦路1399号3号仓"
    assert (refused.exit_code, json.loads(refused.output)["error"]) == (1, "invalid_input")
    assert Shop.objects.get(id=shop.id).sender_mobile == "13800001234"


def test_the_refusal_is_chinese_in_the_chinese_interface(shop):
    with translation.override("zh-hans"), pytest.raises(InvalidInput) as refused:
        set_sender(shop.name, now=NOW, **{**GOOD, "mobile": "12345"})

    assert refused.value.params["reason"] == "'12345' 不是手机号（11 位）或固定电话号码"
