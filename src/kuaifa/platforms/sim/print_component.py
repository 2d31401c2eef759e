"""A stand-in for the platform's print component (拼多多打印组件, pdd-reference §3.4), for the simulator's shop.

The real component is a desktop program on the packing PC: a browser talks to it over a WebSocket
(``ws://127.0.0.1:5000``), hands it each e-waybill's encrypted ``print_data`` plus the merchant's custom area, and it
prints the real label. This one speaks the same protocol on any port and, instead of driving a printer, writes each
document as a PDF into a folder — the waybill number as a Code 128 barcode, the receiver it decrypted, the custom
area's text — so tests can drive the real browser → component path.

Protocol, as §3.4 gives it (field names beyond these are the simulator's choice):

- every request is a JSON object ``{cmd, requestID, version}``; every answer echoes ``cmd`` and ``requestID`` and
  adds ``status`` (``success``/``failed``) and ``msg``;
- ``getPrinters`` → ``defaultPrinter`` and ``printers[{name}]``;
- ``getPrinterConfig{printer}`` → ``printer{name, horizontalOffset, verticalOffset, needTopLogo, needBottomLogo}``;
  ``setPrinterConfig{printer{name, …}}`` sets them;
- ``print{task{taskID, preview, printer, documents[{documentID, contents[…]}]}}``: at most
  :data:`MAX_DOCUMENTS` documents; a content is the platform's standard area (``encryptedData``, ``signature``,
  ``templateUrl``, ``ver``) or the custom area (``data`` + ``templateURL``); a document holds exactly one standard
  area. The answer comes first; then one ``notifyPrintResult{taskID, printer, taskStatus, printStatus[{documentID,
  status, msg}]}`` per document, in order. A document whose print data does not decrypt (forged, altered, another
  platform's) fails alone; a malformed task, an unknown printer or too many documents fails the whole request and
  nothing is printed. ``preview: true`` writes the PDFs under ``preview/`` and answers ``previewURL`` instead of
  printing (no notification).
"""

from __future__ import annotations

import json
import re
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from reportlab.graphics.barcode import code128
from reportlab.lib.units import mm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.cidfonts import UnicodeCIDFont
from reportlab.pdfgen import canvas
from websockets.exceptions import ConnectionClosed
from websockets.sync.server import Server, ServerConnection, serve

from kuaifa.platforms.sim.waybill_api import PrintDataInvalid, open_print_data

MAX_DOCUMENTS = 10
DEFAULT_PORT = 5000
DEFAULT_PRINTERS = ("模拟面单打印机-1", "模拟面单打印机-2")
FONT = "STSong-Light"
PAGE = (76 * mm, 130 * mm)  # the common 76 × 130 mm thermal e-waybill
_SAFE = re.compile(r"[^A-Za-z0-9_.-]+")


class BadRequest(ValueError):
    """A request the component refuses as a whole; the message is what it answers in ``msg``."""


@dataclass
class PrinterConfig:
    name: str
    # the protocol's own names
    horizontalOffset: float = 0
    verticalOffset: float = 0
    needTopLogo: bool = False
    needBottomLogo: bool = False


@dataclass
class PrintComponent:
    """The component's state: its printers and their settings, where documents go, what it has printed."""

    out_dir: Path
    printers: dict[str, PrinterConfig] = field(default_factory=dict)
    printed: list[Path] = field(default_factory=list)
    received: list[dict[str, Any]] = field(default_factory=list)  # {cmd, requestID, taskID, documents} per request
    lock: threading.Lock = field(default_factory=threading.Lock)

    @classmethod
    def with_printers(cls, out_dir: Path, names: tuple[str, ...] = DEFAULT_PRINTERS) -> PrintComponent:
        out_dir.mkdir(parents=True, exist_ok=True)
        return cls(out_dir, {name: PrinterConfig(name) for name in names})

    @property
    def default_printer(self) -> str:
        return next(iter(self.printers))

    def handle(self, message: str) -> list[dict[str, Any]]:
        """The frames to send back for one request: its answer, then any notifications."""
        try:
            request = json.loads(message)
        except ValueError:
            return [{"cmd": "", "requestID": "", "status": "failed", "msg": "请求不是JSON"}]
        if not isinstance(request, dict):
            return [{"cmd": "", "requestID": "", "status": "failed", "msg": "请求应为JSON对象"}]
        header = {"cmd": request.get("cmd", ""), "requestID": request.get("requestID", "")}
        task = request.get("task") if isinstance(request.get("task"), dict) else {}
        documents = task.get("documents")
        with self.lock:
            self.received.append(
                header
                | {"taskID": task.get("taskID"), "documents": len(documents) if isinstance(documents, list) else 0}
            )
        try:
            if not isinstance(header["requestID"], str | int) or header["requestID"] in ("", None):
                raise BadRequest("缺少requestID")
            if request.get("version") != "1.0":
                raise BadRequest(f"不支持的version: {request.get('version')!r}")
            handler = _COMMANDS.get(header["cmd"])
            if handler is None:
                raise BadRequest(f"未知命令: {header['cmd']!r}")
            answer, notes = handler(self, request)
        except BadRequest as error:
            return [header | {"status": "failed", "msg": str(error)}]
        return [header | {"status": "success", "msg": ""} | answer, *(header | n for n in notes)]

    def _printer(self, name: object) -> PrinterConfig:
        if name in (None, ""):
            return self.printers[self.default_printer]
        if not isinstance(name, str) or name not in self.printers:
            raise BadRequest(f"打印机不存在: {name!r}")
        return self.printers[name]

    def get_printers(self, request: dict) -> tuple[dict, list]:
        names = [{"name": name} for name in self.printers]
        return {"defaultPrinter": self.default_printer, "printers": names}, []

    def get_printer_config(self, request: dict) -> tuple[dict, list]:
        return {"printer": vars(self._printer(request.get("printer"))).copy()}, []

    def set_printer_config(self, request: dict) -> tuple[dict, list]:
        wanted = request.get("printer")
        if not isinstance(wanted, dict):
            raise BadRequest("printer应为对象")
        config = self._printer(wanted.get("name") or "?")
        for key in ("horizontalOffset", "verticalOffset"):
            if key in wanted and (isinstance(wanted[key], bool) or not isinstance(wanted[key], int | float)):
                raise BadRequest(f"{key}应为数字")
        for key in ("needTopLogo", "needBottomLogo"):
            if key in wanted and not isinstance(wanted[key], bool):
                raise BadRequest(f"{key}应为true或false")
        with self.lock:
            for key in ("horizontalOffset", "verticalOffset", "needTopLogo", "needBottomLogo"):
                if key in wanted:
                    setattr(config, key, wanted[key])
        return {}, []

    def print(self, request: dict) -> tuple[dict, list]:
        task = request.get("task")
        if not isinstance(task, dict):
            raise BadRequest("task应为对象")
        task_id = task.get("taskID")
        if not isinstance(task_id, str | int) or task_id in ("",):
            raise BadRequest("缺少taskID")
        printer = self._printer(task.get("printer"))
        documents = task.get("documents")
        if not isinstance(documents, list) or not documents:
            raise BadRequest("documents应为非空数组")
        if len(documents) > MAX_DOCUMENTS:
            raise BadRequest(f"每个任务最多{MAX_DOCUMENTS}个文档，收到{len(documents)}个")
        parsed = [_document(i, d) for i, d in enumerate(documents, start=1)]
        ids = [document_id for document_id, _, _ in parsed]
        if len(set(ids)) != len(ids):
            raise BadRequest("documentID重复")
        preview = task.get("preview") is True
        folder = self.out_dir / "preview" if preview else self.out_dir
        folder.mkdir(parents=True, exist_ok=True)
        results, written = [], []
        for document_id, standard, custom in parsed:
            try:
                content = open_print_data(str(standard["encryptedData"]), str(standard.get("signature") or ""))
            except PrintDataInvalid as error:
                results.append({"documentID": document_id, "status": "failed", "msg": f"面单数据无法解密: {error}"})
                continue
            path = folder / f"{_SAFE.sub('_', str(task_id))}-{_SAFE.sub('_', str(document_id))}.pdf"
            render_label(path, content, custom, printer)
            written.append(path)
            results.append({"documentID": document_id, "status": "success", "msg": ""})
        if preview:
            return {"taskID": task_id, "previewURL": [p.as_uri() for p in written]}, []
        with self.lock:
            self.printed.extend(written)
        notes = [{"cmd": "notifyPrintResult", "taskID": task_id, "printer": printer.name,
                  "taskStatus": "printed" if r["status"] == "success" else "failed", "printStatus": [r]}
                 for r in results]  # fmt: skip
        return {"taskID": task_id}, notes


def _document(position: int, document: object) -> tuple[str, dict, dict | None]:
    """(documentID, the standard area, the custom area or None), or :class:`BadRequest` naming the document."""
    where = f"documents[{position}]"
    if not isinstance(document, dict):
        raise BadRequest(f"{where}应为对象")
    document_id = document.get("documentID")
    if not isinstance(document_id, str | int) or document_id == "":
        raise BadRequest(f"{where}缺少documentID")
    contents = document.get("contents")
    if not isinstance(contents, list) or not contents or not all(isinstance(c, dict) for c in contents):
        raise BadRequest(f"{where}.contents应为非空对象数组")
    standard = [c for c in contents if "encryptedData" in c]
    custom = [c for c in contents if "data" in c]
    if len(standard) != 1:
        raise BadRequest(f"{where}需要恰好一个标准区(encryptedData)，收到{len(standard)}个")
    if len(standard) + len(custom) != len(contents):
        raise BadRequest(f"{where}.contents含无法识别的内容")
    for area in standard:
        for key in ("encryptedData", "signature", "templateUrl"):
            if not isinstance(area.get(key), str) or not area[key]:
                raise BadRequest(f"{where}标准区缺少{key}")
    for area in custom:
        if not isinstance(area.get("data"), dict) or not isinstance(area.get("templateURL"), str):
            raise BadRequest(f"{where}自定义区需要data对象和templateURL")
    return str(document_id), standard[0], custom[0] if custom else None


def custom_lines(custom: dict | None) -> list[str]:
    """The custom area's text, line by line: order number, items, enclosures, then any other fields."""
    if not custom:
        return []
    data = dict(custom["data"])
    lines = []
    if "orderSn" in data:
        lines.append(f"订单 {data.pop('orderSn')}")
    for item in data.pop("items", None) or []:
        if isinstance(item, dict):
            lines.append(f"{item.get('sku', '')} {item.get('name', '')} ×{item.get('count', '')}".strip())
    enclosures = data.pop("enclosures", None) or []
    if enclosures:
        lines.append("附件: " + "、".join(map(str, enclosures)))
    lines += [f"{key}: {value}" for key, value in data.items()]
    return lines


def render_label(path: Path, content: dict, custom: dict | None, printer: PrinterConfig) -> None:
    """One 76 × 130 mm label: carrier and waybill number as a barcode, receiver, sender, custom area."""
    _font()
    pdf = canvas.Canvas(str(path), pagesize=PAGE)
    pdf.setTitle(f"{content.get('wp_code', '')} {content.get('waybill_code', '')}")
    pdf.translate(printer.horizontalOffset * mm, -printer.verticalOffset * mm)
    height = PAGE[1]
    y = height - 8 * mm
    pdf.setFont(FONT, 12)
    pdf.drawString(4 * mm, y, f"{content.get('wp_code', '')}  电子面单")
    barcode = code128.Code128(str(content.get("waybill_code", "")), barHeight=14 * mm, barWidth=0.3 * mm)
    y -= 18 * mm
    barcode.drawOn(pdf, 2 * mm, y)
    y -= 5 * mm
    pdf.setFont(FONT, 10)
    pdf.drawString(4 * mm, y, str(content.get("waybill_code", "")))
    recipient, sender = content.get("recipient") or {}, content.get("sender") or {}
    address = sender.get("address") or {}
    lines = [
        f"收 {recipient.get('name', '')} {recipient.get('mobile', '')}",
        f"{recipient.get('province', '')}{recipient.get('city', '')}{recipient.get('district', '')}"
        f"{recipient.get('detail', '')}",
        f"寄 {sender.get('name', '')} {sender.get('mobile', '')}",
        f"{address.get('province', '')}{address.get('city', '')}{address.get('district', '')}"
        f"{address.get('detail', '')}",
        f"订单 {content.get('order_sn', '')}",
        "—" * 12,
        *custom_lines(custom),
    ]
    for line in lines:
        y -= 5 * mm
        if y < 4 * mm:
            break
        pdf.drawString(4 * mm, y, line[:40])
    pdf.showPage()
    pdf.save()


def _font() -> None:
    if FONT not in pdfmetrics.getRegisteredFontNames():
        pdfmetrics.registerFont(UnicodeCIDFont(FONT))


_COMMANDS = {
    "getPrinters": PrintComponent.get_printers,
    "getPrinterConfig": PrintComponent.get_printer_config,
    "setPrinterConfig": PrintComponent.set_printer_config,
    "print": PrintComponent.print,
}


class PrintComponentServer:
    """The component listening on ``127.0.0.1:port`` (0 picks a free port) in a background thread."""

    def __init__(self, component: PrintComponent, host: str = "127.0.0.1", port: int = DEFAULT_PORT) -> None:
        self.component = component
        self.server: Server = serve(self._session, host, port)
        self._thread = threading.Thread(target=self.server.serve_forever, name="print-component", daemon=True)

    @property
    def port(self) -> int:
        return int(self.server.socket.getsockname()[1])

    def start(self) -> PrintComponentServer:
        self._thread.start()
        return self

    def stop(self) -> None:
        self.server.shutdown()
        self._thread.join(timeout=5)

    def _session(self, connection: ServerConnection) -> None:
        try:
            for message in connection:
                for frame in self.component.handle(message if isinstance(message, str) else message.decode()):
                    connection.send(json.dumps(frame, ensure_ascii=False))
        except ConnectionClosed:
            pass


@contextmanager
def running_print_component(out_dir: Path, port: int = 0) -> Iterator[PrintComponentServer]:
    """The stand-in component on ``port`` (0: any free port) for the duration of the block."""
    server = PrintComponentServer(PrintComponent.with_printers(Path(out_dir)), port=port).start()
    try:
        yield server
    finally:
        server.stop()
