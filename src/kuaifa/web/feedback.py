"""Refusals become one translated sentence plus the stable code (a small grey tag in the page)."""

from django.contrib import messages
from django.utils.translation import gettext

from kuaifa.domain.shared.errors import DomainError


def sentence(err: DomainError) -> str:
    template = gettext(err.template)
    try:
        return template % err.params if err.params else template
    except (KeyError, TypeError, ValueError):
        return template


def refused(request, err: DomainError) -> None:
    messages.error(request, sentence(err), extra_tags=err.code)
