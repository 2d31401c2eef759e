"""Refusals become one translated sentence plus the stable code (a small grey tag in the page)."""

from django.contrib import messages
from django.utils.translation import gettext

from kuaifa.domain.shared import errors
from kuaifa.domain.shared.errors import DomainError

# parameters that hold one of Kuaifa's own words (a field, a status), translated like the CLI does
VOCABULARY_PARAMS = ("kind", "field", "status", "current", "target", "state")


def sentence(err: DomainError) -> str:
    """The refusal in the active language, its :class:`~kuaifa.domain.shared.errors.Text` parameters included."""
    params = {
        k: gettext(v) if k in VOCABULARY_PARAMS and isinstance(v, str) and v else v for k, v in err.params.items()
    }
    return errors.fill(gettext(err.template), params, gettext, err.template)


def refused(request, err: DomainError) -> None:
    messages.error(request, sentence(err), extra_tags=err.code)


def back_to(request, fallback: str) -> str:
    """Where a form asked to return to, if it is a path on this site; otherwise ``fallback`` (no open redirect)."""
    from django.urls import reverse
    from django.utils.http import url_has_allowed_host_and_scheme

    target = request.POST.get("next", "")
    if target and url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}):
        return target
    return reverse(fallback)
