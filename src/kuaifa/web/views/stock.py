"""Stock and catalogue: SKUs, stock per warehouse with its ledger, receive/adjust, listing mapping, file uploads."""

import hashlib
import tempfile
from pathlib import Path

from django.contrib import messages
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from kuaifa.domain.access import Perm
from kuaifa.domain.shared.errors import DomainError, Text
from kuaifa.persistence import queries_web
from kuaifa.persistence.models import Shop
from kuaifa.platforms.pdd_export.parser import parse_orders
from kuaifa.platforms.pdd_export.skus import parse_sku_sheet, parse_stock_sheet
from kuaifa.platforms.pdd_export.table import TableError, read_table
from kuaifa.services.catalog import upsert_skus
from kuaifa.services.errors import InvalidInput
from kuaifa.services.imports import import_order_file
from kuaifa.services.inventory import adjust_stock, receive_stock, stocktake
from kuaifa.services.workbench import map_listing
from kuaifa.web.access import member, requires
from kuaifa.web.feedback import refused
from kuaifa.web.words import now


@requires(Perm.CATALOG_VIEW)
def sku_list(request):
    search = request.GET.get("q", "").strip()
    return render(request, "web/stock/skus.html", {"skus": queries_web.skus(search), "q": search})


@requires(Perm.STOCK_VIEW)
def stock_levels(request):
    search = request.GET.get("q", "").strip()
    return render(request, "web/stock/levels.html", {"levels": queries_web.stock_by_warehouse(search), "q": search})


@requires(Perm.STOCK_VIEW)
def ledger(request, level_id: int):
    return render(request, "web/stock/ledger.html", {"moves": queries_web.ledger(level_id)})


@requires(Perm.STOCK_CHANGE)
@require_POST
def stock_change(request):
    """Receive goods (到货) or adjust by a signed count with a note; each is one ledger move naming the person."""
    post, me = request.POST, member(request)
    try:
        raw = post.get("quantity", "").strip()
        if not raw.lstrip("-").isdigit():
            raise InvalidInput(field="quantity", reason=Text("%(raw)r is not a whole number", raw=raw))
        service = receive_stock if post.get("kind") == "receive" else adjust_stock
        change = service(post.get("sku", "").strip(), int(raw), warehouse=post.get("warehouse") or "MAIN",
                         actor=me.actor, now=now(), note=post.get("note", ""))  # fmt: skip
    except DomainError as err:
        refused(request, err)
    else:
        messages.success(request, _("%(sku)s: on hand %(before)s → %(after)s.") % {
            "sku": post.get("sku"), "before": change.on_hand_before, "after": change.on_hand_after})  # fmt: skip
    return redirect("stock")


@requires(Perm.CATALOG_MAP)
def mapping(request):
    me = member(request)
    return render(request, "web/stock/mapping.html", {"listings": queries_web.unmapped_listings(me.shop_scope)})


@requires(Perm.CATALOG_MAP)
@require_POST
def map_sku(request):
    """One click: this listing (goods id + sku id) is that SKU. Held orders pick it up on the next review."""
    post, me = request.POST, member(request)
    shop_id = int(post.get("shop", "0") or 0)
    try:
        if me.shop_scope and shop_id not in me.shop_scope:
            raise InvalidInput(field="shop", reason=Text("not one of your shops"))
        map_listing(shop_id, post.get("goods_id", ""), post.get("platform_sku_id", ""), post.get("sku", ""),
                    actor=me.actor, now=now())  # fmt: skip
    except DomainError as err:
        refused(request, err)
    else:
        messages.success(request, _("%(goods)s / %(sku_id)s mapped to %(sku)s.") % {
            "goods": post.get("goods_id"), "sku_id": post.get("platform_sku_id"), "sku": post.get("sku")})  # fmt: skip
    return redirect("mapping")


KINDS = {"orders": "orders", "skus": "skus", "stock": "stock"}


def _save_upload(upload) -> Path:
    suffix = Path(upload.name).suffix.lower()
    if suffix not in (".csv", ".xlsx"):
        raise InvalidInput(field=upload.name, reason=Text("only .csv and .xlsx files can be imported"))
    with tempfile.NamedTemporaryFile(suffix=suffix, delete=False) as handle:
        for chunk in upload.chunks():
            handle.write(chunk)
    return Path(handle.name)


def _apply(kind: str, path: Path, upload, request) -> tuple[list, str]:
    """Parse like the CLI; a sheet with any problem imports nothing and the problems come back as rows."""
    me = member(request)
    table = read_table(path)
    if kind == "orders":
        shop = Shop.objects.filter(id=int(request.POST.get("shop") or 0)).first()
        if shop is None or (me.shop_scope and shop.id not in me.shop_scope):
            raise InvalidInput(field="shop", reason=Text("choose the shop the export belongs to"))
        parsed = parse_orders(table)
        if parsed.problems:
            return parsed.problems, ""
        outcome = import_order_file(shop, parsed.orders, file_name=upload.name, rows=parsed.rows, rejected=0,
                                    file_sha256=hashlib.sha256(path.read_bytes()).hexdigest(), dry_run=False,
                                    actor=me.actor, now=now())  # fmt: skip
        r = outcome.report
        return [], _("%(created)s created, %(updated)s updated, %(unchanged)s unchanged.") % {
            "created": r.created, "updated": r.updated, "unchanged": r.unchanged}  # fmt: skip
    if kind == "skus":
        specs, problems = parse_sku_sheet(table)
        if problems:
            return problems, ""
        report = upsert_skus(specs, now=now())
        return [], _("SKUs: %(created)s created, %(updated)s updated, %(unchanged)s unchanged.") % {
            "created": report.created, "updated": report.updated, "unchanged": report.unchanged}  # fmt: skip
    counts, problems = parse_stock_sheet(table)
    if problems:
        return problems, ""
    changes = stocktake(
        counts,
        actor=me.actor,
        now=now(),
        note=f"import {upload.name}",
        create_warehouse=request.POST.get("create_warehouse") == "1",
    )
    return [], _("%(n)s stock levels counted.") % {"n": len(changes)}


@requires(Perm.IMPORTS_RUN)
def upload(request):
    """Upload an order export, a SKU sheet or a stock count. Problems are listed per row; nothing is applied."""
    me = member(request)
    context = {"shops": queries_web.shops(me.shop_scope), "kind": request.POST.get("kind", "orders"), "problems": []}
    if request.method == "POST":
        kind, file = request.POST.get("kind", ""), request.FILES.get("file")
        path = None
        try:
            if kind not in KINDS:
                raise InvalidInput(field="kind", reason=Text("%(kind)r is not orders, skus or stock", kind=kind))
            if file is None:
                raise InvalidInput(field="file", reason=Text("choose a file"))
            path = _save_upload(file)
            problems, done = _apply(kind, path, file, request)
        except TableError as err:
            refused(request, InvalidInput(field=file.name if file else "file", reason=str(err)))
        except DomainError as err:
            refused(request, err)
        else:
            context["problems"] = problems
            context["file_name"] = file.name
            if done:
                messages.success(request, done)
        finally:
            if path is not None:
                path.unlink(missing_ok=True)
        status = 400 if context["problems"] else 200
        return render(request, "web/stock/upload.html", context, status=status)
    return render(request, "web/stock/upload.html", context)
