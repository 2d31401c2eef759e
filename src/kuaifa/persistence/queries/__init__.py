"""The read side: lists, the ledger check and "why is this order where it is". Edges read here, write via services.

One module per subject; every name below is importable from ``kuaifa.persistence.queries`` itself. The other reads
sit beside this package in ``kuaifa.persistence``: ``queries_web`` (the workbench's lists and badge counts),
``queries_floor`` (the warehouse floor's pages), ``queries_catalog`` (the catalogue pages), ``queries_alerts`` (the
预警 pages), ``queries_edges`` (small reads of the command line and the task worker) and ``sync_queries`` (platform
sync health and the quarantine).
"""

import importlib
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # for type checkers; at run time each name's submodule is imported on first use (below)
    from kuaifa.persistence.queries.aftersales import CaseRow, aftersales_cases
    from kuaifa.persistence.queries.documents import (
        DocumentOrder,
        PrintLogRow,
        document_orders,
        logistics_company_names,
        print_logs,
        printed_before,
    )
    from kuaifa.persistence.queries.order_detail import (
        LineStock,
        OrderStock,
        ReservationRow,
        events,
        line_stock,
        order_stock,
    )
    from kuaifa.persistence.queries.order_list import OrderRow, order_by_sn, orders, status_counts
    from kuaifa.persistence.queries.parcels import BoxTypeRow, OrderContents, ParcelUnit, box_types, order_contents
    from kuaifa.persistence.queries.shops import OutboxRow, outbox_entries, shop_by_name
    from kuaifa.persistence.queries.skus import bundle_components, sku_specs
    from kuaifa.persistence.queries.stock import LedgerProblem, StockRow, ledger_problems, stock_levels
    from kuaifa.persistence.queries.wave_list import WaveMember, WaveRow, wave_by_code, wave_members, waves

__all__ = [  # noqa: RUF022 - grouped by the submodule that defines each name
    # aftersales
    "CaseRow",
    "aftersales_cases",
    # documents
    "DocumentOrder",
    "PrintLogRow",
    "document_orders",
    "logistics_company_names",
    "print_logs",
    "printed_before",
    # order_detail
    "LineStock",
    "OrderStock",
    "ReservationRow",
    "events",
    "line_stock",
    "order_stock",
    # order_list
    "OrderRow",
    "order_by_sn",
    "orders",
    "status_counts",
    # parcels
    "BoxTypeRow",
    "OrderContents",
    "ParcelUnit",
    "box_types",
    "order_contents",
    # shops
    "OutboxRow",
    "outbox_entries",
    "shop_by_name",
    # skus
    "bundle_components",
    "sku_specs",
    # stock
    "LedgerProblem",
    "StockRow",
    "ledger_problems",
    "stock_levels",
    # wave_list
    "WaveMember",
    "WaveRow",
    "wave_by_code",
    "wave_members",
    "waves",
]

#: each name's submodule: ``from kuaifa.persistence.queries import orders`` imports ``order_list`` alone, so a
#: command that reads one list does not import (and build the row classes of) every subject's queries
_NAMES_BY_SUBMODULE = {
    "aftersales": ("CaseRow", "aftersales_cases"),
    "documents": (
        "DocumentOrder",
        "PrintLogRow",
        "document_orders",
        "logistics_company_names",
        "print_logs",
        "printed_before",
    ),
    "order_detail": ("LineStock", "OrderStock", "ReservationRow", "events", "line_stock", "order_stock"),
    "order_list": ("OrderRow", "order_by_sn", "orders", "status_counts"),
    "parcels": ("BoxTypeRow", "OrderContents", "ParcelUnit", "box_types", "order_contents"),
    "shops": ("OutboxRow", "outbox_entries", "shop_by_name"),
    "skus": ("bundle_components", "sku_specs"),
    "stock": ("LedgerProblem", "StockRow", "ledger_problems", "stock_levels"),
    "wave_list": ("WaveMember", "WaveRow", "wave_by_code", "wave_members", "waves"),
}
_SUBMODULE_OF = {name: module for module, names in _NAMES_BY_SUBMODULE.items() for name in names}


def __getattr__(name: str) -> object:
    module = _SUBMODULE_OF.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(f"{__name__}.{module}"), name)
    globals()[name] = value
    return value
