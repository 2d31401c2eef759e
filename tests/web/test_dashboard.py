"""The dashboard's numbers: open orders by status, today's shipped, the ship-by risk buckets, held by reason."""

from kuaifa.domain.sla.deadlines import CHINA
from kuaifa.persistence import queries_web
from tests.web.conftest import NOW, ingest, make_order


def test_the_dashboard_counts_open_orders_risk_and_held_reasons(signed_in, stocked):
    ingest(stocked, [make_order("D-URGENT", ("TEA-001", 1), ship_in_hours=3),
                     make_order("D-SOON", ("TEA-001", 1), ship_in_hours=12),
                     make_order("D-LATER", ("TEA-001", 1), ship_in_hours=40),
                     make_order("D-SHORT", ("CUP-002", 9), ship_in_hours=2)])  # fmt: skip

    numbers = queries_web.dashboard(frozenset(), now=NOW, today=NOW.astimezone(CHINA).date())

    assert numbers.counts.open_by_status == {"ACCEPTED": 3, "ON_HOLD": 1}
    assert numbers.counts.created_today == 4
    assert (numbers.risk.overdue, numbers.risk.urgent, numbers.risk.due_soon) == (0, 2, 1)
    assert numbers.counts.held_by_reason == {"stock_insufficient": 1}
    response = signed_in("owner").get("/dashboard/")
    assert response.status_code == 200
    assert "今日发货" in response.content.decode()
