"""The quick start's path in a real browser: ``kuaifa init``, ``kuaifa demo``, ``kuaifa demo-team``, then
``kuaifa serve --with-sim`` (workbench, task worker and PDD simulator as one command, as ``make demo`` runs it).
The owner authorises the simulated shop on the simulator's page; its orders are synced and reviewed by the worker
and show in the order list; stopping the server stops every child.

Nothing is pinned: the workbench, the worker and the simulator share the real clock, as ``make demo`` runs them. The
simulated shop's orders start the day before, so at any hour the first sync finds a day of them, some short of stock.
"""

import json
import os
import signal
import subprocess
import sys
import time

import httpx
import pytest

from tests.browser.conftest import screenshot
from tests.web.test_serve import alive, children_of, free_port

pytestmark = pytest.mark.slow
KUAIFA = [sys.executable, "-c", "from kuaifa.cli.main import main; main()"]
SHOP = "模拟店"


def kuaifa(env: dict, *args: str) -> str:
    done = subprocess.run([*KUAIFA, *args], env=env, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stdout + done.stderr
    return done.stdout


def wait_for_login(base: str, server: subprocess.Popen) -> None:
    deadline = time.monotonic() + 90  # the simulator generates its shop first; a busy machine is slow
    while time.monotonic() < deadline:
        assert server.poll() is None, "kuaifa serve stopped"
        try:
            if httpx.get(f"{base}/login/", timeout=30).status_code == 200:
                return
        except httpx.TransportError:
            time.sleep(0.2)
    raise AssertionError("the workbench did not answer")


def rows_of(page, url: str) -> list[str]:
    page.goto(url)
    return page.locator("tr[data-order]").all_inner_texts()


def test_the_owner_authorises_the_simulated_shop_and_its_orders_are_synced_and_reviewed(tmp_path, browser):
    env = {**os.environ, "KUAIFA_HOME": str(tmp_path)}
    for unset in ("DATABASE_URL", "KUAIFA_NOW"):
        env.pop(unset, None)
    kuaifa(env, "init")
    demo = kuaifa(env, "demo")
    assert "sim_skus.csv" in demo and "laoban" in demo  # the simulated shop's stock, and what to do next
    logins = {login["user"]: login["password"] for login in json.loads(kuaifa(env, "demo-team", "--json"))}
    port, sim_port = free_port(), free_port()
    server = subprocess.Popen(
        [*KUAIFA, "serve", "--port", str(port), "--with-sim", str(sim_port), "--sync-every", "60"],
        env=env,
        stdout=subprocess.PIPE,
        text=True,
    )
    base = f"http://127.0.0.1:{port}"
    children: list[int] = []
    context = browser.new_context(viewport={"width": 1920, "height": 1000})
    try:
        wait_for_login(base, server)
        children = children_of(server.pid)
        assert len(children) == 2  # the worker and the simulator
        page = context.new_page()
        page.set_default_timeout(30_000)
        page.goto(f"{base}/login/")
        page.fill("input[name=username]", "laoban")
        page.fill("input[name=password]", logins["laoban"])
        page.click("button.primary")
        page.goto(f"{base}/shops/")
        assert not page.locator(f'tr[data-shop="{SHOP}"]').count()  # not there until the owner authorises it
        page.fill("input[name=name]", SHOP)
        page.click("form[action$='/shops/authorise/'] button.primary")
        page.wait_for_load_state()
        assert page.url.startswith(f"http://127.0.0.1:{sim_port}/authorize?")  # the platform's page
        assert "同意授权" in page.inner_text("body")
        page.click("#agree")
        page.wait_for_url(f"{base}/shops/")
        assert SHOP in page.inner_text(".messages")
        page.select_option("#shop-switch", label=SHOP)  # the order list shows this shop alone
        page.wait_for_load_state()

        deadline = time.monotonic() + 240
        accepted: list[str] = []
        held: list[str] = []
        while time.monotonic() < deadline and not (accepted and held):
            time.sleep(3)
            accepted = rows_of(page, f"{base}/orders/?status=ACCEPTED")
            held = rows_of(page, f"{base}/orders/?status=ON_HOLD")
        listed = rows_of(page, f"{base}/orders/")
        screenshot(page, "demo-sim-orders")

        assert listed and all(SHOP in row for row in listed)  # synced from the simulated shop
        assert accepted, "no order of the simulated shop was accepted"
        assert held, "no order of the simulated shop was held (its black T-shirts and cups run short)"
    finally:
        context.close()
        server.send_signal(signal.SIGTERM)
        server.wait(timeout=30)
    time.sleep(0.5)
    assert [pid for pid in children if alive(pid)] == []
