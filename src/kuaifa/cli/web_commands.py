"""The team and the workbench: ``kuaifa user add`` and ``kuaifa serve`` (web + task worker on one machine)."""

import secrets
import signal
import subprocess
import sys

import click
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from kuaifa.cli.context import actor, command, emit, json_option, now
from kuaifa.persistence.queries_edges import person_exists
from kuaifa.services.people import add_member, issue_api_token, reset_password

ROLE_LABELS = {
    "owner": gettext_noop("Owner / admin"),
    "service": gettext_noop("Customer service"),
    "warehouse": gettext_noop("Warehouse"),
    "finance": gettext_noop("Finance"),
}
DEMO_TEAM = [("laoban", "owner"), ("kefu", "service"), ("cangku", "warehouse"), ("caiwu", "finance")]


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
def serve(host: str, port: int, threads: int, no_worker: bool) -> None:
    """Run the workbench (waitress) and the task worker on this machine. Ctrl-C stops both."""
    # the whole workbench (every view, template tag and the API) loads only when it is served
    from waitress import serve as waitress_serve

    from kuaifa.config.wsgi import application

    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))  # a plain kill stops the worker too (finally below)
    worker = None
    if not no_worker:
        worker = subprocess.Popen(
            [sys.executable, "-c", "from kuaifa.cli.main import main; main()", "worker", "--interval", "5"],
        )
    click.echo(_("Kuaifa workbench: http://%(host)s:%(port)s/") % {"host": host, "port": port})
    try:
        waitress_serve(application, host=host, port=port, threads=threads)
    finally:
        if worker is not None:
            worker.terminate()
            worker.wait(timeout=10)
