from __future__ import annotations

from typing import TYPE_CHECKING

from django.apps import AppConfig

if TYPE_CHECKING:
    from kuaifa.domain.platform import SalesPlatform
    from kuaifa.persistence.models import Shop


class TasksConfig(AppConfig):
    """The composition root of the platform edge: services that ask a platform on their own (the live refund check
    before shipping, ``services.platform_port``) get the shop's adapter from ``kuaifa.tasks.platforms``."""

    name = "kuaifa.tasks"
    label = "kuaifa_tasks"
    verbose_name = "Kuaifa background work"

    def ready(self) -> None:
        from kuaifa.services import platform_port

        platform_port.provide(platform_for)


def platform_for(shop: Shop) -> SalesPlatform:
    from kuaifa.tasks.platforms import platform_for as build  # on first use: the HTTP client stays out of start-up

    return build(shop)
