"""Manual orders are masked by the domain's one masking rule, whatever the caller typed or passed as masks."""

import pytest
from click.testing import CliRunner

from kuaifa.domain.orders.canonical import Receiver
from kuaifa.persistence.models import Order
from kuaifa.services.orders import ManualLine, create_manual_order
from tests.factories import ACTOR, NOW

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("phone", "mask"),
    [("13812345678", "138****5678"), ("8886666", "***6666"), ("02166668888", "021****8888"), ("6666", "****")],
)
def test_a_manual_order_stores_the_domain_masks_of_the_plaintext_it_was_given(shop, catalog, phone, mask):
    receiver = Receiver(province="上海市", city="上海市", town="浦东新区", name="张三丰", phone=phone,
                        address="世纪大道 100 号 3 楼", name_mask="wrong", phone_mask="888****6666")  # fmt: skip

    order = create_manual_order(shop, [ManualLine("CUP-002", 1, 2500)], receiver, actor=ACTOR, now=NOW)

    order.refresh_from_db()
    assert (order.receiver_name_mask, order.receiver_phone_mask, order.receiver_address_mask) == (
        "张**",
        mask,
        "世纪大道 1****",
    )
    assert (order.receiver_phone, order.receiver_is_plaintext) == (phone, True)


def test_order_add_passes_plaintext_and_a_seven_digit_number_is_never_shown_whole(shop, catalog, monkeypatch):
    from kuaifa.cli.main import cli

    monkeypatch.setenv("KUAIFA_LANG", "en")
    result = CliRunner().invoke(cli, ["order-add", "--shop", shop.name, "--item", "CUP-002*1@25", "--name", "李四",
                                      "--phone", "8886666", "--province", "浙江省", "--city", "杭州市",
                                      "--address", "文一西路 1 号", "--order-sn", "M7", "--json"])  # fmt: skip

    assert result.exit_code == 0, result.output
    order = Order.objects.get(order_sn="M7")
    assert order.receiver_phone_mask == "***6666"
    assert "8886666" not in order.receiver_phone_mask
    assert order.receiver_name_mask == "李*"
