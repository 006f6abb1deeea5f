// The sweeps page: one row per sweep, updated from /api/sweeps?since=CURSOR (only sweeps that changed).
"use strict";
(() => {
  const { initial, getJSON, el, fill, acc, duration, number, statusChips, progressBar, poll } = mnistq;
  const state = initial();
  const body = document.querySelector("#sweeps tbody");

  function row(sweep) {
    let tr = body.querySelector(`tr[data-sweep="${sweep.id}"]`);
    if (!tr) {
      body.querySelector("tr.empty")?.remove();
      tr = el("tr", { "data-sweep": sweep.id },
        el("td", {}, el("a", { href: `/sweeps/${sweep.id}` }, sweep.id)), el("td", { class: "name" }, sweep.name),
        el("td", {}, sweep.created_at), el("td", {}, sweep.strategy), el("td", { class: "counts" }),
        el("td", { class: "progress" }), el("td", { class: "num rate" }), el("td", { class: "num eta" }),
        el("td", { class: "num best" }));
      const after = [...body.querySelectorAll("tr[data-sweep]")].find((r) => Number(r.dataset.sweep) < sweep.id);
      body.insertBefore(tr, after || null);
    }
    fill(tr.querySelector(".counts"), statusChips(sweep.counts));
    fill(tr.querySelector(".progress"), progressBar(sweep.progress), ` ${sweep.finished}/${sweep.total}`);
    tr.querySelector(".rate").textContent = sweep.runs_per_minute === null ? "–" : number(sweep.runs_per_minute);
    tr.querySelector(".eta").textContent = sweep.eta_seconds === null ? "–" : duration(sweep.eta_seconds);
    const best = tr.querySelector(".best");
    fill(best, sweep.best_run === null ? "–" : el("a", { href: `/runs/${sweep.best_run}` }, acc(sweep.best_val_acc)));
  }

  state.sweeps.forEach(row);
  poll(async () => {
    const update = await getJSON(`/api/sweeps?since=${state.cursor}&seen=${state.seen}`);
    state.cursor = update.cursor;
    state.seen = update.seen;
    update.sweeps.forEach(row);
  });
})();
