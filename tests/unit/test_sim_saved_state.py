"""The simulator started by ``kuaifa serve --with-sim`` keeps its tokens and shipments in a state file: a restart
honours the tokens an earlier run issued, as PDD does across its own restarts."""

from datetime import date

from kuaifa.platforms.sim.generator import generate_shop
from kuaifa.platforms.sim.saved import keep_saved, restore, saved_config
from kuaifa.platforms.sim.shop import DAY, ShopConfig
from kuaifa.platforms.sim.state import DEFAULT_CLIENT_ID, ShipmentRecord, SimState

CONFIG = ShopConfig(seed=3, start=date(2026, 3, 2), days=2, orders_per_day=20)


def started(path, config=CONFIG) -> SimState:
    """What ``run_simulator`` does: generate, restore what was saved, keep saving."""
    state = SimState(generate_shop(config), now=generate_shop(config).end_ts - DAY)
    restore(state, path)
    keep_saved(state, path)
    return state


def test_a_restarted_simulator_honours_the_token_it_issued_and_keeps_the_shipment(tmp_path):
    path = tmp_path / "pdd-sim-state.json"
    first = started(path)
    issued = first.redeem_code(first.grant_code(DEFAULT_CLIENT_ID), DEFAULT_CLIENT_ID)
    order_sn = first.visible_order_sns()[0]
    first.record_shipment(ShipmentRecord(order_sn, 85, "YT123456789012", 0, int(first.now())))

    again = started(path)

    assert again.token(issued.access_token) == issued
    assert again.refresh(issued.refresh_token, DEFAULT_CLIENT_ID) is not None  # its refresh token works once
    assert again.order(order_sn)["tracking_number"] == "YT123456789012"
    fresh = again.issue_token(DEFAULT_CLIENT_ID)
    assert fresh.access_token not in {issued.access_token, first.default_token.access_token}


def test_without_the_state_file_the_token_is_unknown(tmp_path):
    first = started(tmp_path / "a.json")
    issued = first.redeem_code(first.grant_code(DEFAULT_CLIENT_ID), DEFAULT_CLIENT_ID)

    assert started(tmp_path / "b.json").token(issued.access_token) is None


def test_the_saved_shop_is_kept_while_it_has_a_day_left_then_a_fresh_one_starts(tmp_path):
    path = tmp_path / "pdd-sim-state.json"
    started(path)
    fresh = ShopConfig(seed=3, start=date(2026, 3, 10), days=2, orders_per_day=20)
    end = generate_shop(CONFIG).end_ts

    assert saved_config(path, fresh, now=end - 2 * DAY) == CONFIG
    assert saved_config(path, fresh, now=end - DAY // 2) == fresh
