"""Orders: the list (filters, urgency, keyset "more", bulk actions), the detail, the hold queue, manual orders."""

import io

from django.contrib import messages
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST
from openpyxl import Workbook

from kuaifa.domain.access import Perm
from kuaifa.domain.fulfilment.masking import mask_address, mask_name, mask_phone
from kuaifa.domain.orders.canonical import Receiver
from kuaifa.domain.shared.errors import DomainError, Text
from kuaifa.domain.shared.money import fen_to_yuan
from kuaifa.domain.sla.deadlines import CHINA
from kuaifa.persistence import queries_aftersales, queries_web
from kuaifa.persistence.models import Shop
from kuaifa.services.explain import explain_order
from kuaifa.services.orders import ManualLine, create_manual_order, create_reissue_order
from kuaifa.services.workbench import apply_to_orders, reveal_receiver
from kuaifa.web import order_rows
from kuaifa.web.access import member, requires
from kuaifa.web.feedback import back_to, refused, sentence
from kuaifa.web.templatetags.kuaifa import reason_label, status_label
from kuaifa.web.words import STATUS, now

WINDOWS = {"overdue": 0, "6h": 6, "24h": 24}
REASONS = ["stock_insufficient", "sku_unmapped", "buyer_memo", "address_incomplete", "amount_anomaly",
           "after_sales_open", "platform_risk", "ship_hold", "manual"]  # fmt: skip
BULK_PERMISSION = {"review": Perm.ORDERS_REVIEW, "hold": Perm.ORDERS_HOLD, "release": Perm.ORDERS_HOLD,
                   "cancel": Perm.ORDERS_CANCEL, "export": Perm.ORDERS_EXPORT}  # fmt: skip


def _int(value: str | None) -> int | None:
    return int(value) if value and value.strip().isdigit() else None


def _filter(request, **fixed) -> queries_web.OrderFilter:
    get = request.GET
    shop_id = _int(get.get("shop")) or request.session.get("shop_id")
    window = get.get("window", "")
    return queries_web.OrderFilter(
        status=fixed.get("status", get.get("status", "")),
        shop_id=shop_id,
        reason=get.get("reason", ""),
        within_hours=WINDOWS.get(window),
        sku=get.get("sku", "").strip(),
        carrier=_int(get.get("carrier")),
        search=get.get("q", "").strip(),
        scope=member(request).shop_scope,
    )


def _list(request, template_title: str, **fixed):
    clock = now()
    page = queries_web.order_page(_filter(request, **fixed), now=clock, after=request.GET.get("after", ""))
    context = {"page": page, "rows": order_rows.shown(page.rows, clock), "now": clock, "title": template_title,
               "statuses": STATUS, "reasons": REASONS, "windows": WINDOWS, "query": request.GET,
               "fixed_status": fixed.get("status", "")}  # fmt: skip
    if request.headers.get("HX-Request") and request.GET.get("after"):
        return render(request, "web/orders/_rows.html", context)
    return render(request, "web/orders/list.html", context)


@requires(Perm.ORDERS_VIEW)
def order_list(request):
    return _list(request, _("All orders"))


@requires(Perm.ORDERS_VIEW)
def orders_to_review(request):
    return _list(request, _("To review"), status="NEW")


@requires(Perm.ORDERS_VIEW)
@require_POST
def bulk(request):
    """Apply one action to the ticked orders; the action's own permission is checked here too."""
    action = request.POST.get("action", "")
    me = member(request)
    if action not in BULK_PERMISSION or not me.can(BULK_PERMISSION[action]):
        from kuaifa.web.access import forbidden

        return forbidden(request, BULK_PERMISSION.get(action, action))
    ids = queries_web.order_ids_in_scope([int(x) for x in request.POST.getlist("ids") if x.isdigit()], me.shop_scope)
    if action == "export":
        return _export(ids)
    try:
        outcome = apply_to_orders(action, ids, note=request.POST.get("note", ""), actor=me.actor, now=now())
    except DomainError as err:
        refused(request, err)
    else:
        if outcome.done:
            messages.success(request, _("%(n)s orders: %(action)s done.") % {"n": len(outcome.done),
                                                                             "action": _(action)})  # fmt: skip
        for _order_id, err in outcome.refused:
            refused(request, err)
    return redirect(back_to(request, "orders"))


def _export(ids: list[int]) -> HttpResponse:
    book = Workbook()
    sheet = book.active
    sheet.append([_("Order number"), _("Shop"), _("Status"), _("Reasons"), _("Ship by"), _("Amount (yuan)"),
                  _("Receiver"), _("Items")])  # fmt: skip
    for row in queries_web.order_rows(ids):
        ship_by = row.ship_by.astimezone(CHINA).strftime("%Y-%m-%d %H:%M") if row.ship_by else ""
        reasons = "、".join(reason_label(r) for r in row.hold_reasons)
        sheet.append(
            [
                row.order_sn,
                row.shop__name,
                status_label(row.status),
                reasons,
                ship_by,
                fen_to_yuan(row.pay_amount),
                row.receiver_name_mask,
                "; ".join(row.items),
            ]
        )
    buffer = io.BytesIO()
    book.save(buffer)
    response = HttpResponse(
        buffer.getvalue(), content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    )
    response["Content-Disposition"] = 'attachment; filename="orders.xlsx"'
    return response


@requires(Perm.ORDERS_VIEW)
def order_detail(request, order_id: int):
    me = member(request)
    found = queries_web.order_for_detail(order_id, me.shop_scope)
    if found is None:
        raise Http404
    order, clock = found.order, now()
    why = explain_order(order, now=clock, events=found.events)
    # every ticket is opened with a ``complaint_opened`` event on its order: without one there is none to read
    has_tickets = any(e.kind == "complaint_opened" for e in found.events)
    tickets = queries_aftersales.tickets_of_order(order.id) if has_tickets and me.can(Perm.COMPLAINTS_VIEW) else []
    context = {"order": order, "why": why, "related": queries_web.order_related(order, why.events),
               "now": clock, "tickets": tickets, "row": {"ship_by": order.ship_by, "status": order.status,
                                     "hold_reasons": order.hold_reasons}}  # fmt: skip
    return render(request, "web/orders/detail.html", context)


@requires(Perm.ORDERS_REVEAL_ADDRESS)
@require_POST
def reveal(request, order_id: int):
    """Show one of the merchant's own orders' full receiver; the reveal is recorded on the order."""
    me = member(request)
    try:
        receiver = reveal_receiver(order_id, shop_scope=me.shop_scope, actor=me.actor, now=now())
    except DomainError as err:
        return render(request, "web/orders/_receiver.html", {"error": sentence(err), "code": err.code})
    return render(request, "web/orders/_receiver.html", {"receiver": receiver})


@requires(Perm.ORDERS_VIEW)
def holds(request):
    """The hold queue grouped by reason, each group most urgent first."""
    me = member(request)
    clock = now()
    groups = [
        {"reason": reason, "count": count,
         "page": queries_web.order_page(queries_web.OrderFilter(status="ON_HOLD", reason=reason,
                                                                scope=me.shop_scope), now=clock, limit=20)}
        for reason, count in queries_web.held_by_reason(me.shop_scope).items()
    ]  # fmt: skip
    for group in groups:
        group["rows"] = order_rows.shown(group["page"].rows, clock)
    return render(request, "web/orders/holds.html", {"groups": groups, "now": clock})


def _parse_lines(text: str) -> list[ManualLine]:
    """One item per line: ``SKU`` or ``SKU 数量`` or ``SKU 数量 单价(元)``."""
    from kuaifa.domain.shared.money import yuan_to_fen
    from kuaifa.services.errors import InvalidInput

    lines = []
    for number, raw in enumerate(text.splitlines(), start=1):
        parts = raw.replace("×", " ").replace("*", " ").split()
        if not parts:
            continue
        try:
            quantity = int(parts[1]) if len(parts) > 1 else 1
            price = yuan_to_fen(parts[2]) if len(parts) > 2 else 0
        except ValueError:
            raise InvalidInput(
                field=Text("line %(number)s", number=number),
                reason=Text("cannot read %(raw)r as SKU, quantity, price", raw=raw),
            ) from None
        lines.append(ManualLine(parts[0], quantity, price))
    return lines


@requires(Perm.ORDERS_CREATE)
def manual_order(request):
    me = member(request)
    shops = queries_web.shops(me.shop_scope)
    if request.method == "POST":
        post = request.POST
        shop = Shop.objects.filter(id=_int(post.get("shop")) or 0).first()
        try:
            if shop is None or (me.shop_scope and shop.id not in me.shop_scope):
                from kuaifa.services.errors import InvalidInput

                raise InvalidInput(field="shop", reason=Text("choose one of your shops"))
            name, phone, address = post.get("name", ""), post.get("phone", ""), post.get("address", "")
            receiver = Receiver(province=post.get("province", ""), city=post.get("city", ""),
                                town=post.get("town", ""), name=name, phone=phone, address=address,
                                name_mask=mask_name(name), phone_mask=mask_phone(phone),
                                address_mask=mask_address(address), is_plaintext=True)  # fmt: skip
            order = create_manual_order(shop, _parse_lines(post.get("lines", "")), receiver,
                                        buyer_memo=post.get("memo", ""), actor=me.actor, now=now())  # fmt: skip
        except DomainError as err:
            refused(request, err)
            return render(request, "web/orders/manual.html", {"shops": shops, "form": post}, status=400)
        messages.success(request, _("Manual order %(order_sn)s created.") % {"order_sn": order.order_sn})
        return redirect("order_detail", order_id=order.id)
    return render(request, "web/orders/manual.html", {"shops": shops, "form": {}})


@requires(Perm.ORDERS_CREATE)
@require_POST
def reissue(request, order_id: int):
    """Send the goods again (补发单: lost or damaged parcel), all lines or those typed in; reviewed like any order."""
    me = member(request)
    if queries_web.order_in_scope(order_id, me.shop_scope) is None:
        raise Http404
    try:
        lines = _parse_lines(request.POST.get("lines", "")) or None
        order = create_reissue_order(order_id, lines=lines, note=request.POST.get("note", ""), actor=me.actor,
                                     now=now())  # fmt: skip
    except DomainError as err:
        refused(request, err)
        return redirect("order_detail", order_id=order_id)
    messages.success(request, _("Reissue %(order_sn)s created.") % {"order_sn": order.order_sn})
    return redirect("order_detail", order_id=order.id)
