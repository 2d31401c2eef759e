"""Catalogue pages: one SKU's edit form (bundles show their components) and the stocktake (盘点) of a warehouse."""

from django.contrib import messages
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _

from kuaifa.domain.access import Perm
from kuaifa.domain.inventory.catalog import StockCount
from kuaifa.domain.shared.errors import DomainError, Text
from kuaifa.persistence import queries_catalog
from kuaifa.services.catalog_edit import SkuEdit, edit_sku, enclosure_list
from kuaifa.services.errors import InvalidInput
from kuaifa.services.inventory import stocktake
from kuaifa.web.access import member, requires
from kuaifa.web.feedback import refused
from kuaifa.web.words import now


def _grams(value: str) -> int:
    value = value.strip() or "0"
    if not value.isdigit():
        raise InvalidInput(field="weight_g", reason=Text("%(value)r is not a whole number of grams", value=value))
    return int(value)


@requires(Perm.CATALOG_EDIT)
def sku_edit(request, code: str):
    found = queries_catalog.sku_with_components(code)
    if found is None:
        raise Http404
    sku, components = found
    form: dict = {"name": sku.name, "spec": sku.spec, "barcode": sku.barcode, "weight_g": sku.weight_g,
                  "bin_location": sku.bin_location, "enclosures": "\n".join(sku.enclosures)}  # fmt: skip
    status = 200
    if request.method == "POST":
        post = request.POST
        form = post.dict()
        try:
            edit = SkuEdit(name=post.get("name", ""), spec=post.get("spec", ""), barcode=post.get("barcode", ""),
                           weight_g=_grams(post.get("weight_g", "")), bin_location=post.get("bin_location", ""),
                           enclosures=enclosure_list(post.get("enclosures", "")))  # fmt: skip
            edit_sku(sku.code, edit, actor=member(request).actor, now=now())
        except DomainError as err:
            refused(request, err)
            status = 400
        else:
            messages.success(request, _("SKU %(sku)s saved.") % {"sku": sku.code})
            return redirect("sku_edit", code=sku.code)
    return render(request, "web/catalog/sku.html", {"sku": sku, "components": components, "form": form},
                  status=status)  # fmt: skip


@requires(Perm.STOCK_CHANGE)
def stocktake_page(request):
    """A warehouse's SKUs with their booked quantity; the counted ones (blank = not counted) become the truth."""
    warehouses = queries_catalog.warehouses()
    chosen = request.GET.get("warehouse") or request.POST.get("warehouse") or (warehouses[0].code if warehouses
                                                                               else "")  # fmt: skip
    search = request.GET.get("q", "").strip()
    status = 200
    if request.method == "POST":
        counts = []
        try:
            for key, raw in request.POST.items():
                if not key.startswith("count:") or not raw.strip():
                    continue
                code = key.removeprefix("count:")
                if not raw.strip().isdigit():
                    raise InvalidInput(field=code, reason=Text("%(raw)r is not a counted number of units", raw=raw))
                counts.append(StockCount(code, chosen, int(raw)))
            if not counts:
                raise InvalidInput(field="count", reason=Text("enter at least one counted quantity"))
            changes = stocktake(counts, actor=member(request).actor, now=now(), note=request.POST.get("note", ""))
        except DomainError as err:
            refused(request, err)
            status = 400
        else:
            moved = sum(1 for change in changes if change.on_hand_after != change.on_hand_before)
            messages.success(request, _("Stocktake of %(warehouse)s: %(counted)s SKUs counted, %(moved)s corrected.")
                             % {"warehouse": chosen, "counted": len(counts), "moved": moved})  # fmt: skip
            return redirect(f"{request.path}?warehouse={chosen}")
    context = {"warehouses": warehouses, "chosen": chosen, "q": search,
               "rows": queries_catalog.count_sheet(chosen, search) if chosen else []}  # fmt: skip
    return render(request, "web/catalog/stocktake.html", context, status=status)
