"""Errors a use case raises about its input. Codes are stable; templates name the thing that was wrong."""

from kuaifa.domain.shared.errors import DomainError


class NotFound(DomainError):
    code = "not_found"
    template = "No %(kind)s %(key)r."


class InvalidInput(DomainError):
    code = "invalid_input"
    template = "%(field)s: %(reason)s"


class StockBelowReserved(DomainError):
    code = "inventory.below_reserved"
    template = "SKU %(sku)s in %(warehouse)s: %(on_hand)s on hand would be fewer than the %(reserved)s reserved."


class OrderConflict(DomainError):
    code = "order.conflict"
    template = "Order %(order_sn)s: %(reason)s"
