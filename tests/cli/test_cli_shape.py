"""The shape of the command line: the edges write through services only, command modules stay small, every command
is in the top group's table with its short help, and only the command invoked is imported."""

import ast
import importlib
import os
import subprocess
import sys
from pathlib import Path

import click
import pytest

SRC = Path(__file__).resolve().parents[2] / "src" / "kuaifa"
EDGES = sorted([*(SRC / "cli").glob("*.py"), *(SRC / "tasks").glob("*.py")])
COMMAND_MODULES = sorted((SRC / "cli").glob("*_commands.py"))
MAX_LINES = 300

MODELS = "kuaifa.persistence.models"
WRITES_ON_OBJECTS = {"create", "update", "bulk_create", "bulk_update", "get_or_create", "update_or_create", "delete"}
QUERYSET_STEPS = {"objects", "filter", "exclude", "all", "select_for_update", "order_by", "select_related"}


def parse(path: Path) -> ast.Module:
    return ast.parse(path.read_text(encoding="utf-8"), filename=str(path))


def type_checking_only(tree: ast.Module) -> set[int]:
    """ids of the nodes under ``if TYPE_CHECKING:``: names for annotations, never run."""
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.If) and isinstance(node.test, ast.Name) and node.test.id == "TYPE_CHECKING":
            found |= {id(sub) for stmt in node.body for sub in ast.walk(stmt)}
    return found


def receiver_steps(node: ast.expr) -> set[str]:
    """The attribute names along a call chain such as ``Model.objects.filter(...).order_by(...)``."""
    steps = set()
    while True:
        if isinstance(node, ast.Call):
            node = node.func
        elif isinstance(node, ast.Attribute):
            steps.add(node.attr)
            node = node.value
        else:
            return steps


def imported(node: ast.AST) -> list[str]:
    """The modules (and ``module.name`` pairs) an import statement names."""
    if isinstance(node, ast.ImportFrom):
        return [node.module or "", *(f"{node.module}.{a.name}" for a in node.names)]
    if isinstance(node, ast.Import):
        return [a.name for a in node.names]
    return []


def model_writes(path: Path) -> list[str]:
    tree = parse(path)
    annotations_only = type_checking_only(tree)
    found = []
    for node in ast.walk(tree):
        where = f"{path.parent.name}/{path.name}:{getattr(node, 'lineno', '?')}"
        if id(node) not in annotations_only and any(m == MODELS or m.startswith(MODELS + ".") for m in imported(node)):
            found.append(f"{where} imports {MODELS}")
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
            method, steps = node.func.attr, receiver_steps(node.func.value)
            if method in {"save", "delete"}:
                found.append(f"{where} calls .{method}()")
            elif method in WRITES_ON_OBJECTS and steps & QUERYSET_STEPS:
                found.append(f"{where} writes through a queryset (.{method}())")
    return found


def test_the_command_line_and_the_tasks_write_no_model_themselves():
    offenders = [problem for path in EDGES for problem in model_writes(path)]

    assert offenders == [], "write through a service; read through kuaifa.persistence.queries*"


def test_the_model_write_check_finds_each_kind_of_write(tmp_path):
    sample = tmp_path / "sample.py"
    sample.write_text(
        "from kuaifa.persistence.models import Shop\n"
        "def f(shop, queries):\n"
        "    shop.save()\n"
        "    Shop.objects.create(name='x')\n"
        "    Shop.objects.filter(id=1).update(name='y')\n"
        "    queries.update({'a': 1})\n"  # a dict: not a write
    )

    found = sorted(p.split(" ", 1)[1] for p in model_writes(sample))

    assert found == [
        "calls .save()",
        "imports kuaifa.persistence.models",
        "writes through a queryset (.create())",
        "writes through a queryset (.update())",
    ]


@pytest.mark.parametrize("path", COMMAND_MODULES, ids=lambda p: p.name)
def test_a_command_module_stays_small(path):
    assert len(path.read_text(encoding="utf-8").splitlines()) <= MAX_LINES


def test_nothing_in_the_source_drives_the_command_line_through_click_testing():
    users = []
    for path in SRC.rglob("*.py"):
        for node in ast.walk(parse(path)):
            if any(m.startswith("click.testing") for m in imported(node)):
                users.append(str(path.relative_to(SRC)))
    assert users == []


def test_an_import_inside_a_command_says_why_it_is_not_at_the_top():
    unexplained = []
    for path in sorted((SRC / "cli").glob("*.py")):
        lines = path.read_text(encoding="utf-8").splitlines()
        for function in ast.walk(parse(path)):
            if not isinstance(function, ast.FunctionDef | ast.AsyncFunctionDef):
                continue
            for node in ast.walk(function):
                if isinstance(node, ast.Import | ast.ImportFrom) and not explained(lines, node.lineno - 1):
                    unexplained.append(f"{path.name}:{node.lineno}")
    assert unexplained == []


def explained(lines: list[str], index: int) -> bool:
    """A comment on the import's line, or above it past blank lines and other imports."""
    if "#" in lines[index]:
        return True
    for line in reversed(lines[:index]):
        text = line.strip()
        if text.startswith("#"):
            return True
        if text and not text.startswith(("from ", "import ")):
            return False
    return False


def table():
    from kuaifa.cli.main import COMMANDS

    return COMMANDS


def load(reference: str) -> click.Command:
    module, _sep, attribute = reference.partition(":")
    return getattr(importlib.import_module(module), attribute)


def test_every_entry_of_the_table_is_the_command_of_that_name_with_that_short_help():
    for name, (reference, short_help) in table().items():
        command = load(reference)
        stand_in = click.Command(name, help=short_help)

        assert isinstance(command, click.Command) and command.name == name, reference
        assert all(
            stand_in.get_short_help_str(limit) == command.get_short_help_str(limit) for limit in range(10, 300)
        ), f"{name}: the short help in kuaifa/cli/main.py is not the first sentence of its docstring"


def test_every_command_a_module_defines_is_in_the_table():
    listed = {reference for reference, _help in table().values()}
    for path in COMMAND_MODULES:
        module = importlib.import_module(f"kuaifa.cli.{path.stem}")
        commands = {name: value for name, value in vars(module).items() if isinstance(value, click.Command)}
        own = {name for name, c in commands.items() if c.callback is None or c.callback.__module__ == module.__name__}
        nested = {id(sub) for c in commands.values() if isinstance(c, click.Group) for sub in c.commands.values()}
        top = {f"{module.__name__}:{name}" for name in own if id(commands[name]) not in nested}

        assert top <= listed, f"{path.name}: add {sorted(top - listed)} to COMMANDS in kuaifa/cli/main.py"


def command_modules_loaded(home: Path, *args: str) -> list[str]:
    """Run ``kuaifa ARGS`` in a fresh interpreter, as installed (no settings module chosen beforehand); the command
    modules it imported."""
    script = (
        "import sys\n"
        "from kuaifa.cli.main import cli\n"
        "try:\n"
        f"    cli.main({list(args)!r}, prog_name='kuaifa')\n"
        "except SystemExit:\n"
        "    pass\n"
        "print(' '.join(sorted(m for m in sys.modules if m.startswith('kuaifa.cli.') and m.endswith('_commands'))))\n"
    )
    env = {k: v for k, v in os.environ.items() if k != "DJANGO_SETTINGS_MODULE"} | {"KUAIFA_HOME": str(home)}
    done = subprocess.run(
        [sys.executable, "-c", script], env=env, capture_output=True, text=True, timeout=120, check=True
    )
    return done.stdout.split("\n")[-2].split()


def test_the_top_help_lists_every_command_without_importing_one(tmp_path):
    assert command_modules_loaded(tmp_path, "--help") == []


def test_a_command_imports_its_own_module_only(tmp_path):
    assert command_modules_loaded(tmp_path, "orders", "--help") == ["kuaifa.cli.orders_commands"]
