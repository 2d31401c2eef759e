"""Builders for test data: a fixed clock and platform orders."""

from datetime import UTC, datetime, timedelta

from kuaifa.domain.orders.canonical import CanonicalLine, CanonicalOrder, Receiver
from kuaifa.domain.shared.actor import Actor

NOW = datetime(2026, 11, 26, 2, 0, tzinfo=UTC)  # 10:00 in Shanghai
ACTOR = Actor.cli("runner")


def make_order(
    order_sn: str,
    *lines: tuple[str, int],
    ship_in_hours: float = 24,
    paid_minutes_ago: int = 60,
    updated_at: datetime | None = NOW,
    **fields,
) -> CanonicalOrder:
    """A platform order for ``lines`` of (sku code, quantity), due ``ship_in_hours`` after NOW."""
    return CanonicalOrder(
        order_sn=order_sn,
        lines=tuple(
            CanonicalLine(quantity=q, unit_price_fen=1000, outer_id=code, goods_name=code) for code, q in lines
        ),
        pay_amount_fen=1000 * sum(q for _, q in lines),
        goods_amount_fen=1000 * sum(q for _, q in lines),
        receiver=Receiver(province="浙江省", city="杭州市", town="西湖区", address_mask="文**路", name_mask="张**"),
        paid_at=NOW - timedelta(minutes=paid_minutes_ago),
        created_at=NOW - timedelta(minutes=paid_minutes_ago),
        last_ship_time=NOW + timedelta(hours=ship_in_hours),
        updated_at=updated_at,
        **fields,
    )
