"""E-waybill print data and the simulator's stand-in print component (pdd-reference §3.4), over a real WebSocket:
the print data a waybill comes with is stored as sent and is really encrypted; the component answers per request
with its requestID, then one notifyPrintResult per document, writes each document as a PDF, and refuses bad
tasks whole (more than 10 documents, bad shapes, unknown printer) while a forged document fails alone."""

from __future__ import annotations

import json

import pytest
from pypdf import PdfReader
from websockets.sync.client import connect

from kuaifa.persistence.models import Waybill
from kuaifa.platforms.sim.print_component import running_print_component
from kuaifa.platforms.sim.waybill_api import PrintDataInvalid, open_print_data
from kuaifa.services.waybills import issue_waybills
from tests.integration.platform_fixtures import ACTOR, sim_now
from tests.integration.test_waybills import _accepted, _provider, sim  # noqa: F401 (the fixture)


def _issued(sim, count: int) -> list[Waybill]:  # noqa: F811
    shop, accepted = _accepted(sim)
    ids = [o.id for o in accepted[:count]]
    issue_waybills(ids, "ZTO", _provider(shop, sim), actor=ACTOR, now=sim_now(sim.state))
    return list(Waybill.objects.filter(order_id__in=ids).select_related("order").order_by("id"))


def test_print_data_is_stored_with_the_waybill_and_only_the_simulator_key_opens_it(db, sim, monkeypatch):  # noqa: F811
    waybills = _issued(sim, 3)

    for waybill in waybills:
        data = json.loads(waybill.print_data)
        assert set(data) == {"encryptedData", "signature", "templateUrl", "ver"}
        assert waybill.waybill_code not in waybill.print_data and waybill.order.order_sn not in waybill.print_data
        content = open_print_data(data["encryptedData"], data["signature"])
        assert (content["waybill_code"], content["wp_code"], content["order_sn"]) == (
            waybill.waybill_code, "ZTO", waybill.order.order_sn)  # fmt: skip
        assert content["sender"]["name"] == "快发测试仓"
    data = json.loads(waybills[0].print_data)
    with pytest.raises(PrintDataInvalid, match="signature"):
        open_print_data(data["encryptedData"][:-4] + "AAAA", data["signature"])
    monkeypatch.setenv("KUAIFA_SIM_PRINT_SECRET", "another shop's key")
    with pytest.raises(PrintDataInvalid):
        open_print_data(data["encryptedData"], data["signature"])


def _standard(waybill: Waybill) -> dict:
    return json.loads(waybill.print_data)


def _task(task_id: str, waybills: list[Waybill], printer: str = "") -> dict:
    documents = [{"documentID": w.waybill_code, "contents": [
        _standard(w), {"data": {"orderSn": w.order.order_sn, "items": [{"sku": "TEA-001", "name": "绿茶", "count": 2}],
                                "enclosures": ["说明书"]}, "templateURL": "kuaifa://custom/76x30"}]}
        for w in waybills]  # fmt: skip
    return {"taskID": task_id, "preview": False, "printer": printer, "documents": documents}


def _ask(ws, request_id: str, cmd: str, **body) -> dict:
    ws.send(json.dumps({"cmd": cmd, "requestID": request_id, "version": "1.0", **body}))
    return json.loads(ws.recv(timeout=10))


def test_the_component_prints_each_document_as_a_pdf_and_notifies_per_document(db, sim, tmp_path):  # noqa: F811
    waybills = _issued(sim, 3)
    with running_print_component(tmp_path) as component, connect(f"ws://127.0.0.1:{component.port}") as ws:
        printers = _ask(ws, "r1", "getPrinters")
        assert printers == {"cmd": "getPrinters", "requestID": "r1", "status": "success", "msg": "",
                            "defaultPrinter": "模拟面单打印机-1",
                            "printers": [{"name": "模拟面单打印机-1"}, {"name": "模拟面单打印机-2"}]}  # fmt: skip
        assert _ask(ws, "r2", "setPrinterConfig", printer={"name": "模拟面单打印机-2", "verticalOffset": 2})[
            "status"] == "success"  # fmt: skip
        config = _ask(ws, "r3", "getPrinterConfig", printer="模拟面单打印机-2")["printer"]
        assert (config["name"], config["verticalOffset"], config["horizontalOffset"]) == ("模拟面单打印机-2", 2, 0)

        answer = _ask(ws, "r4", "print", task=_task("T1", waybills, "模拟面单打印机-2"))
        assert answer == {"cmd": "print", "requestID": "r4", "status": "success", "msg": "", "taskID": "T1"}
        notes = [json.loads(ws.recv(timeout=10)) for _ in waybills]

    assert [(n["cmd"], n["requestID"], n["taskID"], n["printer"], n["printStatus"]) for n in notes] == [
        ("notifyPrintResult", "r4", "T1", "模拟面单打印机-2", [{"documentID": w.waybill_code, "status": "success",
                                                            "msg": ""}]) for w in waybills]  # fmt: skip
    files = sorted(p.name for p in tmp_path.glob("*.pdf"))
    assert files == sorted(f"T1-{w.waybill_code}.pdf" for w in waybills)
    text = PdfReader(tmp_path / f"T1-{waybills[0].waybill_code}.pdf").pages[0].extract_text()
    assert waybills[0].waybill_code in text and waybills[0].order.order_sn in text and "TEA-001" in text


def test_bad_tasks_are_refused_whole_and_print_nothing(db, sim, tmp_path):  # noqa: F811
    waybill = _issued(sim, 1)[0]
    eleven = _task("T11", [waybill]) | {"documents": [dict(_task("x", [waybill])["documents"][0], documentID=str(i))
                                                      for i in range(11)]}  # fmt: skip
    no_standard = _task("T2", [waybill])
    no_standard["documents"][0]["contents"] = no_standard["documents"][0]["contents"][1:]
    with running_print_component(tmp_path) as component, connect(f"ws://127.0.0.1:{component.port}") as ws:
        refused = [
            _ask(ws, "a", "print", task=eleven),
            _ask(ws, "b", "print", task=_task("T3", [waybill], "没有这台打印机")),
            _ask(ws, "c", "print", task=no_standard),
            _ask(ws, "d", "print", task={"taskID": "T4", "documents": "not a list"}),
            _ask(ws, "e", "scanBarcode"),
        ]
        assert [(r["requestID"], r["status"]) for r in refused] == [(k, "failed") for k in "abcde"]
        assert "最多10个文档，收到11个" in refused[0]["msg"]
        assert "没有这台打印机" in refused[1]["msg"]
        assert "documents[1]需要恰好一个标准区" in refused[2]["msg"]

        forged = _task("T5", [waybill])
        forged["documents"][0]["contents"][0]["signature"] = "0" * 64
        assert _ask(ws, "f", "print", task=forged)["status"] == "success"
        note = json.loads(ws.recv(timeout=10))
    assert (note["taskStatus"], note["printStatus"][0]["status"]) == ("failed", "failed")
    assert "无法解密" in note["printStatus"][0]["msg"]
    assert list(tmp_path.glob("*.pdf")) == []


def test_the_cli_serves_the_component_until_interrupted(tmp_path):
    import os
    import signal
    import socket
    import subprocess
    import sys
    import time

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    kuaifa = os.path.join(os.path.dirname(sys.executable), "kuaifa")
    process = subprocess.Popen([kuaifa, "sim", "print-component", "--port", str(port), "--out", str(tmp_path / "out"),
                                "--printer", "台式机A"], stdout=subprocess.PIPE, text=True)  # fmt: skip
    try:
        banner = process.stdout.readline()
        assert f"ws://127.0.0.1:{port}" in banner and "台式机A" in banner
        deadline = time.monotonic() + 10
        while True:
            try:
                ws = connect(f"ws://127.0.0.1:{port}")
                break
            except OSError:
                assert time.monotonic() < deadline
                time.sleep(0.1)
        with ws:
            assert _ask(ws, 1, "getPrinters")["printers"] == [{"name": "台式机A"}]
    finally:
        process.send_signal(signal.SIGINT)
        process.wait(10)
    assert process.returncode == 0


def test_a_preview_writes_the_documents_aside_and_prints_nothing(db, sim, tmp_path):  # noqa: F811
    waybills = _issued(sim, 2)
    with running_print_component(tmp_path) as component, connect(f"ws://127.0.0.1:{component.port}") as ws:
        answer = _ask(ws, "p1", "print", task=_task("TP", waybills) | {"preview": True})
        assert _ask(ws, "p2", "getPrinters")["requestID"] == "p2"  # no notification came in between
        printed = list(component.component.printed)

    assert answer["status"] == "success"
    assert answer["previewURL"] == [(tmp_path / "preview" / f"TP-{w.waybill_code}.pdf").as_uri() for w in waybills]
    assert printed == [] and list(tmp_path.glob("*.pdf")) == []
