"""Errors are codes; people get sentences.

The domain raises :class:`DomainError` subclasses carrying a stable ``code`` and named parameters. The edges (CLI,
API, web) turn them into a translated sentence for a person and keep the code for a program. A parameter that is
itself a sentence (a refusal's ``reason``) is a :class:`Text`, so it is translated too instead of showing English
inside a Chinese message.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence


def _same(template: str) -> str:
    return template


class Text:
    """An English sentence an edge translates later: ``template`` with ``%(name)s`` placeholders, filled from
    ``params`` (which may be :class:`Text` themselves). ``str()`` is the English sentence."""

    __slots__ = ("params", "template")

    def __init__(self, template: str, /, **params: object) -> None:
        self.template = template
        self.params: Mapping[str, object] = params

    def render(self, translate: Callable[[str], str] = _same) -> str:
        return fill(translate(self.template), self.params, translate, self.template)

    def __str__(self) -> str:
        return self.render()

    def __repr__(self) -> str:
        return f"Text({self.render()!r})"

    def __eq__(self, other: object) -> bool:
        if isinstance(other, Text):
            return (self.template, dict(self.params)) == (other.template, dict(other.params))
        return isinstance(other, str) and str(self) == other

    def __hash__(self) -> int:
        return hash(str(self))

    def __contains__(self, part: str) -> bool:
        return part in str(self)

    @classmethod
    def joined(cls, parts: Sequence[Text], separator: str = "; ") -> Text:
        """Several reasons in one, each translated on its own."""
        names = [f"part{i}" for i in range(len(parts))]
        return cls(separator.join("%(" + n + ")s" for n in names), **dict(zip(names, parts, strict=True)))


def fill(
    template: str, params: Mapping[str, object], translate: Callable[[str], str] = _same, fallback: str = ""
) -> str:
    """``template % params`` with every :class:`Text` parameter translated first; the untranslated ``fallback``
    when a translation does not fit the parameters."""
    rendered = {k: v.render(translate) if isinstance(v, Text) else v for k, v in params.items()}
    for attempt in (template, fallback):
        try:
            return attempt % rendered
        except (KeyError, TypeError, ValueError):
            continue
    return template


def sentence(error: DomainError, translate: Callable[[str], str] = _same) -> str:
    """The one rendering of a refusal: its template and every :class:`Text` parameter through ``translate``."""
    return fill(translate(error.template), error.params, translate, error.template)


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
        return sentence(self)


class InvalidMoney(DomainError):
    code = "money.invalid"
    template = "%(value)r is not a valid amount of money in yuan (at most two decimal places)."


class IllegalTransition(DomainError):
    code = "order.illegal_transition"
    template = "Order %(order_sn)s cannot go from %(current)s to %(target)s."


class InvalidRuleConfig(DomainError):
    code = "review.invalid_rule_config"
    template = "Review rule %(rule)s: %(reason)s"
