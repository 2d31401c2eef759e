// Kuaifa — client of the platform's print component (拼多多打印组件, pdd-reference §3.4). No build step.
//
// The component is a desktop program on the packing PC listening on ws://127.0.0.1:5000 (wss://127.0.0.1:18653
// from an HTTPS page). Every request carries {cmd, requestID, version: "1.0"}; every answer echoes cmd and
// requestID with status "success"/"failed" and msg. A print task holds at most 10 documents; each document's result
// comes later as a notifyPrintResult. This client sends the next task only when every document of the previous one
// has its result, matches answers by requestID, and hands each document's result to a callback. When the component
// cannot be reached it says so in one sentence and reports no document as printed.
//
// Usage:
//   import { PrintComponentClient } from "/static/kuaifa/print-component.js";
//   const client = new PrintComponentClient();              // or { port: 5123 } in tests
//   await client.connect();
//   const { defaultPrinter, printers } = await client.getPrinters();
//   await client.print(documents, { printer, onResult: (r) => … });
// where each document is { documentID, printData, custom } — printData the e-waybill's print_data string as the
// platform gave it, custom the custom area's data (orderSn, items, enclosures).

export const MAX_DOCUMENTS_PER_TASK = 10;
export const DEFAULT_PORT = 5000;
export const DEFAULT_SECURE_PORT = 18653;
export const CUSTOM_TEMPLATE_URL = "kuaifa://custom-area/76x30";
const VERSION = "1.0";

export class PrintComponentError extends Error {
  constructor(code, message) {
    super(message);
    this.name = "PrintComponentError";
    this.code = code;
  }
}

/** The component's address for a page: wss on 18653 from an HTTPS page, else ws on 5000 (or the given port). */
export function componentUrl({ secure = globalThis.location?.protocol === "https:", port } = {}) {
  const chosen = port ?? (secure ? DEFAULT_SECURE_PORT : DEFAULT_PORT);
  return `${secure ? "wss" : "ws"}://127.0.0.1:${chosen}`;
}

/** `items` in consecutive slices of at most `size`. */
export function batches(items, size = MAX_DOCUMENTS_PER_TASK) {
  const out = [];
  for (let start = 0; start < items.length; start += size) out.push(items.slice(start, start + size));
  return out;
}

/** One document of a print task: the platform's encrypted standard area, then Kuaifa's custom area. */
export function taskDocument({ documentID, printData, custom }) {
  const standard = typeof printData === "string" ? JSON.parse(printData) : printData;
  const contents = [standard];
  if (custom) contents.push({ data: custom, templateURL: CUSTOM_TEMPLATE_URL });
  return { documentID: String(documentID), contents };
}

let sequence = 0;
function nextId(prefix) {
  sequence += 1;
  return `${prefix}-${Date.now().toString(36)}-${sequence}`;
}

export class PrintComponentClient {
  constructor({ url, port, secure, connectTimeoutMs = 3000, resultTimeoutMs = 60000 } = {}) {
    this.url = url ?? componentUrl({ secure, port });
    this.connectTimeoutMs = connectTimeoutMs;
    this.resultTimeoutMs = resultTimeoutMs;
    this.socket = null;
    this.pending = new Map(); // requestID → {resolve, reject, timer}
    this.tasks = new Map(); // taskID → {waiting: Set(documentID), onResult, done, fail, timer}
  }

  unreachableMessage() {
    return `无法连接打印组件（${this.url}）：请确认拼多多打印组件已启动，然后重试；没有面单被标记为已打印。`;
  }

  /** Open the connection; rejects with a PrintComponentError("component.unreachable") when nothing answers. */
  connect() {
    if (this.socket && this.socket.readyState === WebSocket.OPEN) return Promise.resolve(this);
    return new Promise((resolve, reject) => {
      let settled = false;
      const fail = () => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        try { socket.close(); } catch (_) { /* already closed */ }
        reject(new PrintComponentError("component.unreachable", this.unreachableMessage()));
      };
      let socket;
      try {
        socket = new WebSocket(this.url);
      } catch (_) {
        fail();
        return;
      }
      const timer = setTimeout(fail, this.connectTimeoutMs);
      socket.addEventListener("open", () => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        this.socket = socket;
        resolve(this);
      });
      socket.addEventListener("error", fail);
      socket.addEventListener("close", () => {
        fail();
        this.abandon("component.closed", `打印组件（${this.url}）断开了连接；未收到结果的面单没有被标记为已打印。`);
      });
      socket.addEventListener("message", (event) => this.receive(event.data));
    });
  }

  close() {
    if (this.socket) this.socket.close();
    this.socket = null;
  }

  /** Every request still waiting fails with `message`; documents without a result stay unprinted. */
  abandon(code, message) {
    const error = new PrintComponentError(code, message);
    for (const [, waiting] of this.pending) {
      clearTimeout(waiting.timer);
      waiting.reject(error);
    }
    this.pending.clear();
    for (const [, task] of this.tasks) {
      clearTimeout(task.timer);
      task.fail(error);
    }
    this.tasks.clear();
    this.socket = null;
  }

  receive(text) {
    let frame;
    try {
      frame = JSON.parse(text);
    } catch (_) {
      return; // not ours to understand
    }
    if (frame.cmd === "notifyPrintResult") {
      this.notified(frame);
      return;
    }
    const waiting = this.pending.get(frame.requestID);
    if (!waiting) return;
    this.pending.delete(frame.requestID);
    clearTimeout(waiting.timer);
    if (frame.status === "success") waiting.resolve(frame);
    else waiting.reject(new PrintComponentError("component.refused", `打印组件拒绝了请求：${frame.msg || "未说明原因"}`));
  }

  notified(frame) {
    const task = this.tasks.get(String(frame.taskID));
    if (!task) return;
    if (frame.requestID !== undefined && String(frame.requestID) !== task.requestID) return; // another request's
    for (const status of frame.printStatus || []) {
      const documentID = String(status.documentID);
      if (!task.waiting.has(documentID)) continue;
      task.waiting.delete(documentID);
      task.onResult({
        documentID,
        taskID: String(frame.taskID),
        requestID: task.requestID,
        printer: frame.printer || task.printer,
        status: status.status === "success" ? "success" : "failed",
        msg: status.msg || "",
      });
    }
    if (task.waiting.size === 0) {
      clearTimeout(task.timer);
      this.tasks.delete(String(frame.taskID));
      task.done();
    }
  }

  /** Send one request and wait for the answer carrying its requestID. */
  request(cmd, body = {}, requestID = nextId("req")) {
    if (!this.socket || this.socket.readyState !== WebSocket.OPEN) {
      return Promise.reject(new PrintComponentError("component.unreachable", this.unreachableMessage()));
    }
    const message = { cmd, requestID, version: VERSION, ...body };
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(requestID);
        reject(new PrintComponentError("component.timeout", `打印组件没有回应（${cmd}）：请检查打印组件，然后重试。`));
      }, this.resultTimeoutMs);
      this.pending.set(requestID, { resolve, reject, timer, requestID });
      this.socket.send(JSON.stringify(message));
    });
  }

  async getPrinters() {
    const answer = await this.request("getPrinters");
    return { defaultPrinter: answer.defaultPrinter, printers: (answer.printers || []).map((p) => p.name) };
  }

  async getPrinterConfig(printer) {
    return (await this.request("getPrinterConfig", { printer })).printer;
  }

  async setPrinterConfig(printer) {
    await this.request("setPrinterConfig", { printer });
  }

  /**
   * Print `documents` in tasks of at most 10, one task after the previous one's results all arrived.
   * `onResult({documentID, taskID, requestID, printer, status, msg})` is called once per document the component
   * reported on. Resolves with {tasks: [{taskID, requestID, documentIDs}], results}; rejects with a
   * PrintComponentError when the component is unreachable, refuses a task or goes silent — documents without a
   * result are then not reported at all, so nothing is marked printed that the component did not print.
   */
  async print(documents, { printer = "", onResult = () => {}, preview = false } = {}) {
    await this.connect();
    const tasks = [];
    const results = [];
    for (const batch of batches(documents)) {
      const taskID = nextId("task");
      const requestID = nextId("req");
      const task = { taskID, preview, printer, documents: batch.map(taskDocument) };
      const ids = task.documents.map((d) => d.documentID);
      const finished = new Promise((done, fail) => {
        const timer = setTimeout(() => {
          this.tasks.delete(taskID);
          fail(new PrintComponentError("component.timeout", `打印组件没有回报任务 ${taskID} 的结果：请检查打印机，然后补打未成功的面单。`));
        }, this.resultTimeoutMs);
        this.tasks.set(taskID, {
          waiting: new Set(ids),
          printer,
          requestID,
          onResult: (result) => {
            results.push(result);
            onResult(result);
          },
          done,
          fail,
          timer,
        });
      });
      finished.catch(() => {}); // awaited below; avoid an unhandled rejection while the answer is pending
      let answer;
      try {
        answer = await this.request("print", { task }, requestID);
      } catch (error) {
        const waiting = this.tasks.get(taskID);
        if (waiting) clearTimeout(waiting.timer);
        this.tasks.delete(taskID);
        throw error;
      }
      tasks.push({ taskID, requestID: answer.requestID, documentIDs: ids });
      await finished;
    }
    return { tasks, results };
  }
}
