"""What ``kuaifa`` loads to start: each command starts Django with the apps it needs, and a read such as
``kuaifa orders`` imports neither the workbench, nor the task queue, nor the document and spreadsheet libraries
(docs/performance.md, "Start-up"). Run in fresh interpreters, as a person's shell runs the command."""

import json
import os
import subprocess
import sys
from pathlib import Path

from kuaifa.cli.main import COMMANDS, QUEUE_FREE_MODULES, WORKBENCH_COMMANDS, apps_left_out

#: what a read of the order list must not import: the API's framework (and pydantic under it), the workbench, the
#: login guard, the task queue, the PDF and spreadsheet writers, the PDD client and its HTTP (and httpx, which
#: the alert webhooks use)
HEAVY = [
    "ninja",
    "pydantic",
    "kuaifa.web",
    "kuaifa.api",
    "axes",
    "django.contrib.sessions",
    "django_tasks",
    "django_tasks_db",
    "reportlab",
    "openpyxl",
    "httpx",
    "kuaifa.platforms.pdd.client",
    "kuaifa.platforms.pdd.http",
    "django.views.debug",  # Django's error pages: its default logging's e-mail handler loaded them (not applied)
]

RUN_AND_REPORT = """
import gc, json, sys
from django.apps import apps
from kuaifa.cli.main import main
sys.argv = ["kuaifa", *{args!r}]
try:
    main()
except SystemExit as done:
    code = done.code
print(json.dumps({{"exit": code, "modules": sorted(sys.modules), "gc": gc.isenabled(),
                  "apps": [a.name for a in apps.get_app_configs()]}}))
"""


def run(home: Path, *args: str) -> tuple[str, dict]:
    """``kuaifa ARGS`` in a fresh interpreter through the installed entry point's ``main``: its output, and the
    modules, apps and garbage collector state it ended with."""
    # on the embedded SQLite under ``home`` whatever database the suite runs on: what is imported does not depend on
    # it, and the suite's PostgreSQL database (its DATABASE_URL names the one the test database is made from) is
    # not this command's to initialise
    drop = ("DJANGO_SETTINGS_MODULE", "KUAIFA_NOW", "DATABASE_URL")
    env = {k: v for k, v in os.environ.items() if k not in drop}
    done = subprocess.run(
        [sys.executable, "-c", RUN_AND_REPORT.format(args=list(args))],
        env=env | {"KUAIFA_HOME": str(home), "KUAIFA_LANG": "en"},
        capture_output=True,
        text=True,
        timeout=180,
        check=True,
    )
    *output, report = done.stdout.rstrip("\n").split("\n")
    return "\n".join(output), json.loads(report)


def test_the_order_list_starts_without_the_workbench_the_queue_or_the_document_libraries(tmp_path):
    _output, init = run(tmp_path, "init")
    assert init["exit"] == 0
    assert {"django.contrib.sessions", "axes", "ninja", "kuaifa.web", "django_tasks_db"} <= set(init["apps"])

    output, listed = run(tmp_path, "orders", "--limit", "1", "--json")

    assert listed["exit"] == 0
    assert json.loads(output) == []
    assert [name for name in HEAVY if name in listed["modules"]] == []
    assert listed["apps"] == [
        "django.contrib.auth",
        "django.contrib.contenttypes",
        "kuaifa.persistence",
        "kuaifa.tasks",
    ]
    assert listed["gc"] is True  # off for start-up only


def test_commands_that_serve_migrate_or_manage_people_start_with_every_app():
    from django.conf import settings

    for command in WORKBENCH_COMMANDS:
        assert command in COMMANDS
        assert apps_left_out(command) == set()
    assert apps_left_out("orders") == set(settings.WORKBENCH_APPS) | set(settings.QUEUE_APPS)
    # a command that queues work (the tracking-number upload) keeps the queue and drops only the workbench
    assert COMMANDS["ship"][0].startswith("kuaifa.cli.shipping_commands:")
    assert apps_left_out("ship") == set(settings.WORKBENCH_APPS)


def test_no_queue_free_command_module_imports_the_task_queue(tmp_path):
    """Each module named in QUEUE_FREE_MODULES, imported with the apps its commands start with, leaves Django
    Tasks out; a module that queues work must not be listed there."""
    command = next(name for name, (where, _help) in COMMANDS.items() if where.startswith("kuaifa.cli.orders_commands"))
    script = (
        "import importlib, json, sys\n"
        "from kuaifa.cli.main import QUEUE_FREE_MODULES, setup_django\n"
        f"setup_django({command!r})\n"
        "found = {}\n"
        "for module in sorted(QUEUE_FREE_MODULES):\n"
        "    importlib.import_module(module)\n"
        "    found[module] = [m for m in sys.modules if m.split('.')[0] in ('django_tasks', 'django_tasks_db')]\n"
        "print(json.dumps(found))\n"
    )
    env = {k: v for k, v in os.environ.items() if k != "DJANGO_SETTINGS_MODULE"} | {"KUAIFA_HOME": str(tmp_path)}
    done = subprocess.run(
        [sys.executable, "-c", script], env=env, capture_output=True, text=True, timeout=180, check=True
    )
    found = json.loads(done.stdout.splitlines()[-1])

    assert sorted(found) == sorted(QUEUE_FREE_MODULES)
    assert {module: loaded for module, loaded in found.items() if loaded} == {}


LOG_SOME = """
import logging, django
django.setup()
logging.getLogger("django.request").warning("django-warning")
logging.getLogger("django").info("django-info")
logging.getLogger("kuaifa.services.sync").error("kuaifa-error")
logging.getLogger("kuaifa.services.sync").info("kuaifa-info")
"""


def test_records_reach_the_console_from_warning_or_the_level_asked(tmp_path):
    """Kuaifa's logging (settings.LOGGING, applied by the settings themselves): Django's records and Kuaifa's alike
    on standard error, from WARNING unless KUAIFA_LOG_LEVEL says otherwise."""
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "KUAIFA_LOG_LEVEL")}
    env |= {"KUAIFA_HOME": str(tmp_path), "DJANGO_SETTINGS_MODULE": "kuaifa.config.settings"}
    quiet = subprocess.run([sys.executable, "-c", LOG_SOME], env=env, capture_output=True, text=True, check=True)
    assert quiet.stderr.split() == ["django-warning", "kuaifa-error"]
    chatty = subprocess.run([sys.executable, "-c", LOG_SOME], env=env | {"KUAIFA_LOG_LEVEL": "INFO"},
                            capture_output=True, text=True, check=True)  # fmt: skip
    ours = [line for line in chatty.stderr.splitlines() if line.startswith(("django-", "kuaifa-"))]  # not axes's
    assert ours == ["django-warning", "django-info", "kuaifa-error", "kuaifa-info"]
