// Kuaifa — the warehouse floor's pages: the packing station, printing, scan-to-ship. No build step.
//
// A barcode scanner is a keyboard: it types into the one focused input and presses Enter. Each page keeps that
// input focused (nothing takes the focus away; taps give it back), submits through HTMX and answers each scan with
// a colour and a tone: right (short high), wrong (long low), complete (a chord). Labels print through the
// platform's print component (print-component.js) on the printer this station chose, remembered in this browser.

import { PrintComponentClient } from "./print-component.js";

const store = {
  get: (key, fallback = "") => { try { return localStorage.getItem(key) ?? fallback; } catch (_) { return fallback; } },
  set: (key, value) => { try { localStorage.setItem(key, value); } catch (_) { /* private mode */ } },
};

// --- tones (Web Audio, no sound files) -----------------------------------------------------------------------------
let audio = null;
function context() {
  const Context = window.AudioContext || window.webkitAudioContext;
  if (!Context) return null;
  audio = audio || new Context();
  if (audio.state === "suspended") audio.resume().catch(() => {});
  return audio;
}
function beep(ctx, frequency, start, seconds, type = "sine", volume = 0.25) {
  const osc = ctx.createOscillator();
  const gain = ctx.createGain();
  osc.type = type;
  osc.frequency.value = frequency;
  gain.gain.setValueAtTime(volume, ctx.currentTime + start);
  gain.gain.exponentialRampToValueAtTime(0.001, ctx.currentTime + start + seconds);
  osc.connect(gain).connect(ctx.destination);
  osc.start(ctx.currentTime + start);
  osc.stop(ctx.currentTime + start + seconds + 0.02);
}
export const TONES = {
  right: (ctx) => beep(ctx, 1320, 0, 0.09),
  wrong: (ctx) => beep(ctx, 196, 0, 0.7, "square", 0.3),
  complete: (ctx) => [523.25, 659.25, 783.99].forEach((f) => beep(ctx, f, 0, 0.6, "triangle", 0.18)),
};
export function tone(kind) {
  document.body.dataset.lastTone = kind; // what was sounded, for people who cannot hear it and for tests
  const play = TONES[kind];
  const ctx = play && context();
  if (ctx) play(ctx);
}

// --- one input, always focused -------------------------------------------------------------------------------------
function keepFocused(input) {
  const refocus = () => setTimeout(() => {
    const active = document.activeElement;
    if (active && active !== input && active.matches("select, input:not([type=hidden]):not([readonly])")) return;
    input.focus();
  }, 0);
  input.addEventListener("blur", refocus);
  document.addEventListener("click", refocus);
  document.addEventListener("change", refocus);
  input.focus();
}

function csrf() {
  return JSON.parse(document.body.getAttribute("hx-headers") || "{}")["X-CSRFToken"] || "";
}
async function postForm(url, values) {
  const body = new URLSearchParams();
  for (const [key, value] of Object.entries(values)) {
    for (const v of [].concat(value)) body.append(key, v);
  }
  return fetch(url, { method: "POST", body, headers: { "X-CSRFToken": csrf() }, credentials: "same-origin" });
}

// --- printing ------------------------------------------------------------------------------------------------------
export function printerKey(station) { return `kuaifa.printer.${station}`; }
export function carrierKey(station) { return `kuaifa.carrier.${station}`; }
export function componentPort() { const p = Number(store.get("kuaifa.componentPort", "")); return p > 0 ? p : undefined; }

/** 取号 (when needed) → the jobs in pick order → the component (e-waybills) or a PDF (own orders) → the print log. */
export async function printLabels({ urls, station, orders = [], wave = "", say }) {
  const take = await postForm(urls.take, { orders, wave, station, carrier: store.get(carrierKey(station)) });
  let takeRefusal = "";
  if (!take.ok) {
    const answer = await take.json();
    if (answer.code !== "waybill.not_possible") { say(answer.message, "wrong"); return { printed: [], failed: [] }; }
    takeRefusal = answer.message; // only own orders here, or the reason a platform order cannot get a number
  }
  const query = new URLSearchParams({ station, orders: orders.join(","), wave });
  const jobsAnswer = await (await fetch(`${urls.jobs}?${query}`, { credentials: "same-origin" })).json();
  if (!jobsAnswer.ok) { say(takeRefusal || jobsAnswer.message, "wrong"); return { printed: [], failed: [] }; }
  const platform = jobsAnswer.jobs.filter((j) => j.kind === "e_waybill");
  const own = jobsAnswer.jobs.filter((j) => j.kind !== "e_waybill");
  const printed = [], failed = [];
  if (own.length) {
    const pdf = await postForm(urls.own, { orders: own.map((j) => j.orderId), station });
    if (pdf.ok) {
      const blob = await pdf.blob();
      window.open(URL.createObjectURL(blob), "_blank");
      printed.push(...own.map((j) => j.documentID));
    } else {
      say((await pdf.json()).message, "wrong");
    }
  }
  if (platform.length) {
    const client = new PrintComponentClient({ port: componentPort(), connectTimeoutMs: 3000 });
    const recording = [];
    try {
      await client.print(platform, {
        printer: store.get(printerKey(station)),
        onResult: (r) => {
          (r.status === "success" ? printed : failed).push(r.documentID);
          recording.push(fetch(urls.results, {
            method: "POST", credentials: "same-origin",
            headers: { "Content-Type": "application/json", "X-CSRFToken": csrf() },
            body: JSON.stringify({ taskID: r.taskID, printer: r.printer, wave, station,
                                   results: [{ documentID: r.documentID, status: r.status, msg: r.msg }] }),
          }));
        },
      });
    } catch (error) {
      say(error.message, "wrong");
    } finally {
      client.close();
      await Promise.all(recording);
    }
  }
  return { printed, failed };
}

// --- the packing station -------------------------------------------------------------------------------------------
function station(root) {
  const input = root.querySelector("#scan");
  const form = root.querySelector("#scan-form");
  const answer = root.querySelector("#answer");
  const weight = root.querySelector("#weight");
  const urls = root.dataset;
  const name = root.dataset.station;
  keepFocused(input);

  const say = (text, verdict) => {
    const line = answer.querySelector("[data-reason]") || answer;
    line.textContent = text;
    root.dataset.verdict = verdict;
    tone(verdict);
  };
  // a complete parcel (also after a refused weight) waits for its weight: the one input then takes grams
  const mode = () => (answer.querySelector("[data-complete]") ? "weight" : "scan");
  const placeholder = () => { input.placeholder = mode() === "weight" ? input.dataset.weighHint : input.dataset.scanHint; };

  const seal = () => htmx.ajax("POST", urls.seal, { source: form, target: "#answer", swap: "innerHTML",
    values: { station: name, weight_g: weight.value.trim(), box: root.querySelector("#box").value } });
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    const value = input.value.trim();
    input.value = "";
    if (mode() === "weight" && /^\d{1,6}$/.test(value)) {
      weight.value = value;
      seal();
      return;
    }
    htmx.ajax("POST", urls.scan, { source: form, target: "#answer", swap: "innerHTML", values: { station: name, code: value } });
  });
  weight.addEventListener("keydown", (event) => { if (event.key === "Enter") { event.preventDefault(); seal(); } });
  root.addEventListener("click", (event) => {
    const tap = event.target.closest("[data-enclosure]");
    if (tap) htmx.ajax("POST", urls.scan, { source: form, target: "#answer", swap: "innerHTML", values: { station: name, code: tap.dataset.enclosure } });
    if (event.target.closest("#seal")) seal();
    if (event.target.closest("#aside")) htmx.ajax("POST", urls.aside, { source: form, target: "#answer", swap: "innerHTML", values: { station: name } });
  });
  answer.addEventListener("htmx:afterSwap", async () => {
    const shown = answer.querySelector("[data-verdict]");
    const verdict = shown ? shown.dataset.verdict : "";
    root.dataset.verdict = verdict;
    if (shown?.dataset.order) root.dataset.order = shown.dataset.order;
    const suggested = shown?.dataset.box;
    if (suggested) root.querySelector("#box").value = suggested;
    placeholder();
    if (verdict === "right" || verdict === "opened") tone("right");
    if (verdict === "wrong") tone("wrong");
    if (verdict === "complete") tone("complete");
    if (verdict === "sealed") {
      tone("complete");
      weight.value = "";
      root.dataset.printing = "1";
      const status = root.querySelector("#print-status");
      status.textContent = status.dataset.working;
      status.dataset.verdict = "";
      const said = [];
      const outcome = await printLabels({ urls, station: name, orders: [root.dataset.order], say: (text) => said.push(text) });
      root.dataset.printed = outcome.printed.join(",");
      status.textContent = outcome.printed.length ? status.dataset.done : [status.dataset.notDone, ...said].join(" ");
      status.dataset.verdict = outcome.printed.length && !outcome.failed.length ? "complete" : "wrong";
      if (status.dataset.verdict === "wrong") tone("wrong");
      await htmx.ajax("POST", urls.next, { source: form, target: "#answer", swap: "innerHTML",
        values: { station: name, after: root.dataset.order } });
      root.dataset.printing = "";
    }
    input.focus();
  });
  placeholder();
  scale(root, weight, input);
}

/** A serial scale where the browser offers Web Serial: read one line, take its grams. Optional, feature-detected. */
function scale(root, weight, input) {
  const button = root.querySelector("#scale");
  if (!button) return;
  if (!("serial" in navigator)) { button.hidden = true; return; }
  button.hidden = false;
  button.addEventListener("click", async () => {
    try {
      const port = await navigator.serial.requestPort();
      await port.open({ baudRate: 9600 });
      const reader = port.readable.pipeThrough(new TextDecoderStream()).getReader();
      let text = "";
      while (!/\n/.test(text)) { const { value, done } = await reader.read(); if (done) break; text += value; }
      reader.releaseLock();
      await port.close();
      const match = text.match(/(\d+(?:\.\d+)?)\s*(kg|g)?/i);
      if (match) {
        const grams = Math.round(Number(match[1]) * (/kg/i.test(match[2] || "") ? 1000 : 1));
        weight.value = String(grams);
        input.value = String(grams);
      }
    } catch (_) { /* no scale chosen: the weight is typed */ }
    input.focus();
  });
}

// --- printing page -------------------------------------------------------------------------------------------------
function printing(root) {
  const name = root.dataset.station;
  const select = root.querySelector("#printer");
  const port = root.querySelector("#component-port");
  const message = root.querySelector("#print-message");
  const urls = root.dataset;
  const say = (text, verdict) => { message.textContent = text; message.dataset.verdict = verdict; if (verdict) tone(verdict); };
  port.value = store.get("kuaifa.componentPort", "");
  port.addEventListener("change", () => store.set("kuaifa.componentPort", port.value.trim()));
  select.addEventListener("change", () => store.set(printerKey(name), select.value));
  const carrier = root.querySelector("#carrier");
  carrier.value = store.get(carrierKey(name), "");
  carrier.addEventListener("change", () => store.set(carrierKey(name), carrier.value));
  root.querySelector("#find-printers").addEventListener("click", async () => {
    const client = new PrintComponentClient({ port: componentPort(), connectTimeoutMs: 3000 });
    try {
      await client.connect();
      const { defaultPrinter, printers } = await client.getPrinters();
      const chosen = store.get(printerKey(name), defaultPrinter);
      select.replaceChildren(...printers.map((p) => new Option(p, p, false, p === chosen)));
      store.set(printerKey(name), select.value);
      say(root.dataset.foundPrinters.replace("%(n)s", printers.length), "");
    } catch (error) {
      say(error.message, "wrong");
    } finally {
      client.close();
    }
  });
  root.addEventListener("click", async (event) => {
    const button = event.target.closest("[data-print-wave], [data-print-selected]");
    if (!button) return;
    const wave = button.dataset.printWave || "";
    const orders = wave ? [] : [...root.querySelectorAll("input[name=ids]:checked")].map((b) => b.value);
    if (!wave && !orders.length) { say(root.dataset.noneSelected, "wrong"); return; }
    say(root.dataset.working, "");
    const outcome = await printLabels({ urls, station: name, orders, wave, say });
    root.dataset.printed = outcome.printed.join(",");
    if (outcome.printed.length || outcome.failed.length) {
      say(root.dataset.printedText.replace("%(printed)s", outcome.printed.length).replace("%(failed)s", outcome.failed.length),
          outcome.failed.length ? "wrong" : "complete");
    }
  });
}

// --- scan-to-ship --------------------------------------------------------------------------------------------------
function dispatch(root) {
  const input = root.querySelector("#scan");
  const form = root.querySelector("#scan-form");
  keepFocused(input);
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    const value = input.value.trim();
    input.value = "";
    htmx.ajax("POST", root.dataset.scan, { source: form, target: "#answer", swap: "innerHTML",
      values: { station: root.dataset.station, code: value } });
  });
  root.querySelector("#answer").addEventListener("htmx:afterSwap", () => {
    const verdict = root.querySelector("#answer [data-verdict]")?.dataset.verdict || "";
    root.dataset.verdict = verdict;
    tone(verdict === "wrong" ? "wrong" : "right");
    input.focus();
  });
}

// 退货入库 (returns in) works as scan-to-ship does: one focused input, a verdict and a tone per scan
const pages = { station, printing, dispatch, returns: dispatch };
document.querySelectorAll("[data-floor]").forEach((root) => pages[root.dataset.floor]?.(root));
