// Shared by the dashboard's pages: JSON fetches, DOM building (text only, never HTML from data), number
// formats and the polling loop. Every stored string reaches the page through textContent.
"use strict";

const mnistq = (() => {
  const pollMs = Number(document.body.dataset.pollMs) || 1500;

  function initial() {
    const node = document.getElementById("initial");
    return node ? JSON.parse(node.textContent) : null;
  }

  async function getJSON(url) {
    const response = await fetch(url, { headers: { accept: "application/json" }, credentials: "same-origin" });
    const body = await response.json().catch(() => ({ error: `HTTP ${response.status}` }));
    if (!response.ok) {
      const error = new Error(body.error || `HTTP ${response.status}`);
      error.status = response.status;
      throw error;
    }
    return body;
  }

  // el("td", {class: "num"}, "text", childNode): attributes set as attributes, strings as text nodes
  function el(tag, attrs, ...children) {
    const node = document.createElement(tag);
    for (const [key, value] of Object.entries(attrs || {})) {
      if (value !== null && value !== undefined && value !== false) node.setAttribute(key, value === true ? "" : value);
    }
    for (const child of children.flat()) {
      if (child === null || child === undefined) continue;
      node.append(child instanceof Node ? child : document.createTextNode(String(child)));
    }
    return node;
  }

  function fill(node, ...children) {
    node.replaceChildren(...children.flat().filter((c) => c !== null && c !== undefined));
  }

  const dash = "–";
  const acc = (v) => (v === null || v === undefined ? dash : `${(100 * v).toFixed(2)} %`);
  const loss = (v) => (v === null || v === undefined ? dash : v.toFixed(4));
  const number = (v) => {
    if (v === null || v === undefined) return dash;
    if (typeof v !== "number") return String(v);
    if (Number.isInteger(v)) return String(v);
    return Math.abs(v) >= 0.01 && Math.abs(v) < 1e4 ? String(Number(v.toPrecision(4))) : v.toExponential(2);
  };
  function duration(seconds) {
    if (seconds === null || seconds === undefined) return dash;
    if (seconds < 1) return `${seconds.toFixed(2)} s`;
    if (seconds < 60) return `${seconds.toFixed(1)} s`;
    const s = Math.round(seconds), h = Math.floor(s / 3600), m = Math.floor((s % 3600) / 60), r = s % 60;
    const pad = (x) => String(x).padStart(2, "0");
    return h ? `${h}:${pad(m)}:${pad(r)}` : `${m}:${pad(r)}`;
  }

  const STATUSES = ["queued", "running", "completed", "pruned", "failed", "diverged", "cancelled"];

  function statusChips(counts) {
    return STATUSES.filter((s) => counts[s]).map((s) => el("span", { class: `chip status-${s}`, "data-status": s }, `${counts[s]} ${s}`));
  }

  function progressBar(fraction) {
    return el("div", { class: "bar", title: `${(100 * fraction).toFixed(1)} % finished` },
      el("div", { class: "fill", style: `width: ${(100 * fraction).toFixed(1)}%` }));
  }

  // Calls `step` every pollMs, one call at a time; the header's "live" mark shows whether the last one worked.
  function poll(step) {
    const live = document.getElementById("live");
    async function tick() {
      try {
        await step();
        live.classList.remove("down");
        live.title = `updated ${new Date().toLocaleTimeString()}`;
      } catch (error) {
        live.classList.add("down");
        live.title = `no update: ${error.message}`;
      }
      setTimeout(tick, pollMs);
    }
    setTimeout(tick, pollMs);
  }

  const plotConfig = { displaylogo: false, responsive: true };

  // an epoch axis: ticks on whole epochs, about ten of them (1, 2, 5 x a power of ten apart)
  function epochAxis(maxEpoch) {
    const raw = Math.max(1, maxEpoch / 10);
    const power = 10 ** Math.floor(Math.log10(raw));
    const step = [1, 2, 5, 10].map((m) => m * power).find((s) => s >= raw);
    return { title: { text: "epoch" }, tickformat: "d", tick0: 0, dtick: step, zeroline: false };
  }

  return { initial, getJSON, el, fill, acc, loss, number, duration, statusChips, progressBar, poll, plotConfig, epochAxis, pollMs };
})();
