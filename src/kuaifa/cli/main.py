"""The ``kuaifa`` command. Human output by default, ``--json`` for programs, non-zero exit on failure.

It chooses the concrete inputs (files, the clock) and hands them to services; it reads through
``persistence.queries*`` and never writes a model itself. Every way a command can be refused — a business rule, a
bad setting, a database that is missing, full or unreachable, a file that cannot be read or written — becomes one
sentence naming what to fix (see ``cli/failures.py``), never a traceback.

The commands live one group a module (``*_commands.py``); the table below names each, and only the module of the
command invoked is imported — after Django is set up, once.
"""

import gc
import os

import django

from kuaifa.cli.root import cli

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "kuaifa.config.settings")

#: every command of ``kuaifa``: name → ("module:attribute", its short help for ``kuaifa --help``, the first sentence
#: of its docstring; tests/cli/test_cli_shape.py checks both)
COMMANDS: dict[str, tuple[str, str]] = {
    "aftersales": (
        "kuaifa.cli.aftersales_commands:aftersales",
        "After-sales cases (售后): refunds, returns, exchanges, resends.",
    ),
    "alerts": (
        "kuaifa.cli.alert_commands:alerts",
        "Alerts centre: raised once, acknowledged by a person, escalated, posted to the team's chat robots.",
    ),
    "backup": (
        "kuaifa.cli.setup_commands:backup",
        "Copy the whole database into FILE (SQLite: VACUUM INTO; PostgreSQL: pg_dump custom format).",
    ),
    "box": (
        "kuaifa.cli.catalogue_commands:box",
        "Box types (纸箱) and their stock: the packing material parcels are sealed in.",
    ),
    "cancel": ("kuaifa.cli.orders_commands:cancel", "Cancel an order before shipping; its reservations are released."),
    "carrier": ("kuaifa.cli.shipping_commands:carrier", "Carrier tariffs and choosing a carrier for an order."),
    "carriers": (
        "kuaifa.cli.shipping_commands:carriers",
        "The carriers (ids to ship with, codes for waybills): the built-in catalogue, offline, overlaid by the "
        "list fetched from the platform (pdd.logistics.companies.get, --refresh).",
    ),
    "check-ledger": (
        "kuaifa.cli.stock_commands:check_ledger",
        "Check the stock invariants: on hand = Σ moves, reserved = Σ open reservations, 0 ≤ reserved ≤ on hand.",
    ),
    "complaint": (
        "kuaifa.cli.complaint_commands:complaint",
        "Complaint tickets on orders, linked to their after-sales cases.",
    ),
    "demo": (
        "kuaifa.cli.demo_commands:demo",
        "Run the pipeline on bundled sample data: SKUs, stock, a real-format order export, review, explain.",
    ),
    "demo-team": (
        "kuaifa.cli.web_commands:demo_team",
        "One person per role for trying the workbench, each with a fresh password (printed once).",
    ),
    "explain": (
        "kuaifa.cli.orders_commands:explain",
        "Why this order is where it is: rules, stock per line, deadline, history.",
    ),
    "export-skus": (
        "kuaifa.cli.import_commands:export_skus",
        "Write the SKU master to CSV or XLSX (the same columns import-skus reads).",
    ),
    "export-stock": (
        "kuaifa.cli.import_commands:export_stock",
        "Write stock per SKU and warehouse (商家编码, 仓库, 数量, 占用, 可用); import-stock reads it back.",
    ),
    "hold": ("kuaifa.cli.orders_commands:hold", "Hold an order (拦截); its reserved stock goes back to the pool."),
    "import-orders": (
        "kuaifa.cli.import_commands:import_orders",
        "Import a Pinduoduo back-office order export (CSV or XLSX).",
    ),
    "import-skus": (
        "kuaifa.cli.import_commands:import_skus",
        "Import the SKU master (商家编码, 名称, 规格, 条码, 重量(g) …) from CSV or XLSX, all rows or none.",
    ),
    "import-stock": (
        "kuaifa.cli.import_commands:import_stock",
        "Import counted stock (商家编码, 仓库, 数量) as a stocktake: the counts become on-hand, all rows or none.",
    ),
    "init": (
        "kuaifa.cli.setup_commands:init",
        "Create or upgrade the database and the default warehouse; create the secret key file if none is set.",
    ),
    "labels": (
        "kuaifa.cli.documents_commands:labels",
        "Print 100×180 mm shipping labels (面单) to one PDF: Code128 tracking number, masked receiver, contents.",
    ),
    "map-sku": (
        "kuaifa.cli.catalogue_commands:map_sku",
        "Map a platform listing (商品id + 样式ID) to a SKU; held orders pick it up on the next review.",
    ),
    "merge": (
        "kuaifa.cli.shipping_commands:merge",
        "Orders that can ship as one parcel (合单): one buyer, one address, one shop; most urgent first.",
    ),
    "order-add": (
        "kuaifa.cli.orders_commands:order_add",
        "Enter a manual order (手工单: phone, WeChat, wholesale); it is reviewed like any platform order.",
    ),
    "orders": ("kuaifa.cli.orders_commands:orders", "Orders, most urgent deadline first."),
    "outbox": (
        "kuaifa.cli.sync_commands:outbox",
        "Calls owed to platforms that are not done yet (pending, sending, failed).",
    ),
    "pack": (
        "kuaifa.cli.floor_commands:pack",
        "Seal a parcel: every unit scanned, every enclosure confirmed, box chosen, weight checked (验货打包).",
    ),
    "quarantine": (
        "kuaifa.cli.quarantine_commands:quarantine",
        "Orders and after-sales cases from the platform that could not be read: kept raw, never dropped.",
    ),
    "reissue": (
        "kuaifa.cli.orders_commands:reissue",
        "Send goods again for an order (补发单), free of charge; reviewed and reserved like any order.",
    ),
    "release": (
        "kuaifa.cli.orders_commands:release",
        "Release a held order back to review; the rules that held it are waived.",
    ),
    "reply": (
        "kuaifa.cli.reply_commands:reply",
        'The auto-reply to a buyer\'s MESSAGE about an order, and the rule that matched (or "no rule").',
    ),
    "reply-rule": (
        "kuaifa.cli.reply_commands:reply_rule",
        "The merchant's own auto-reply rules (tried before the built-in ones, by priority).",
    ),
    "return-tasks": (
        "kuaifa.cli.floor_commands:return_tasks",
        "Goods picked for orders that were then held or cancelled: put them back on the shelf.",
    ),
    "review": (
        "kuaifa.cli.orders_commands:review",
        "Review and allocate every new order, and retry orders held for stock or mapping (earliest deadline first).",
    ),
    "rotate-key": (
        "kuaifa.cli.setup_commands:rotate_key",
        "Re-seal every stored credential under a new random key and write it to the key file (换密钥).",
    ),
    "serve": ("kuaifa.cli.web_commands:serve", "Run the workbench (waitress) and the task worker on this machine."),
    "ship": (
        "kuaifa.cli.shipping_commands:ship",
        "Mark orders shipped: consumes their stock and queues the tracking-number upload (refused if intercepted).",
    ),
    "ship-export": (
        "kuaifa.cli.documents_commands:ship_export",
        "Write the PDD back-office batch-ship file (订单号, 快递公司, 快递单号) as CSV or XLSX, for shops without API "
        "access: shipments the platform has not been told of by API.",
    ),
    "ship-extra": (
        "kuaifa.cli.shipping_commands:ship_extra",
        "Record more parcels of a shipped order (拆单 / 补发 / 赠品) and upload them as extra logistics.",
    ),
    "ship-fix": (
        "kuaifa.cli.shipping_commands:ship_fix",
        "Correct the carrier or tracking number of a shipped order; the platform's record is overwritten.",
    ),
    "shop": ("kuaifa.cli.shop_commands:shop", "Shops (店铺)."),
    "sim": ("kuaifa.cli.sim_commands:sim", "The Pinduoduo gateway simulator (same protocol, local data)."),
    "sla": (
        "kuaifa.cli.sla_commands:sla",
        "At-risk queue: orders to pack in the order that ships the most on time at this capacity.",
    ),
    "slips": (
        "kuaifa.cli.documents_commands:slips",
        "Print packing slips (发货单) to one PDF: the items, and a tick box for every enclosure to put in.",
    ),
    "stock": ("kuaifa.cli.stock_commands:stock", "Stock on hand (库存)."),
    "stock-alerts": (
        "kuaifa.cli.stock_commands:stock_alerts_command",
        "SKUs short for held orders or running out soon; which orders wait and when they breach ship-by.",
    ),
    "sync": (
        "kuaifa.cli.sync_commands:sync",
        "Pull orders and after-sales from the platform in overlapping ≤30-minute windows, then review them.",
    ),
    "sync-backfill": (
        "kuaifa.cli.sync_commands:sync_backfill",
        "Read every order confirmed in a date range (≤ 90 days) and store what was missing or older: backfill, "
        "and the daily reconciliation that proves the increments missed nothing.",
    ),
    "sync-status": (
        "kuaifa.cli.sync_commands:sync_status",
        "Sync health per shop: last good window, lag, failed calls by API and code (also those a retry got "
        "through), rate limits, failing streams, quarantined records, token, outbox and push backlog.",
    ),
    "tracking": (
        "kuaifa.cli.tracking_commands:tracking",
        "Parcels after shipment: traces, stalled parcels, delay notices.",
    ),
    "user": ("kuaifa.cli.web_commands:user", "People who sign in to the workbench."),
    "wave": (
        "kuaifa.cli.floor_commands:wave",
        "Waves (波次): accepted orders grouped for one picking walk, most urgent first.",
    ),
    "waybill": (
        "kuaifa.cli.waybill_commands:waybill",
        "E-waybills (电子面单): numbers taken from the platform by carrier code, printed, then shipped with.",
    ),
    "worker": (
        "kuaifa.cli.sync_commands:worker",
        "Run background work: queued tasks (Django Tasks, database queue), a sweep of the outbox every interval, "
        "the return of intercepted orders' unused e-waybills, and a whole-shop sync of every connected shop every"
        " --sync-every seconds.",
    ),
}


#: the commands that start Django with the workbench's apps (``settings.WORKBENCH_APPS``: sessions, messages,
#: static files, axes, ninja, the workbench): they serve it, run its background work, create every table, or
#: manage the people who sign in to it. Every other command starts without them (docs/performance.md, "Start-up");
#: their tables and data are untouched either way.
WORKBENCH_COMMANDS = frozenset({"demo-team", "init", "serve", "sim", "user", "worker"})

#: the command modules that queue no background work: their commands start without the queue's apps
#: (``settings.QUEUE_APPS``: Django Tasks and its database backend). tests/cli/test_startup.py checks that none of
#: them imports Django Tasks; a command of another module keeps the queue.
QUEUE_FREE_MODULES = frozenset(
    f"kuaifa.cli.{name}"
    for name in (
        "catalogue_commands",
        "complaint_commands",
        "demo_commands",
        "documents_commands",
        "floor_commands",
        "import_commands",
        "orders_commands",
        "reply_commands",
        "setup_commands",
        "shop_commands",
        "sla_commands",
        "stock_commands",
    )
)


def apps_left_out(command: str) -> set[str]:
    """The installed apps ``command`` starts without (none for a command that is not in the table)."""
    from django.conf import settings  # read here, once a command is chosen: importing this module reads none

    if command not in COMMANDS or command in WORKBENCH_COMMANDS:
        return set()
    left_out = set(getattr(settings, "WORKBENCH_APPS", ()))
    if COMMANDS[command][0].partition(":")[0] in QUEUE_FREE_MODULES:
        left_out |= set(getattr(settings, "QUEUE_APPS", ()))
    return left_out


def setup_django(command: str) -> None:
    """Once, before the first command module is imported: their models and queries need the app registry. Does
    nothing when Django is set up already (a test, or a command run from another)."""
    # here, as above: the settings are read once the command is chosen
    from django.apps import apps
    from django.conf import settings

    if apps.ready or apps.loading:
        return
    left_out = apps_left_out(command)
    if left_out:
        settings.INSTALLED_APPS = [app for app in settings.INSTALLED_APPS if app not in left_out]
    django.setup()


cli.register(COMMANDS, prepare=setup_django)


def main() -> None:
    # Start-up (Django's settings and app registry, the command's module) builds objects that live until the process
    # exits; the cyclic garbage collector would walk them several times for nothing (~60 ms of `kuaifa orders`,
    # docs/performance.md). It stays off until the command is about to run: the group's callback (kuaifa.cli.root)
    # moves what start-up built out of its sight (gc.freeze) and turns it back on for the command's own work.
    gc.disable()
    cli()
