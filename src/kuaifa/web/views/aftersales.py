"""售后: the case queue by the platform's deadline, a case with its timeline and its actions, and 退货入库 (return
parcels scanned in at the warehouse). Each action calls the service ``kuaifa aftersales …`` calls; a refusal is
shown as its sentence."""

from django.contrib import messages
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from kuaifa.domain.access import Perm
from kuaifa.domain.aftersales.canonical import CaseType
from kuaifa.domain.aftersales.cases import CaseState, Decision, allowed_decisions
from kuaifa.domain.shared.errors import DomainError, Text
from kuaifa.persistence import queries_aftersales, queries_web
from kuaifa.persistence.models import Warehouse
from kuaifa.services.aftersales import decide_case
from kuaifa.services.aftersales_end import RECEIVABLE, REISSUED_TYPES, inspect, receive_return, send_replacement
from kuaifa.services.errors import InvalidInput, NotFound
from kuaifa.tasks.jobs import deliver_outbox_entry
from kuaifa.web.access import member, requires, shops_shown
from kuaifa.web.feedback import refused, sentence
from kuaifa.web.words import STATUS, now

STATES = [s.value for s in CaseState if s is not CaseState.NONE]


def _filter(request) -> queries_aftersales.CaseFilter:
    get = request.GET
    case_type, state, shop = get.get("type", "").strip(), get.get("state", "").strip() or "open", get.get("shop", "")
    if case_type and case_type not in {t.value for t in CaseType}:
        raise InvalidInput(field="type", reason=Text("%(value)r is not an after-sales type", value=case_type))
    if state not in queries_aftersales.STATE_GROUPS and state not in STATES:
        raise InvalidInput(field="state", reason=Text("%(value)r is not a case state", value=state))
    if shop and not shop.strip().isdigit():
        raise InvalidInput(field="shop", reason=Text("%(shop)r is not a shop id", shop=shop))
    return queries_aftersales.CaseFilter(case_type=case_type, state=state, shop_id=int(shop) if shop else None,
                                         search=get.get("q", "").strip(), scope=shops_shown(request))  # fmt: skip


@requires(Perm.AFTERSALES_VIEW)
def queue(request):
    """Cases, the nearest platform deadline first, with a live countdown; filters by type, state and shop."""
    context = {"now": now(), "query": request.GET, "types": [t.value for t in CaseType], "states": STATES,
               "groups": queries_aftersales.STATE_GROUPS, "page": queries_aftersales.CasePage([], None),
               "shop_choices": queries_web.shops(member(request).shop_scope)}  # fmt: skip
    status = 200
    try:
        context["page"] = queries_aftersales.case_queue(_filter(request), after=request.GET.get("after", ""))
    except DomainError as err:
        refused(request, err)
        status = 400
    if request.headers.get("HX-Request") and request.GET.get("after"):
        return render(request, "web/aftersales/_rows.html", context, status=status)
    return render(request, "web/aftersales/queue.html", context, status=status)


def _case_or_404(request, case_id: int):
    """The case, if it is one of the person's shops' (opened from a link, the top bar's choice does not hide it)."""
    case = queries_aftersales.case_for_page(case_id, member(request).shop_scope)
    if case is None:
        raise Http404
    return case


@requires(Perm.AFTERSALES_VIEW)
def case_page(request, case_id: int):
    """One case: what the buyer asked, the platform's deadline, its timeline with who did what, its actions."""
    case = _case_or_404(request, case_id)
    state = CaseState(case.state)
    allowed = allowed_decisions(state)
    context = {
        "case": case, "now": now(), "timeline": queries_aftersales.case_timeline(case),
        "tickets": list(case.complaints.order_by("-created_at")),
        "may": {
            "agree_refund": Decision.AGREE_REFUND in allowed,
            "agree_return": Decision.AGREE_RETURN in allowed,
            "receive": state in RECEIVABLE,
            "inspect": Decision.INSPECT_OK in allowed and not (case.restocked_units or case.damaged_units),
            "replace": CaseType(case.case_type) in REISSUED_TYPES and case.reissue_order_id is None
            and Decision.RESEND in allowed,
        },
        "warehouses": _warehouses(request),
    }  # fmt: skip
    return render(request, "web/aftersales/case.html", context)


def _warehouses(request) -> list[str]:
    scope = member(request).warehouse_scope
    rows = Warehouse.objects.order_by("priority", "code")
    return list((rows.filter(id__in=scope) if scope else rows).values_list("code", flat=True))


def _deliver(entry_id: int | None) -> None:
    if entry_id:
        deliver_outbox_entry.enqueue(entry_id)  # the worker sends it now; the outbox sweep is the safety net


def _decided(request, case_id: int, decision: Decision, **extra):
    me = member(request)
    case = _case_or_404(request, case_id)
    try:
        done = decide_case(case.id, decision, actor=me.actor, now=now(), note=request.POST.get("note", "").strip(),
                           **extra)  # fmt: skip
    except DomainError as err:
        refused(request, err)
    else:
        _deliver(done.outbox_entry_id)
        messages.success(request, _("Case %(id)s: %(decision)s sent to the platform; now %(state)s.") % {
            "id": done.after_sales_id, "decision": _(decision.value), "state": _(done.state)})  # fmt: skip
    return redirect("aftersales_case", case_id=case.id)


@requires(Perm.AFTERSALES_DECIDE)
@require_POST
def agree_refund(request, case_id: int):
    """Agree to refund (pdd.refund.agree, through the outbox)."""
    return _decided(request, case_id, Decision.AGREE_REFUND)


@requires(Perm.AFTERSALES_DECIDE)
@require_POST
def agree_return(request, case_id: int):
    """Agree that the buyer sends the goods back to a return address (pdd.refund.returngoods.agree)."""
    raw = request.POST.get("address", "").strip()
    if raw and not raw.isdigit():
        refused(request, InvalidInput(field="address", reason=Text("%(raw)r is not a return address id", raw=raw)))
        return redirect("aftersales_case", case_id=_case_or_404(request, case_id).id)
    return _decided(request, case_id, Decision.AGREE_RETURN, return_address_id=int(raw) if raw else None)


@requires(Perm.AFTERSALES_RETURNS)
@require_POST
def inspect_case(request, case_id: int):
    """The received goods inspected: ok back to sellable stock, damaged written off (both in the ledger)."""
    me, post = member(request), request.POST
    case = _case_or_404(request, case_id)
    outcome = post.get("outcome", "")
    try:
        if outcome not in ("ok", "damaged"):
            raise InvalidInput(field="outcome", reason=Text("choose ok or damaged"))
        warehouses = _warehouses(request)
        warehouse = post.get("warehouse", "").strip() or (warehouses[0] if warehouses else "MAIN")
        if warehouse not in warehouses:
            raise InvalidInput(field="warehouse", reason=Text("%(code)r is not one of your warehouses", code=warehouse))
        done = inspect(case.id, ok=outcome == "ok", actor=me.actor, now=now(), warehouse=warehouse,
                       note=post.get("note", "").strip())  # fmt: skip
    except DomainError as err:
        refused(request, err)
    else:
        if done.restocked:
            messages.success(request, _("Case %(id)s: %(n)s unit(s) back on the shelf.") % {
                "id": done.after_sales_id, "n": done.restocked})  # fmt: skip
        else:
            messages.success(request, _("Case %(id)s: %(n)s unit(s) written off as damaged.") % {
                "id": done.after_sales_id, "n": done.damaged})  # fmt: skip
    if post.get("next") == "returns":
        return redirect("aftersales_returns")
    return redirect("aftersales_case", case_id=case.id)


@requires(Perm.AFTERSALES_DECIDE)
@require_POST
def replace(request, case_id: int):
    """Exchange or resend: the replacement order, once per case, reviewed and reserved like any order."""
    me = member(request)
    case = _case_or_404(request, case_id)
    try:
        done = send_replacement(case.id, actor=me.actor, now=now(), note=request.POST.get("note", "").strip())
    except DomainError as err:
        refused(request, err)
    else:
        text = (_("Case %(id)s already has its replacement order %(order_sn)s (%(status)s).") if done.already
                else _("Case %(id)s: replacement order %(order_sn)s created (%(status)s)."))  # fmt: skip
        messages.success(request, text % {"id": done.after_sales_id, "order_sn": done.order_sn,
                                          "status": STATUS.get(done.order_status, done.order_status)})  # fmt: skip
    return redirect("aftersales_case", case_id=case.id)


# --- 退货入库: return parcels scanned in ------------------------------------------------------------------------


@requires(Perm.AFTERSALES_RETURNS)
def returns(request):
    """The scanner page: one input, always focused; the returns on their way and those waiting for inspection."""
    return render(request, "web/aftersales/returns.html", _returns_context(request, {"verdict": ""}))


def _returns_context(request, context: dict) -> dict:
    return context | {"now": now(), "awaited": queries_aftersales.returns_awaited(shops_shown(request)),
                      "warehouses": _warehouses(request)}  # fmt: skip


@requires(Perm.AFTERSALES_RETURNS)
@require_POST
def receive(request):
    """A return parcel scanned (or typed): its case is marked received once; a second scan changes nothing."""
    me = member(request)
    number = request.POST.get("code", "").strip()
    context: dict = {}
    try:
        if number and me.shop_scope and not queries_aftersales.return_in_scope(number, me.shop_scope):
            raise NotFound(kind="return parcel", key=number.upper())
        got = receive_return(number, actor=me.actor, now=now())
    except DomainError as err:
        context |= {"verdict": "wrong", "code": err.code, "reason": sentence(err)}
    else:
        words = {"no": number.upper(), "id": got.after_sales_id, "order_sn": got.order_sn}
        if got.already:
            reason = _("Parcel %(no)s was received already (case %(id)s, order %(order_sn)s).") % words
        else:
            reason = _("Parcel %(no)s received: case %(id)s, order %(order_sn)s. Inspect it next.") % words
        context |= {"verdict": "already" if got.already else "right", "code": "aftersales.received",
                    "reason": reason, "case_id": got.case_id}  # fmt: skip
    back = request.POST.get("case", "")
    if back.isdigit():  # scanned on a case's page: back to it, the answer above
        level = messages.ERROR if context["verdict"] == "wrong" else messages.SUCCESS
        messages.add_message(request, level, context["reason"], extra_tags=context["code"])
        return redirect("aftersales_case", case_id=int(back))
    return render(request, "web/aftersales/_returns.html", _returns_context(request, context))
