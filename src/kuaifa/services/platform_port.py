"""Which sales platform a service asks about a shop when no caller hands one in: chosen by the composition root.

Services name only the ``SalesPlatform`` port (decision 0003); the edge builds the concrete adapter. Most uses get
the edge's factory from their caller, as the outbox does (``outbox.deliver(entry_id, platform_for, …)`` from
``kuaifa.tasks.jobs``). The live refund check before a parcel leaves (``services.shipping``) sits under every path
that ships — the command line, e-waybills, the dispatch desk, the API — so the factory is provided once, when Django
starts, by ``kuaifa.tasks`` (its ``TasksConfig.ready``); a test may provide another, e.g. the simulator on its own
clock, and put the previous one back.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from django.core.exceptions import ImproperlyConfigured

if TYPE_CHECKING:  # names only: this module is imported at start-up, by ``kuaifa.tasks``, before any command runs
    from kuaifa.domain.platform import SalesPlatform
    from kuaifa.persistence.models import Shop

PlatformFor = Callable[["Shop"], "SalesPlatform"]

_provided: PlatformFor | None = None


def provide(factory: PlatformFor | None) -> PlatformFor | None:
    """Make ``factory`` the one that builds a shop's platform adapter; returns the one it replaces."""
    global _provided
    previous, _provided = _provided, factory
    return previous


def platform_of(shop: Shop) -> SalesPlatform:
    if _provided is None:
        raise ImproperlyConfigured("No platform factory was provided: kuaifa.tasks must be in INSTALLED_APPS.")
    return _provided(shop)
