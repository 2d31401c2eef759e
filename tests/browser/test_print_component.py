"""The browser's print-component client (static/kuaifa/print-component.js) against the simulator's stand-in
component, in a real Chromium: tasks of at most 10 documents sent one after another, every result matched to its
task by requestID and handed to the page, one PDF per document, and an unreachable component answered with a
clear sentence and nothing marked printed."""

from __future__ import annotations

import functools
import json
import shutil
import socket
import threading
from collections.abc import Iterator
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from kuaifa.platforms.sim.print_component import running_print_component
from kuaifa.platforms.sim.waybill_api import seal_print_data

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--no-first-run"]  # fmt: skip
CLIENT = Path(__file__).parents[2] / "src/kuaifa/web/static/kuaifa/print-component.js"

pytestmark = pytest.mark.skipif(not CHROMIUM.exists(), reason="Debian's chromium is not installed at /usr/bin/chromium")

HARNESS = """<!doctype html><meta charset="utf-8"><title>print component harness</title>
<p id="message"></p>
<script type="module">
import { PrintComponentClient } from "./print-component.js";
window.runPrint = async (port, documents) => {
  const printed = [], failed = [], seen = [];
  const client = new PrintComponentClient({ port, connectTimeoutMs: 2000, resultTimeoutMs: 15000 });
  try {
    const { defaultPrinter, printers } = await client.getPrinters().catch(async () => {
      await client.connect();
      return client.getPrinters();
    });
    const outcome = await client.print(documents, {
      printer: printers[1],
      onResult: (r) => { seen.push(r); (r.status === "success" ? printed : failed).push(r.documentID); },
    });
    client.close();
    return { defaultPrinter, printers, tasks: outcome.tasks, seen, printed, failed, error: null };
  } catch (error) {
    document.getElementById("message").textContent = error.message;
    return { tasks: [], seen, printed, failed, error: { code: error.code, message: error.message } };
  }
};
</script>"""


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture
def harness(tmp_path) -> Iterator[str]:
    """The harness page and the client module served over HTTP from 127.0.0.1."""
    site = tmp_path / "site"
    site.mkdir()
    shutil.copy(CLIENT, site / "print-component.js")
    (site / "harness.html").write_text(HARNESS, encoding="utf-8")
    handler = functools.partial(SimpleHTTPRequestHandler, directory=str(site))
    handler.log_message = lambda *args: None
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/harness.html"
    server.shutdown()
    server.server_close()


@pytest.fixture
def page(harness):
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        page = browser.new_page()
        page.goto(harness)
        page.wait_for_function("typeof window.runPrint === 'function'")
        yield page
        browser.close()


def _documents(count: int) -> list[dict]:
    documents = []
    for n in range(1, count + 1):
        waybill, order_sn = f"78{n:012d}", f"261201-{n:015d}"
        content = {"waybill_code": waybill, "wp_code": "ZTO", "order_sn": order_sn,
                   "sender": {"name": "快发测试仓", "mobile": "13800000000", "address": {"province": "浙江省"}},
                   "recipient": {"name": "张*", "mobile": "138****0000", "province": "上海市"}}  # fmt: skip
        documents.append({"documentID": waybill, "printData": seal_print_data(content),
                          "custom": {"orderSn": order_sn, "items": [{"sku": "TEA-001", "name": "绿茶", "count": n}],
                                     "enclosures": ["说明书"]}})  # fmt: skip
    return documents


def test_23_documents_go_as_three_tasks_and_every_result_comes_back_matched(page, tmp_path):
    documents = _documents(23)
    with running_print_component(tmp_path / "out") as component:
        outcome = page.evaluate("([port, docs]) => runPrint(port, docs)", [component.port, documents])
        received = list(component.component.received)

    assert outcome["error"] is None
    assert outcome["printers"] == ["模拟面单打印机-1", "模拟面单打印机-2"]
    assert [len(t["documentIDs"]) for t in outcome["tasks"]] == [10, 10, 3]
    assert [r for r in received if r["cmd"] == "print"] == [
        {"cmd": "print", "requestID": t["requestID"], "taskID": t["taskID"], "documents": len(t["documentIDs"])}
        for t in outcome["tasks"]
    ]
    ids = [d["documentID"] for d in documents]
    assert outcome["printed"] == ids and outcome["failed"] == []
    by_task = {t["taskID"]: t for t in outcome["tasks"]}
    for result in outcome["seen"]:  # each result names its own task's request and a document of that task
        task = by_task[result["taskID"]]
        assert result["requestID"] == task["requestID"] and result["documentID"] in task["documentIDs"]
        assert result["printer"] == "模拟面单打印机-2"
    written = sorted(p.name for p in (tmp_path / "out").glob("*.pdf"))
    assert written == sorted(f"{r['taskID']}-{r['documentID']}.pdf" for r in outcome["seen"])
    assert len(written) == 23


def test_a_forged_document_fails_alone_and_is_not_marked_printed(page, tmp_path):
    documents = _documents(3)
    forged = json.loads(documents[1]["printData"]) | {"signature": "0" * 64}
    documents[1]["printData"] = json.dumps(forged)
    with running_print_component(tmp_path / "out") as component:
        outcome = page.evaluate("([port, docs]) => runPrint(port, docs)", [component.port, documents])

    assert outcome["error"] is None
    assert outcome["printed"] == [documents[0]["documentID"], documents[2]["documentID"]]
    assert outcome["failed"] == [documents[1]["documentID"]]
    assert len(list((tmp_path / "out").glob("*.pdf"))) == 2


def test_an_unreachable_component_gives_a_clear_message_and_nothing_is_printed(page, tmp_path):
    port = _free_port()  # nothing listens there
    outcome = page.evaluate("([port, docs]) => runPrint(port, docs)", [port, _documents(12)])

    assert outcome["error"]["code"] == "component.unreachable"
    assert outcome["error"]["message"] == (
        f"无法连接打印组件（ws://127.0.0.1:{port}）：请确认拼多多打印组件已启动，然后重试；没有面单被标记为已打印。"
    )
    assert page.text_content("#message") == outcome["error"]["message"]
    assert (outcome["tasks"], outcome["seen"], outcome["printed"]) == ([], [], [])


def test_a_task_the_component_refuses_marks_none_of_its_documents_printed(page, tmp_path):
    documents = _documents(2)
    documents[0]["printData"] = json.dumps({"signature": "x", "templateUrl": "t"})  # no encryptedData
    with running_print_component(tmp_path / "out") as component:
        outcome = page.evaluate("([port, docs]) => runPrint(port, docs)", [component.port, documents])

    assert outcome["error"]["code"] == "component.refused"
    assert "documents[1]需要恰好一个标准区" in outcome["error"]["message"]
    assert (outcome["seen"], outcome["printed"]) == ([], [])
    assert list((tmp_path / "out").glob("*.pdf")) == []


def test_the_component_address_follows_the_page(page):
    urls = page.evaluate("""async () => {
        const m = await import("./print-component.js");
        return [m.componentUrl({secure: false}), m.componentUrl({secure: true}), m.componentUrl({port: 5123})];
    }""")
    assert urls == ["ws://127.0.0.1:5000", "wss://127.0.0.1:18653", "ws://127.0.0.1:5123"]
