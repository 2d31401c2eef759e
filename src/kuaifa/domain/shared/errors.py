"""Errors are codes; people get sentences.

The domain raises :class:`DomainError` subclasses carrying a stable ``code`` and named parameters. The edges (CLI,
API, web) turn them into a translated sentence for a person and keep the code for a program.
"""

from __future__ import annotations

from collections.abc import Mapping


class DomainError(Exception):
    """A business rule refused an operation. ``template`` uses ``%(name)s`` placeholders filled from ``params``."""

    code = "domain.error"
    template = "The operation was refused."

    def __init__(self, template: str | None = None, /, **params: object) -> None:
        self.params: Mapping[str, object] = params
        if template is not None:
            self.template = template
        super().__init__(self.message)

    @property
    def message(self) -> str:
        try:
            return self.template % self.params
        except (KeyError, TypeError, ValueError):
            return self.template


class InvalidMoney(DomainError):
    code = "money.invalid"
    template = "%(value)r is not a valid amount of money in yuan (at most two decimal places)."


class IllegalTransition(DomainError):
    code = "order.illegal_transition"
    template = "Order %(order_sn)s cannot go from %(current)s to %(target)s."


class InvalidRuleConfig(DomainError):
    code = "review.invalid_rule_config"
    template = "Review rule %(rule)s: %(reason)s"
