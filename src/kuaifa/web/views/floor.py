"""The warehouse floor (仓库): waves and pick lists, the packing station, printing through the platform's print
component, scan-to-ship, return-to-stock tasks and the day's exceptions. Each view parses, calls one service of
the floor and renders; the business rules live in the services named."""

import json
from datetime import timedelta

from django.contrib import messages
from django.http import HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from kuaifa.documents.labels import render_labels
from kuaifa.documents.model import ContentLine, LabelData, PickListData, PickRow, Receiver, Sender
from kuaifa.documents.pick_list import render_pick_list
from kuaifa.domain.access import Perm
from kuaifa.domain.carriers.catalog import CARRIERS
from kuaifa.domain.fulfilment.waves import WaveKind, WaveRule
from kuaifa.domain.shared.errors import DomainError, Text
from kuaifa.domain.sla.deadlines import CHINA
from kuaifa.persistence import queries_floor, queries_web
from kuaifa.persistence.models import BoxType
from kuaifa.services import floor_desk
from kuaifa.services.dispatch_scan import dispatch_progress, dispatch_scan
from kuaifa.services.errors import InvalidInput
from kuaifa.services.floor_report import floor_exceptions, people_counts
from kuaifa.services.labels import LabelBatch, PickListInfo
from kuaifa.services.printing import DocumentResult, print_jobs_for, record_print_results
from kuaifa.services.returns import complete_task
from kuaifa.services.station import current_parcel, put_aside, seal_parcel
from kuaifa.services.waves import create_waves, remove_order
from kuaifa.tasks.platforms import waybill_provider_for
from kuaifa.web.access import member, requires
from kuaifa.web.feedback import refused, sentence
from kuaifa.web.words import now


def render_pick_list_pdf(info: PickListInfo) -> bytes:
    rows = tuple(PickRow(r.bin_location, r.sku_code, r.name, r.quantity, r.slots, r.spec) for r in info.rows)
    return render_pick_list(PickListData(info.wave_code, info.created_at, rows, info.order_count, "", info.slot_orders))


def render_label_pdf(batch: LabelBatch, printed_at) -> bytes:
    return render_labels(
        LabelData(
            carrier_name=info.carrier_name,
            tracking_number=info.tracking_number,
            receiver=Receiver(
                *(getattr(info.receiver, k) for k in ("name", "phone", "province", "city", "town", "address")),
                full=info.receiver.full,
            ),
            sender=Sender(info.sender_name or info.shop_name, info.sender_phone, info.sender_address),
            order_sns=(info.order_sn,),
            contents=tuple(ContentLine(code, qty) for code, qty in info.contents),
            printed_at=printed_at,
        )
        for info in batch.labels
    )


KINDS = {"any": WaveKind.ANY, "single": WaveKind.SINGLE, "multi": WaveKind.MULTI}


def _station(request) -> str:
    return (request.POST.get("station") or request.GET.get("station") or "1").strip()[:32]


def _positive(raw: str, field: str, *, maximum: int = 10**6) -> int:
    raw = (raw or "").strip()
    if not raw.isdigit() or not 0 < int(raw) <= maximum:
        raise InvalidInput(
            field=field, reason=Text("%(raw)r is not a whole number from 1 to %(maximum)s", raw=raw, maximum=maximum)
        )
    return int(raw)


def _ids(raw: str | list[str]) -> list[int]:
    values = raw if isinstance(raw, list) else str(raw).split(",")
    out = []
    for value in values:
        value = value.strip()
        if value:
            if not value.isdigit():
                raise InvalidInput(field="orders", reason=Text("%(value)r is not an order id", value=value))
            out.append(int(value))
    return out


# --- waves --------------------------------------------------------------------------------------------------------


@requires(Perm.FLOOR_VIEW)
def waves(request):
    """Open waves, each slot with picked / packed / labelled / shipped, and the form that cuts new waves."""
    me = member(request)
    return render(
        request,
        "web/floor/waves.html",
        {
            "waves": queries_floor.open_waves(),
            "shops": queries_web.shops(me.shop_scope),
            "carriers": CARRIERS,
            "kinds": KINDS,
        },
    )


@requires(Perm.FLOOR_WAVES)
@require_POST
def wave_create(request):
    post, me = request.POST, member(request)
    try:
        hours = float(post.get("horizon_hours") or "24")
        if not 0 <= hours <= 24 * 30:
            raise InvalidInput(
                field="horizon_hours", reason=Text("%(hours)s is not between 0 and 720 hours", hours=hours)
            )
        shops = _ids(post.getlist("shop"))
        if me.shop_scope and not set(shops) <= me.shop_scope:
            raise InvalidInput(field="shop", reason=Text("not one of your shops"))
        kind = KINDS.get(post.get("kind", "any"))
        if kind is None:
            raise InvalidInput(field="kind", reason=Text("single, multi or any"))
        carriers = [c for c in post.getlist("carrier") if c]
        rule = WaveRule(
            horizon=timedelta(hours=hours),
            max_orders=_positive(post.get("max_orders") or "200", "max_orders", maximum=100_000),
            kind=kind,
            shop_ids=frozenset(shops or me.shop_scope) or None,
            carrier_codes=frozenset(carriers) or None,
        )
        created = create_waves(rule, actor=me.actor, now=now())
    except (DomainError, ValueError) as err:
        _refuse_any(request, err)
    else:
        if created:
            messages.success(
                request,
                _("%(n)s wave(s) created: %(codes)s.")
                % {"n": len(created), "codes": ", ".join(w.code for w in created)},
            )
        else:
            messages.info(request, _("No order is due for a wave."))
    return redirect("waves")


def _refuse_any(request, err: Exception) -> None:
    if isinstance(err, DomainError):
        refused(request, err)
    else:
        messages.error(request, _("A number was expected: %(error)s") % {"error": err}, extra_tags="input.invalid")


@requires(Perm.FLOOR_WAVES)
@require_POST
def pick_list(request):
    """The wave's pick list as a PDF download (拣货单)."""
    try:
        printed = floor_desk.pick_list_pdf(
            request.POST.get("wave", ""), render=render_pick_list_pdf, actor=member(request).actor, now=now()
        )
    except DomainError as err:
        refused(request, err)
        return redirect("waves")
    response = HttpResponse(printed.pdf, content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="pick-list-{printed.wave_code}.pdf"'
    return response


@requires(Perm.FLOOR_WAVES)
@require_POST
def wave_remove(request):
    """Take a cancelled or held order out of its wave."""
    try:
        removed = remove_order(
            _positive(request.POST.get("order", ""), "order", maximum=2**62), actor=member(request).actor, now=now()
        )
    except DomainError as err:
        refused(request, err)
    else:
        messages.success(
            request,
            _("%(order_sn)s removed from wave %(wave_code)s; slot %(slot)s is free.")
            % {"order_sn": removed.order_sn, "wave_code": removed.wave_code, "slot": removed.slot},
        )
    return redirect("waves")


@requires(Perm.FLOOR_WAVES)
@require_POST
def wave_close(request):
    try:
        wave = floor_desk.close_wave(request.POST.get("wave", ""), actor=member(request).actor, now=now())
    except DomainError as err:
        refused(request, err)
    else:
        messages.success(request, _("Wave %(wave)s is closed.") % {"wave": wave.code})
    return redirect("waves")


# --- the packing station ------------------------------------------------------------------------------------------


def _answer(request, view, *, verdict: str, code: str, reason: str, sealed=None, status: int = 200):
    context = {
        "view": view,
        "verdict": verdict,
        "code": code,
        "reason": reason,
        "sealed": sealed,
        "station": _station(request),
    }
    return render(request, "web/floor/_checklist.html", context, status=status)


@requires(Perm.FLOOR_PACK)
def station(request):
    """One page per station (``?station=P1``), driven by a scanner typing into one input."""
    name = _station(request)
    view = current_parcel(name)
    boxes = list(
        BoxType.objects.filter(stock__gt=0).order_by("length_mm", "width_mm", "height_mm").values_list("code", "name")
    )
    return render(
        request,
        "web/floor/station.html",
        {
            "station": name,
            "view": view,
            "boxes": boxes,
            "verdict": view.verdict if view else "",
            "code": "",
            "reason": "",
        },
    )


@requires(Perm.FLOOR_PACK)
@require_POST
def station_scan(request):
    """One scan: opens a parcel when none is open, else counts a unit or confirms an enclosure."""
    name = _station(request)
    try:
        view = floor_desk.station_scan(name, request.POST.get("code", ""), actor=member(request).actor, now=now())
    except DomainError as err:
        return _answer(request, current_parcel(name), verdict="wrong", code=err.code, reason=sentence(err))
    return _answer(request, view, verdict=view.verdict, code=view.code, reason=view.reason)


@requires(Perm.FLOOR_PACK)
@require_POST
def station_seal(request):
    """Weigh and seal the open parcel; the page then prints its label and opens the next one."""
    name, post = _station(request), request.POST
    try:
        weight = _positive(post.get("weight_g", ""), "weight_g", maximum=100_000) if post.get("weight_g") else None
        sealed = seal_parcel(
            name, weight_g=weight, box_code=post.get("box", "").strip() or None, actor=member(request).actor, now=now()
        )
    except DomainError as err:
        return _answer(request, current_parcel(name), verdict="wrong", code=err.code, reason=sentence(err))
    reason = _("%(order_sn)s sealed in box %(box_code)s: printing its label.") % {
        "order_sn": sealed.order_sn,
        "box_code": sealed.box_code,
    }
    return _answer(request, None, verdict="sealed", code="station.sealed", reason=reason, sealed=sealed)


@requires(Perm.FLOOR_PACK)
@require_POST
def station_next(request):
    """After a seal (and its label): open the wave's next parcel waiting to be packed, if any."""
    name = _station(request)
    try:
        order_id = _positive(request.POST.get("after", ""), "after", maximum=2**62)
        view = floor_desk.open_next_parcel(name, after_order_id=order_id, actor=member(request).actor, now=now())
    except DomainError as err:
        return _answer(request, current_parcel(name), verdict="wrong", code=err.code, reason=sentence(err))
    if view is None:
        return _answer(
            request,
            None,
            verdict="idle",
            code="station.wave_done",
            reason=_("Nothing left to pack in this wave here: scan the next wave slot or order."),
        )
    return _answer(request, view, verdict=view.verdict, code=view.code, reason=view.reason)


@requires(Perm.FLOOR_PACK)
@require_POST
def station_aside(request):
    """Put the open parcel aside unpacked (the goods go back to the slot)."""
    name = _station(request)
    order_sn = put_aside(name, actor=member(request).actor, now=now())
    reason = (
        _("%(order_sn)s put aside: nothing was packed.") % {"order_sn": order_sn}
        if order_sn
        else _("No parcel is open here.")
    )
    return _answer(request, None, verdict="opened", code="station.put_aside", reason=reason)


# --- printing -----------------------------------------------------------------------------------------------------


@requires(Perm.FLOOR_PRINT)
def printing(request):
    """取号 → 打印 → 发货 per wave or per selected parcels, through the station's chosen printer."""
    return render(
        request,
        "web/floor/printing.html",
        {"waves": queries_floor.open_waves(), "station": _station(request), "carriers": CARRIERS},
    )


@requires(Perm.FLOOR_PRINT)
@require_POST
def take_waybills(request):
    """取号 for a wave or some orders; answers JSON for the page's script (and for the station)."""
    try:
        taken = floor_desk.take_waybills(
            orders=_ids(request.POST.getlist("orders")),
            wave=request.POST.get("wave") or None,
            carrier=request.POST.get("carrier", "").strip(),
            provider_for=waybill_provider_for,
            actor=member(request).actor,
            now=now(),
        )
    except DomainError as err:
        return JsonResponse({"ok": False, "code": err.code, "message": sentence(err)}, status=409)
    message = _("%(taken)s waybill number(s) taken, %(reused)s kept.") % {
        "taken": len(taken.taken),
        "reused": len(taken.reused),
    }
    return JsonResponse({"ok": True, "taken": list(taken.taken), "reused": list(taken.reused), "message": message})


@requires(Perm.FLOOR_PRINT)
def print_jobs(request):
    """The documents to print, in pick order, as the page's print-component client needs them."""
    try:
        jobs = print_jobs_for(
            orders=_ids(request.GET.get("orders", "")), wave=request.GET.get("wave") or None, station=_station(request)
        )
    except DomainError as err:
        return JsonResponse({"ok": False, "code": err.code, "message": sentence(err)}, status=409)
    return JsonResponse(
        {
            "ok": True,
            "jobs": [
                {
                    "orderId": j.order_id,
                    "orderSn": j.order_sn,
                    "slot": j.slot,
                    "kind": j.kind,
                    "documentID": j.document_id,
                    "printData": j.print_data,
                    "custom": j.custom,
                    "reprint": j.printed_before,
                }
                for j in jobs
            ],
        }
    )


@requires(Perm.FLOOR_PRINT)
@require_POST
def print_results(request):
    """The component's notifyPrintResult for a task's documents, recorded in the print log (reprints marked)."""
    try:
        body = json.loads(request.body or b"{}")
        results = [
            DocumentResult(str(r.get("documentID", "")), str(r.get("status", "")), str(r.get("msg", "")))
            for r in body.get("results", [])
        ]
        recorded = record_print_results(
            results,
            task_id=str(body.get("taskID", "")),
            printer=str(body.get("printer", "")),
            station=str(body.get("station") or "1").strip()[:32],
            wave=body.get("wave") or None,
            actor=member(request).actor,
            now=now(),
        )
    except (ValueError, AttributeError):
        return JsonResponse(
            {"ok": False, "code": "input.invalid", "message": _("The print result is not JSON.")}, status=400
        )
    except DomainError as err:
        return JsonResponse({"ok": False, "code": err.code, "message": sentence(err)}, status=409)
    return JsonResponse(
        {
            "ok": True,
            "recorded": [
                {
                    "orderSn": r.order_sn,
                    "documentID": r.document_id,
                    "status": r.status,
                    "reprint": r.reprint,
                    "duplicate": r.duplicate,
                }
                for r in recorded
            ],
        }
    )


@requires(Perm.FLOOR_PRINT)
@require_POST
def own_labels(request):
    """Kuaifa's own PDF label for the merchant's own orders, for the browser to print."""
    try:
        labels = floor_desk.own_labels_pdf(
            _ids(request.POST.getlist("orders")), render=render_label_pdf, actor=member(request).actor, now=now()
        )
    except DomainError as err:
        return JsonResponse({"ok": False, "code": err.code, "message": sentence(err)}, status=409)
    response = HttpResponse(labels.pdf, content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="labels-{labels.order_sns[0]}.pdf"'
    return response


# --- scan-to-ship -------------------------------------------------------------------------------------------------


def _today():
    return now().astimezone(CHINA).date()


@requires(Perm.FLOOR_DISPATCH)
def dispatch(request):
    return render(
        request,
        "web/floor/dispatch.html",
        {"progress": dispatch_progress(_today()), "verdict": "", "station": _station(request)},
    )


@requires(Perm.FLOOR_DISPATCH)
@require_POST
def dispatch_scan_view(request):
    """One label scanned as the parcel is handed to the courier: it ships, or it is refused loudly."""
    context = {"station": _station(request)}
    try:
        shipped = dispatch_scan(
            request.POST.get("code", ""), station=context["station"], actor=member(request).actor, now=now()
        )
    except DomainError as err:
        context |= {"verdict": "wrong", "code": err.code, "reason": sentence(err)}
    else:
        reason = (
            _("%(order_sn)s was scanned out before: nothing shipped again.")
            if shipped.already
            else _("%(order_sn)s shipped with %(waybill)s: the number is being uploaded.")
        ) % {"order_sn": shipped.order_sn, "waybill": shipped.waybill_code}
        context |= {"verdict": "already" if shipped.already else "right", "code": "dispatch.shipped", "reason": reason}
    context["progress"] = dispatch_progress(_today())
    return render(request, "web/floor/_dispatch.html", context)


# --- returns and exceptions ---------------------------------------------------------------------------------------


@requires(Perm.FLOOR_VIEW)
def exceptions(request):
    """Return-to-stock tasks, the day's exceptions (refused scans, overweight, force-packed), per-person counts."""
    day = _today()
    return render(
        request,
        "web/floor/exceptions.html",
        {
            "tasks": queries_floor.return_tasks(),
            "day": day,
            "exceptions": floor_exceptions(day),
            "people": people_counts(day),
        },
    )


@requires(Perm.FLOOR_DISPATCH)
@require_POST
def return_done(request):
    try:
        complete_task(
            _positive(request.POST.get("task", ""), "task", maximum=2**62), actor=member(request).actor, now=now()
        )
    except DomainError as err:
        refused(request, err)
    else:
        messages.success(request, _("Return-to-stock task done: the goods are back on the shelf."))
    return redirect("floor_exceptions")
