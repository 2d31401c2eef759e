"""The team and the workbench: ``kuaifa user add`` and ``kuaifa serve`` (web + task worker on one machine)."""

import multiprocessing
import multiprocessing.process
import os
import secrets
import signal
import socket
import subprocess
import sys
import time
from datetime import date, timedelta
from pathlib import Path
from typing import TYPE_CHECKING

import click
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from kuaifa.cli.context import actor, command, emit, json_option, now
from kuaifa.domain.sla.deadlines import CHINA
from kuaifa.persistence.queries_edges import person_exists
from kuaifa.services.errors import InvalidInput
from kuaifa.services.people import add_member, issue_api_token, reset_password

if TYPE_CHECKING:
    from kuaifa.platforms.sim import ShopConfig

ROLE_LABELS = {
    "owner": gettext_noop("Owner / admin"),
    "service": gettext_noop("Customer service"),
    "warehouse": gettext_noop("Warehouse"),
    "finance": gettext_noop("Finance"),
}
DEMO_TEAM = [("laoban", "owner"), ("kefu", "service"), ("cangku", "warehouse"), ("caiwu", "finance")]
#: the simulated PDD shop ``serve --with-sim`` runs: a fixed seed (the same orders on every run of a day), a small
#: merchant's order rate (busier at 10–11 h and 20–21 h, quiet at night), and days enough (from yesterday) that it
#: does not run dry
SIM_PORT = 8780
SIM_SEED = 1
SIM_ORDERS_PER_HOUR = 12
SIM_DAYS = 4
#: the environment variables that name the PDD app (config/settings.py), by their key in ``settings.PDD_APP``
APP_ENVIRONMENT = {"CLIENT_ID": "client_id", "CLIENT_SECRET": "client_secret", "GATEWAY": "gateway_url",
                   "AUTHORIZE_URL": "authorize_url"}  # fmt: skip
KUAIFA = [sys.executable, "-c", "from kuaifa.cli.main import main; main()"]


@click.group()
def user() -> None:
    """People who sign in to the workbench."""


@command("add", user)
@click.argument("name")
@click.option(
    "--role",
    required=True,
    type=click.Choice(["owner", "service", "warehouse", "finance"]),
    help="owner = 店主/管理员, service = 客服, warehouse = 仓库, finance = 财务.",
)
@click.option("--shop", "shops", multiple=True, help="Only this shop (repeatable); none = every shop.")
@click.option("--password-stdin", is_flag=True, help="Read the password from standard input; otherwise one is made.")
@json_option
def user_add(name: str, role: str, shops: tuple[str, ...], password_stdin: bool, as_json: bool) -> None:
    """Add a person with a role; prints a generated password unless one comes on standard input."""
    password = sys.stdin.readline().rstrip("\n") if password_stdin else secrets.token_urlsafe(12)
    add_member(name, role, password, shops=shops, actor=actor(), now=now())
    data = {"user": name, "role": role, "shops": list(shops)}
    if not password_stdin:
        data["password"] = password

    def human() -> None:
        click.echo(_("%(user)s added as %(role)s.") % {**data, "role": _(ROLE_LABELS[role])})
        if not password_stdin:
            click.echo(_("Password: %(password)s") % data)

    emit(as_json, data, human)


@command("token", user)
@click.argument("name")
@click.option("--label", default="", help="What the key is for, e.g. the script that uses it.")
@json_option
def user_token(name: str, label: str, as_json: bool) -> None:
    """Issue an API key for a person (shown once); the API acts with their role and shops."""
    key = issue_api_token(name, name=label, actor=actor(), now=now())
    text = _("API key for %(user)s (shown once): %(token)s") % {"user": name, "token": key}
    emit(as_json, {"user": name, "token": key}, lambda: click.echo(text))


@command("demo-team")
@json_option
def demo_team(as_json: bool) -> None:
    """One person per role for trying the workbench, each with a fresh password (printed once)."""
    logins = []
    for username, role in DEMO_TEAM:
        password = secrets.token_urlsafe(9)
        if person_exists(username):
            reset_password(username, password, actor=actor(), now=now())
        else:
            add_member(username, role, password, actor=actor(), now=now())
        logins.append({"user": username, "role": role, "password": password})

    def human() -> None:
        click.echo(_("Sign in as any of these (passwords are new on every run):"))
        for login in logins:
            click.echo(f"  {login['user']:<8} {login['password']:<14} {_(ROLE_LABELS[login['role']])}")

    emit(as_json, logins, human)


@command("serve")
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", type=int, default=8000, show_default=True)
@click.option("--threads", type=int, default=8, show_default=True)
@click.option("--no-worker", is_flag=True, help="Serve only; run `kuaifa worker` elsewhere.")
@click.option(
    "--sync-every",
    type=click.IntRange(0, 86_400),
    default=300,
    show_default=True,
    help="Seconds between the worker's whole-shop syncs of every connected shop; 0 turns them off.",
)
@click.option(
    "--with-sim",
    "sim_port",
    type=click.IntRange(1, 65_534),
    is_flag=False,
    flag_value=SIM_PORT,
    default=None,
    help=f"Also run the PDD simulator on 127.0.0.1 at this port (default {SIM_PORT}) and make it the platform the "
    "workbench's 授权 and the worker talk to.",
)
def serve(host: str, port: int, threads: int, no_worker: bool, sync_every: int, sim_port: int | None) -> None:
    """Run the workbench (waitress) and the task worker on this machine. With --with-sim the PDD simulator runs
    beside them, as the platform shops are authorised on. Ctrl-C stops them all."""
    # the whole workbench (every view, template tag and the API) loads only when it is served
    from waitress import serve as waitress_serve

    from kuaifa.config.wsgi import application

    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))  # a plain kill stops the children too (finally below)
    children: list[subprocess.Popen | multiprocessing.process.BaseProcess] = []
    sim_since = None
    try:
        if sim_port is not None:
            sim, sim_since = start_simulator(sim_port)
            children.append(sim)
        if not no_worker:
            children.append(subprocess.Popen([*KUAIFA, "worker", "--interval", "5", "--sync-every", str(sync_every)]))
        click.echo(_("Kuaifa workbench: http://%(host)s:%(port)s/") % {"host": host, "port": port})
        if sim_port is not None and sim_since is not None:
            tell_how_to_connect(sim_port, sim_since, sync_every if not no_worker else 0)
        waitress_serve(application, host=host, port=port, threads=threads)
    finally:
        stop(children)


def stop(children: list[subprocess.Popen | multiprocessing.process.BaseProcess], grace: float = 10) -> None:
    """Ask every child to stop, then kill what still runs after ``grace`` seconds: a worker asked mid-task lets its
    queue runner finish the task and may carry on with its loop (every task is idempotent, so it can be redone)."""
    for child in children:
        child.terminate()
    deadline = time.monotonic() + grace
    for child in children:
        left = max(deadline - time.monotonic(), 0.1)
        if isinstance(child, subprocess.Popen):
            try:
                child.wait(timeout=left)
            except subprocess.TimeoutExpired:
                child.kill()
                child.wait(timeout=10)
        else:
            child.join(timeout=left)
            if child.is_alive():
                child.kill()
                child.join(timeout=10)


def start_simulator(port: int) -> tuple[multiprocessing.process.BaseProcess, date]:
    """The PDD simulator in a child process on 127.0.0.1:``port``, made the PDD app of this workbench and of the
    worker (``settings.PDD_APP`` here, the ``KUAIFA_PDD_*`` variables for the worker).

    Its shop's orders start the day before today (China time), so the first sync, which looks back a day, finds a
    day of them at any hour; from then on they arrive as the clock runs. The simulator's clock is the real time, as
    PDD's is: the client signs every call with this machine's time, and a platform refuses a timestamp more than
    10 minutes off its own (10001), so a pinned clock (``KUAIFA_NOW``) cannot talk to it and is refused here.
    Sync windows then follow the platform's clock (``pdd.time.get``): every order it makes falls in a window asked
    for.

    The simulator keeps its tokens, its shop and the shipments it accepted in a state file under ``KUAIFA_HOME``
    (``platforms.sim.saved``), so a shop authorised in an earlier run still syncs; a saved shop near the end of its
    days is replaced by a fresh one from yesterday (the tokens carry over). Returns the process and the first day of
    the shop it simulates.
    """
    # the simulator (and the settings it changes) load only when it is served, like the workbench above
    from django.conf import settings

    from kuaifa.platforms.sim import DEFAULT_CLIENT_ID, DEFAULT_CLIENT_SECRET, ShopConfig
    from kuaifa.platforms.sim.saved import FILE_NAME as SIM_STATE_FILE
    from kuaifa.platforms.sim.saved import SavedStateUnreadable, saved_config
    from kuaifa.platforms.sim.server import AUTHORIZE_PATH, ROUTER_PATH

    if os.environ.get("KUAIFA_NOW"):
        raise InvalidInput(
            field="KUAIFA_NOW",
            reason=_("the simulator keeps the real time, as PDD does, and refuses calls signed more than 10 minutes "
                     "off it: unset KUAIFA_NOW to serve with --with-sim"),
        )  # fmt: skip
    with socket.socket() as probe:
        try:
            probe.bind(("127.0.0.1", port))
        except OSError:
            raise InvalidInput(
                field="--with-sim", reason=_("port %(port)s is already in use") % {"port": port}
            ) from None
    yesterday = now().astimezone(CHINA).date() - timedelta(days=1)
    fresh = ShopConfig(seed=SIM_SEED, start=yesterday, days=SIM_DAYS, orders_per_day=SIM_ORDERS_PER_HOUR * 24)
    saved = Path(settings.KUAIFA_HOME) / SIM_STATE_FILE
    try:
        config = saved_config(saved, fresh, now=time.time())
    except SavedStateUnreadable as error:
        raise InvalidInput(field=str(error.path), reason=str(error)) from None
    # forked before any thread starts: the child needs neither Django nor the database, only this config; a daemon,
    # so even a serve that ends without its finally stops it on exit
    sim = multiprocessing.get_context("fork").Process(
        target=run_simulator, args=(config, port, saved), name="kuaifa-sim", daemon=True
    )
    sim.start()
    deadline = time.monotonic() + 60  # generating the shop takes a few seconds on a busy machine
    while time.monotonic() < deadline and sim.is_alive():
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            break
        except OSError:
            time.sleep(0.1)
    else:
        sim.kill()
        sim.join(timeout=10)
        raise InvalidInput(
            field="--with-sim", reason=_("the simulator did not start on port %(port)s") % {"port": port}
        )
    base = f"http://127.0.0.1:{port}"
    app = {"client_id": DEFAULT_CLIENT_ID, "client_secret": DEFAULT_CLIENT_SECRET, "gateway_url": base + ROUTER_PATH,
           "authorize_url": base + AUTHORIZE_PATH}  # fmt: skip
    settings.PDD_APP = app  # this process read its settings before the simulator was chosen
    os.environ.update({f"KUAIFA_PDD_{name}": app[key] for name, key in APP_ENVIRONMENT.items()})  # for the worker
    return sim, config.start


def run_simulator(config: "ShopConfig", port: int, saved: Path) -> None:
    """The simulator child: generate the shop, honour the tokens (and shipments) an earlier run saved in ``saved``,
    start its clock at the real time and serve until stopped, saving every token it issues as it goes."""
    # loaded by start_simulator already; named here for the child's own use
    from kuaifa.platforms.sim import SimState, generate_shop, serve
    from kuaifa.platforms.sim.saved import keep_saved, restore

    signal.signal(signal.SIGTERM, signal.SIG_DFL)  # not the parent's handler: a plain kill ends it at once
    try:
        state = SimState(generate_shop(config), now=time.time())
        restore(state, saved)
        keep_saved(state, saved)
        state.clock.run()
        _server, thread = serve("127.0.0.1", port, state=state)
        thread.join()
    except KeyboardInterrupt:  # Ctrl-C reaches the whole process group: stop quietly, the parent says so
        pass


def tell_how_to_connect(sim_port: int, since: date, sync_every: int) -> None:
    """What to do next: which shop the simulator runs, and how the owner connects it in the browser."""
    click.echo(
        _("PDD simulator on 127.0.0.1:%(port)s: a shop with about %(rate)s orders an hour (seed %(seed)s) since "
          "%(day)s 00:00 China time, on the real clock.")
        % {"port": sim_port, "rate": SIM_ORDERS_PER_HOUR, "seed": SIM_SEED, "day": since.isoformat()}
    )  # fmt: skip
    owner = next(name for name, role in DEMO_TEAM if role == "owner")
    click.echo(
        _("Next: sign in as the owner %(owner)s, open Settings → Shops and authorisation, name the shop (e.g. "
          "模拟店) and press Authorise, then agree on the simulator's page.")
        % {"owner": owner if person_exists(owner) else _("(an owner)")}
    )  # fmt: skip
    if sync_every:
        click.echo(
            _("Its orders then come in with every sync (every %(seconds)s s) and are reviewed: see Orders → All "
              "orders, and Held orders for what waits on stock.") % {"seconds": sync_every}
        )  # fmt: skip
