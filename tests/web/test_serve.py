"""``kuaifa serve``: the workbench and the task worker on one machine, stopped together."""

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

pytestmark = pytest.mark.slow
KUAIFA = [sys.executable, "-c", "from kuaifa.cli.main import main; main()"]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def children_of(pid: int) -> list[int]:
    out = subprocess.run(["ps", "-o", "pid=", "--ppid", str(pid)], capture_output=True, text=True).stdout
    return [int(x) for x in out.split()]


def alive(pid: int) -> bool:
    stat = Path(f"/proc/{pid}/stat")
    return stat.exists() and stat.read_text().split()[2] != "Z"  # a zombie has already stopped


def test_serve_answers_with_pages_and_vendored_assets_and_stops_its_worker(tmp_path):
    env = {**os.environ, "KUAIFA_HOME": str(tmp_path)}
    env.pop("DATABASE_URL", None)
    subprocess.run([*KUAIFA, "init"], env=env, check=True, capture_output=True)
    port = free_port()
    server = subprocess.Popen([*KUAIFA, "serve", "--port", str(port)], env=env, stdout=subprocess.PIPE, text=True)
    try:
        base = f"http://127.0.0.1:{port}"
        for _ in range(300):  # up to 30 s for the server to listen on a busy machine
            try:
                login = httpx.get(f"{base}/login/", timeout=30)  # the first answer loads Django
                break
            except httpx.ConnectError:
                time.sleep(0.1)
        assert login.status_code == 200 and 'name="csrfmiddlewaretoken"' in login.text
        assert httpx.get(f"{base}/orders/").status_code == 302
        htmx = httpx.get(f"{base}/static/kuaifa/vendor/htmx-2.0.11.min.js")
        assert htmx.status_code == 200 and len(htmx.content) > 40_000
        workers = children_of(server.pid)
        assert len(workers) == 1
    finally:
        server.send_signal(signal.SIGTERM)
        server.wait(timeout=20)
    time.sleep(0.5)
    assert [pid for pid in workers if alive(pid)] == []


def test_serve_with_the_simulator_refuses_a_pinned_clock_and_starts_nothing(tmp_path):
    """PDD (and its simulator) refuses calls signed more than 10 minutes off its own time: the simulator keeps the
    real time, so a workbench pinned by KUAIFA_NOW could not talk to it."""
    env = {**os.environ, "KUAIFA_HOME": str(tmp_path), "KUAIFA_NOW": "2024-06-26T12:00:00+08:00", "KUAIFA_LANG": "en"}
    env.pop("DATABASE_URL", None)
    subprocess.run([*KUAIFA, "init"], env=env, check=True, capture_output=True)
    refused = subprocess.run(
        [*KUAIFA, "serve", "--port", str(free_port()), "--with-sim", str(free_port())],
        env=env, capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert refused.returncode == 1
    assert "KUAIFA_NOW" in refused.stderr + refused.stdout
