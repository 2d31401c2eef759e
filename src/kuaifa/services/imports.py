"""File imports: the back-office order export, all or nothing, recorded as an ImportBatch.

The edge reads the file as a stream of valid orders and, once the stream is exhausted, a summary: how many rows
the file had, how many were rejected, and whether the file is refused (a file with invalid rows imports nothing
unless the merchant chose ``--skip-invalid``). This use case ingests the orders in chunks of :data:`CHUNK`
inside one transaction, so memory stays flat in the file's length and no statement carries more than a chunk's
values (SQLite limits the variables of one statement); a refused file or a dry run is rolled back whole, so a dry
run's counts are exactly what a real import would do. Importing the same file again changes nothing and says when
it was imported before.
"""

from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime
from itertools import islice

from django.db import transaction

from kuaifa.domain.orders.canonical import CanonicalOrder
from kuaifa.domain.shared.actor import Actor
from kuaifa.persistence.models import ImportBatch, Order, Shop
from kuaifa.services.intake import IngestReport, upsert_orders

CHUNK = 2000
"""Orders per ingest step: a few thousand values per statement, well inside every database's limits."""


@dataclass(frozen=True)
class FileSummary:
    """What the edge learnt reading the whole file: data rows, rejected rows, and whether the file is refused."""

    rows: int
    rejected: int
    refused: bool = False


@dataclass(frozen=True)
class ImportOutcome:
    report: IngestReport
    batch_id: int | None
    previously_imported_at: datetime | None
    refused: bool = False


def chunks(orders: Iterable[CanonicalOrder], size: int = CHUNK) -> Iterator[list[CanonicalOrder]]:
    iterator = iter(orders)
    while chunk := list(islice(iterator, size)):
        yield chunk


def import_order_file(
    shop: Shop,
    orders: Iterable[CanonicalOrder],
    *,
    file_name: str,
    file_sha256: str,
    summary: Callable[[], FileSummary],
    dry_run: bool,
    actor: Actor,
    now: datetime,
) -> ImportOutcome:
    """Ingest ``orders`` in chunks in one transaction; ``summary`` is asked once they are exhausted."""
    previous = (
        ImportBatch.objects.filter(kind=ImportBatch.Kind.ORDERS, shop=shop, file_sha256=file_sha256)
        .order_by("-id")
        .values_list("created_at", flat=True)
        .first()
    )
    with transaction.atomic(durable=True):
        report = IngestReport()
        for chunk in chunks(orders, CHUNK):
            report.add(
                upsert_orders(shop, chunk, source=Order.Source.EXPORT, actor=actor, now=now, create_missing_skus=True)
            )
            report.order_ids.clear()  # not needed here; kept out of memory
        counted = summary()
        batch_id = None
        if dry_run or counted.refused:
            transaction.set_rollback(True)
        else:
            batch_id = ImportBatch.objects.create(
                kind=ImportBatch.Kind.ORDERS,
                shop=shop,
                file_name=file_name[:255],
                file_sha256=file_sha256,
                rows=counted.rows,
                created=report.created,
                updated=report.updated,
                unchanged=report.unchanged,
                stale=report.stale,
                rejected=counted.rejected,
                actor=actor.stored,
                created_at=now,
            ).id
    return ImportOutcome(report, batch_id, previous, refused=counted.refused)
