"""File imports: the back-office order export, all or nothing, recorded as an ImportBatch.

The edge parses and validates the file first (a file with invalid rows imports nothing unless the merchant chose
``--skip-invalid``); this use case applies the valid orders in one transaction. A dry run does the same work and
rolls it back, so its counts are exactly what a real import would do. Importing the same file again changes nothing
and says when it was imported before.
"""

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from django.db import transaction

from kuaifa.domain.orders.canonical import CanonicalOrder
from kuaifa.persistence.models import ImportBatch, Order, Shop
from kuaifa.services.intake import IngestReport, upsert_orders


@dataclass(frozen=True)
class ImportOutcome:
    report: IngestReport
    batch_id: int | None
    previously_imported_at: datetime | None


def import_order_file(
    shop: Shop,
    orders: Sequence[CanonicalOrder],
    *,
    file_name: str,
    file_sha256: str,
    rows: int,
    rejected: int,
    dry_run: bool,
    actor: str,
    now: datetime,
) -> ImportOutcome:
    previous = (
        ImportBatch.objects.filter(kind=ImportBatch.Kind.ORDERS, shop=shop, file_sha256=file_sha256)
        .order_by("-id")
        .values_list("created_at", flat=True)
        .first()
    )
    with transaction.atomic(durable=True):
        report = upsert_orders(shop, orders, source=Order.Source.EXPORT, actor=actor, now=now, create_missing_skus=True)
        batch_id = None
        if dry_run:
            transaction.set_rollback(True)
        else:
            batch_id = ImportBatch.objects.create(
                kind=ImportBatch.Kind.ORDERS,
                shop=shop,
                file_name=file_name[:255],
                file_sha256=file_sha256,
                rows=rows,
                created=report.created,
                updated=report.updated,
                unchanged=report.unchanged,
                stale=report.stale,
                rejected=rejected,
                actor=actor,
                created_at=now,
            ).id
    return ImportOutcome(report, batch_id, previous)
