"""The catalogue beyond the SKU sheet: platform listings mapped to SKUs (``map-sku``) and the box types parcels are
sealed in (``kuaifa box``)."""

from dataclasses import asdict

import click
from django.utils.translation import gettext as _

from kuaifa.cli.context import command, emit, json_option, now, shop_named
from kuaifa.cli.render import money
from kuaifa.domain.shared.errors import Text
from kuaifa.domain.shared.money import yuan_to_fen
from kuaifa.persistence.queries import box_types
from kuaifa.services.catalog import map_platform_sku
from kuaifa.services.errors import InvalidInput
from kuaifa.services.packing import upsert_box_type


@command("map-sku")
@click.option("--shop", "shop_name", required=True)
@click.argument("goods_id")
@click.argument("platform_sku_id")
@click.argument("sku_code")
@json_option
def map_sku(shop_name: str, goods_id: str, platform_sku_id: str, sku_code: str, as_json: bool) -> None:
    """Map a platform listing (商品id + 样式ID) to a SKU; held orders pick it up on the next review."""
    map_platform_sku(shop_named(shop_name).id, goods_id, platform_sku_id, sku_code)
    emit(
        as_json,
        {"goods_id": goods_id, "platform_sku_id": platform_sku_id, "sku": sku_code},
        lambda: click.echo(_("%(g)s/%(s)s → %(c)s") % {"g": goods_id, "s": platform_sku_id, "c": sku_code}),
    )


def parse_size(value: str) -> tuple[int, int, int]:
    parts = value.lower().replace("×", "x").replace("*", "x").split("x")
    if len(parts) != 3 or not all(p.strip().isdigit() for p in parts):
        raise InvalidInput(
            field="--size", reason=Text("%(value)r: expected LxWxH in mm, e.g. 300x200x150", value=value)
        )
    length, width, height = (int(p) for p in parts)
    return length, width, height


@click.group()
def box() -> None:
    """Box types (纸箱) and their stock: the packing material parcels are sealed in."""


@command("add", box)
@click.argument("code")
@click.option("--size", required=True, help="Inner length x width x height in mm, e.g. 300x200x150.")
@click.option("--max-load", "max_load_g", type=click.IntRange(1), required=True, help="Grams the box may carry.")
@click.option("--weight", "weight_g", type=click.IntRange(0), default=0, show_default=True, help="Own weight, grams.")
@click.option("--price", default="0", show_default=True, help="Price per box in yuan, e.g. 0.85.")
@click.option("--stock", type=click.IntRange(0), default=0, show_default=True, help="Boxes on hand (counted).")
@click.option("--name", default="", help="A name people know it by, e.g. 3号箱.")
@json_option
def box_add(code, size, max_load_g, weight_g, price, stock, name, as_json) -> None:
    """Add a box type, or update it (the stock given is the new count)."""
    length, width, height = parse_size(size)
    row, created = upsert_box_type(
        code,
        length_mm=length,
        width_mm=width,
        height_mm=height,
        max_load_g=max_load_g,
        weight_g=weight_g,
        price_fen=yuan_to_fen(price),
        stock=stock,
        name=name,
        now=now(),
    )
    data = {"code": row.code, "created": created, "size_mm": [length, width, height], "stock": row.stock}
    text = (
        _("Box %(code)s added: %(size)s mm, %(stock)s in stock.")
        if created
        else _("Box %(code)s updated: %(size)s mm, %(stock)s in stock.")
    )
    emit(
        as_json,
        data,
        lambda: click.echo(text % {"code": row.code, "size": f"{length}×{width}×{height}", "stock": row.stock}),
    )


@command("list", box)
@json_option
def box_list(as_json) -> None:
    """Box types, smallest first, with their stock."""
    rows = box_types()

    def human() -> None:
        for r in rows:
            size = f"{r.length_mm}×{r.width_mm}×{r.height_mm}"
            click.echo(
                f"{r.code:<10}{size:>16} mm  ≤{r.max_load_g:>6} g  {r.weight_g:>4} g  "
                f"{money(r.price_fen):>8}  {_('stock')} {r.stock:>5}  {r.name}"
            )
        click.echo(_("%(n)s box type(s).") % {"n": len(rows)})

    emit(as_json, [asdict(r) for r in rows], human)
