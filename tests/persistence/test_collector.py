"""The cyclic garbage collector as Kuaifa's processes run it (persistence.apps.collect_garbage_less_often)."""

import gc
import subprocess
import sys

from kuaifa.persistence.apps import GC_FIRST_GENERATION


def test_a_process_that_sets_up_django_collects_less_often_and_sets_start_up_aside():
    script = (
        "import gc, django, os; os.environ.setdefault('DJANGO_SETTINGS_MODULE', 'kuaifa.config.settings');"
        "before = gc.get_threshold(); django.setup();"
        "print(before[0], gc.get_threshold()[0], gc.get_freeze_count() > 10_000)"
    )
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True).stdout.split()
    assert out == ["700", str(GC_FIRST_GENERATION), "True"]


def test_cycles_are_still_collected():
    class Node:
        pass

    collected_before = sum(generation["collected"] for generation in gc.get_stats())
    for _ in range(3 * GC_FIRST_GENERATION):
        node = Node()
        node.me = node  # a cycle: freed only by the collector
    del node
    assert sum(generation["collected"] for generation in gc.get_stats()) > collected_before
