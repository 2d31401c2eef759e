"""Shipping: orders handed to a carrier (``ship``, merged parcels), extra parcels and corrected numbers, the carrier
catalogue, and choosing a carrier from the tariffs (``kuaifa carrier``)."""

from dataclasses import asdict
from pathlib import Path

import click
from django.utils.translation import gettext as _

from kuaifa.cli.context import (
    actor,
    command,
    emit,
    json_option,
    now,
    order_named,
    platform_shops,
    refuse_if_problems,
    shop_id_of,
)
from kuaifa.cli.files import load_tariffs
from kuaifa.cli.render import rate_sources
from kuaifa.domain.carriers.choice import ChoiceRules
from kuaifa.domain.shared.errors import Text
from kuaifa.services.carrier_choice import choose_for_order, import_tariffs
from kuaifa.services.carriers import carrier_catalogue, store_carriers
from kuaifa.services.errors import InvalidInput
from kuaifa.services.merging import merge_groups
from kuaifa.services.parcels import ExtraKind, correct_shipment, ship_extra_parcels
from kuaifa.services.shipping import ship_merged_parcel, ship_order
from kuaifa.tasks.jobs import deliver_outbox_entry
from kuaifa.tasks.platforms import platform_for


@command("ship")
@click.argument("order_sns", nargs=-1, required=True)
@click.option("--shop", "shop_name", default=None)
@click.option("--carrier", "carrier_ref", required=True, help="Carrier id or code: 85 or YTO = 圆通.")
@click.option("--tracking", "tracking_number", required=True)
@click.option("--offline", is_flag=True, help="Skip the platform's refund check (it is unreachable).")
@click.option("--confirm-weak-tracking", is_flag=True, help="Ship a number the carrier's rules only weakly match.")
@json_option
def ship(order_sns, shop_name, carrier_ref, tracking_number, offline, confirm_weak_tracking, as_json) -> None:
    """Mark orders shipped: consumes their stock and queues the tracking-number upload (refused if intercepted).
    Several orders share one parcel (合单) only when they go to one buyer at one address of one shop."""
    orders = [order_named(sn, shop_name) for sn in order_sns]
    if len(orders) == 1:
        results = [
            ship_order(
                orders[0].id,
                carrier=carrier_ref,
                tracking_number=tracking_number,
                confirm_weak_tracking=confirm_weak_tracking,
                actor=actor(),
                now=now(),
                check_platform=not offline,
            )
        ]
    else:
        results = ship_merged_parcel(
            [o.id for o in orders],
            carrier=carrier_ref,
            tracking_number=tracking_number,
            confirm_weak_tracking=confirm_weak_tracking,
            actor=actor(),
            now=now(),
            check_platform=not offline,
        )
    if results[0].refund_check_skipped not in ("", "offline"):
        click.secho(
            _("Platform not reachable (%(code)s); shipping on what Kuaifa knows.")
            % {"code": results[0].refund_check_skipped},
            fg="yellow",
            err=True,
        )
    for shipped in results:
        if shipped.outbox_entry_id:
            deliver_outbox_entry.enqueue(shipped.outbox_entry_id)
    data = [
        {
            "order_sn": r.shipment.order.order_sn,
            "shipment": r.shipment.id,
            "upload": r.shipment.upload_state,
            "tracking_warning": r.tracking_warning.render(_) if r.tracking_warning else "",
        }
        for r in results
    ]

    def human() -> None:
        for row in data:
            click.echo(
                _("%(sn)s shipped with %(no)s; upload %(state)s.")
                % {"sn": row["order_sn"], "no": tracking_number, "state": row["upload"]}
            )
            if row["tracking_warning"]:
                click.secho(f"  ! {row['tracking_warning']}", fg="yellow")

    emit(as_json, data if len(data) > 1 else data[0], human)


@command("merge")
@click.option("--shop", "shop_name", default=None)
@json_option
def merge(shop_name, as_json) -> None:
    """Orders that can ship as one parcel (合单): one buyer, one address, one shop; most urgent first."""
    groups = merge_groups(shop_id=shop_id_of(shop_name))
    data = [{"orders": [o.order_sn for o in g.orders], "waiting": [o.order_sn for o in g.waiting]} for g in groups]

    def human() -> None:
        for row in data:
            line = " + ".join(row["orders"])
            click.echo(line + (f"   ({_('not ready yet')}: {', '.join(row['waiting'])})" if row["waiting"] else ""))
        click.echo(_("%(n)s parcel(s) to merge.") % {"n": len(data)})

    emit(as_json, data, human)


@command("carriers")
@click.option("--shop", "shop_name", default=None, help="Fetch the catalogue through this shop's credentials.")
@click.option("--refresh", is_flag=True, help="Fetch the catalogue from the platform first.")
@json_option
def carriers(shop_name, refresh, as_json) -> None:
    """The carriers (ids to ship with, codes for waybills): the built-in catalogue, offline, overlaid by the list
    fetched from the platform (pdd.logistics.companies.get, --refresh)."""
    if refresh:
        shops = platform_shops(shop_name)
        if not shops:
            raise InvalidInput(field="--shop", reason=Text("no shop with platform credentials to fetch carriers with"))
        store_carriers(platform_for(shops[0]).carriers(), now=now())
    rows = [asdict(row) for row in carrier_catalogue()]

    def human() -> None:
        for r in rows:
            click.echo(f"{r['platform_id']:>5}  {r['code']:<12} {r['name']}" + ("" if r["available"] else "  ✗"))
        click.echo(_("%(n)s carriers.") % {"n": len(rows)})

    emit(as_json, rows, human)


@command("ship-extra")
@click.argument("order_sn")
@click.option("--shop", "shop_name", default=None)
@click.option(
    "--parcel",
    "parcels",
    multiple=True,
    required=True,
    help="CARRIER:TRACKING (carrier id or code), e.g. 115:753123456789 or ZTO:753123456789",
)
@click.option("--kind", type=click.Choice(["split", "resend", "gift"]), default="split", show_default=True)
@click.option("--confirm-weak-tracking", is_flag=True, help="Record numbers the carrier's rules only weakly match.")
@json_option
def ship_extra(order_sn, shop_name, parcels, kind, confirm_weak_tracking, as_json) -> None:
    """Record more parcels of a shipped order (拆单 / 补发 / 赠品) and upload them as extra logistics."""
    pairs = []
    for number, text in enumerate(parcels, start=1):
        carrier, _sep, tracking = text.partition(":")
        if not carrier.strip() or not tracking.strip():
            raise InvalidInput(
                field=f"--parcel {number}", reason=Text("%(text)r: expected CARRIER:TRACKING", text=text)
            )
        pairs.append((carrier.strip(), tracking.strip()))
    order = order_named(order_sn, shop_name)
    created = ship_extra_parcels(
        order.id,
        pairs,
        kind=ExtraKind[kind.upper()],
        confirm_weak_tracking=confirm_weak_tracking,
        actor=actor(),
        now=now(),
    )
    emit(
        as_json,
        {"order_sn": order_sn, "parcels": [[s.logistics_id, s.tracking_number] for s in created]},
        lambda: click.echo(_("%(n)s extra parcel(s) recorded for %(sn)s.") % {"n": len(created), "sn": order_sn}),
    )


@command("ship-fix")
@click.argument("order_sn")
@click.option("--shop", "shop_name", default=None)
@click.option("--carrier", "carrier_ref", required=True, help="Carrier id or code.")
@click.option("--tracking", "tracking_number", required=True)
@click.option("--confirm-weak-tracking", is_flag=True, help="Use a number the carrier's rules only weakly match.")
@json_option
def ship_fix(order_sn, shop_name, carrier_ref, tracking_number, confirm_weak_tracking, as_json) -> None:
    """Correct the carrier or tracking number of a shipped order; the platform's record is overwritten."""
    order = order_named(order_sn, shop_name)
    shipment = correct_shipment(
        order.id,
        carrier=carrier_ref,
        tracking_number=tracking_number,
        confirm_weak_tracking=confirm_weak_tracking,
        actor=actor(),
        now=now(),
    )
    emit(
        as_json,
        {
            "order_sn": order_sn,
            "logistics_id": shipment.logistics_id,
            "tracking_number": shipment.tracking_number,
        },
        lambda: click.echo(_("%(sn)s now ships with %(no)s.") % {"sn": order_sn, "no": tracking_number}),
    )


@click.group("carrier")
def carrier() -> None:
    """Carrier tariffs and choosing a carrier for an order."""


@command("tariffs", carrier)
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@json_option
def carrier_tariffs(file: Path, as_json: bool) -> None:
    """Import the tariff sheet (快递公司, 省份, 首重(g), 首重费(元), 续重(g), 续重费(元), 最大重量(g), 准时率(%)),
    replacing the previous one; a sheet with any problem imports nothing."""
    rows, problems = load_tariffs(file)
    refuse_if_problems(problems, file, as_json)
    count = import_tariffs(rows, now=now())
    emit(as_json, {"rows": count}, lambda: click.echo(_("%(n)s tariff row(s) imported.") % {"n": count}))


@command("choose", carrier)
@click.argument("order_sn")
@click.option("--shop", "shop_name", default=None)
@click.option(
    "--min-on-time",
    type=click.IntRange(0, 100),
    default=0,
    show_default=True,
    help="Exclude carriers below this on-time rate (%) for the destination.",
)
@click.option(
    "--fen-per-point",
    type=click.IntRange(0, 10_000),
    default=0,
    show_default=True,
    help="How many fen one on-time percentage point is worth when comparing costs.",
)
@json_option
def carrier_choose(order_sn: str, shop_name: str | None, min_on_time: int, fen_per_point: int, as_json: bool) -> None:
    """Choose the carrier for an order and say why: cost by province and weight, buyer exclusions, on-time rate."""
    rules = ChoiceRules(min_on_time_percent=min_on_time, fen_per_on_time_point=fen_per_point)
    found = choose_for_order(order_named(order_sn, shop_name).id, rules=rules, now=now())
    data = {
        "order_sn": found.order_sn,
        "chosen": found.choice.chosen,
        "weight_g": found.weight_g,
        "unknown_weights": list(found.unknown_weights),
        "buyer_excluded": sorted(found.buyer_excluded),
        "explanation": list(found.choice.explain()),
        "on_time_sources": rate_sources(found),
    }

    def human() -> None:
        for line in [*found.choice.explain(), *rate_sources(found)]:
            click.echo(line)
        if found.unknown_weights:
            click.secho(
                _("No weight in the SKU master for %(skus)s: the weight check proves less.")
                % {"skus": ", ".join(found.unknown_weights)},
                fg="yellow",
            )

    emit(as_json, data, human)
