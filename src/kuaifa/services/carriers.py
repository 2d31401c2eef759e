"""The platform's carrier catalogue, cached: shipping must name an available carrier id (pdd.logistics.companies.get).

Ids are stable; codes and availability change, so the catalogue is fetched at run time and replaced whole."""

from collections.abc import Sequence
from datetime import datetime

from django.db import transaction

from kuaifa.domain.platform import Carrier
from kuaifa.persistence.models import LogisticsCompany


@transaction.atomic(durable=True)
def store_carriers(carriers: Sequence[Carrier], *, platform: str = "pdd", now: datetime) -> int:
    known = set(LogisticsCompany.objects.filter(platform=platform).values_list("platform_id", flat=True))
    for c in carriers:
        values = {"name": c.name, "code": c.code, "available": c.available, "fetched_at": now}
        if c.platform_id in known:
            LogisticsCompany.objects.filter(platform=platform, platform_id=c.platform_id).update(**values)
        else:
            LogisticsCompany.objects.create(platform=platform, platform_id=c.platform_id, **values)
    gone = known - {c.platform_id for c in carriers}
    LogisticsCompany.objects.filter(platform=platform, platform_id__in=gone).update(available=False, fetched_at=now)
    return len(carriers)
