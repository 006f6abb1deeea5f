// The sweep page: summary, leaderboard (filter, sort, pages), learning curves, rungs, effects and pairs.
// Every POLL it asks /api/sweeps/ID/changes?since=CURSOR: the runs and epochs written since, nothing else.
"use strict";
(() => {
  const { initial, getJSON, el, fill, acc, loss, number, duration, statusChips, poll, plotConfig, epochAxis } = mnistq;
  const start = initial();
  const sweepId = start.sweep.id;
  const state = { cursor: start.cursor, seen: start.seen, board: start.board, completed: null, charted: new Map(), lastEpoch: new Map() };
  const METRIC_COLUMNS = [["val_acc", "val acc", acc], ["val_loss", "val loss", loss], ["test_acc", "test acc", acc],
    ["train_seconds", "seconds", (v) => duration(v)], ["best_epoch", "best epoch", number]];
  const LARGER_IS_BETTER = new Set(["val_acc", "test_acc", "train_acc"]);
  const MAX_CURVES = 15;

  // ----- summary ------------------------------------------------------------------------------------------
  function renderSummary(sweep) {
    fill(document.getElementById("counts"), statusChips(sweep.counts));
    document.getElementById("progress-fill").style.width = `${(100 * sweep.progress).toFixed(1)}%`;
    const parts = [`${sweep.finished}/${sweep.total} finished`];
    if (sweep.runs_per_minute !== null) parts.push(`${number(sweep.runs_per_minute)} runs/min`);
    if (sweep.eta_seconds !== null) parts.push(`ETA ${duration(sweep.eta_seconds)}`);
    if (sweep.best_val_acc !== null) parts.push(`best val acc ${acc(sweep.best_val_acc)} (run ${sweep.best_run})`);
    if (sweep.cancelled) parts.push("cancelled");
    document.getElementById("summary-line").textContent = parts.join(" · ");
    if (state.completed !== null && sweep.counts.completed !== state.completed) refreshAnalyses();
    state.completed = sweep.counts.completed;
  }

  // ----- leaderboard ----------------------------------------------------------------------------------------
  function header(key, label) {
    const order = state.board.order;
    const mark = order === key ? " ▲" : order === `-${key}` ? " ▼" : "";
    const next = order === `-${key}` ? key : order === key ? `-${key}` : LARGER_IS_BETTER.has(key) ? `-${key}` : key;
    const th = el("th", { "data-key": key, class: "sortable", title: `sort by ${key}` }, label + mark);
    th.addEventListener("click", () => loadBoard({ order: next, page: 1 }));
    return th;
  }

  function renderBoard() {
    const board = state.board;
    const table = document.getElementById("board");
    fill(table.tHead, el("tr", {}, header("id", "run"), header("engine", "engine"), header("status", "status"),
      board.columns.map((c) => header(c, c)), METRIC_COLUMNS.map(([k, label]) => header(k, label))));
    fill(table.tBodies[0], board.rows.map((r) => el("tr", { "data-run": r.id },
      el("td", {}, el("a", { href: `/runs/${r.id}` }, r.id)), el("td", {}, r.engine),
      el("td", {}, el("span", { class: `status status-${r.status}` }, r.status)),
      board.columns.map((c) => el("td", {}, r.params[c] === null ? "–" : number(r.params[c]))),
      METRIC_COLUMNS.map(([k, , format]) => el("td", { class: "num" }, format(r[k]))))));
    if (!board.rows.length) fill(table.tBodies[0], el("tr", { class: "empty" }, el("td", { colspan: 5 + board.columns.length + METRIC_COLUMNS.length }, "No run matches.")));
    const pager = document.getElementById("pager");
    const link = (label, page) => {
      const a = el("a", { href: "#", "data-page": page }, label);
      a.addEventListener("click", (event) => { event.preventDefault(); loadBoard({ page }); });
      return a;
    };
    fill(pager, board.page > 1 ? link("‹ previous", board.page - 1) : null,
      ` page ${board.page} of ${board.pages} (${board.total} runs) `, board.page < board.pages ? link("next ›", board.page + 1) : null);
  }

  function boardQuery(board) {
    const query = new URLSearchParams({ order: board.order, page: board.page });
    if (board.where) query.set("where", board.where);
    return query;
  }

  async function loadBoard(change = {}) {
    const wanted = { ...state.board, ...change };
    let board;
    try {
      board = await getJSON(`/api/sweeps/${sweepId}/runs?${boardQuery(wanted)}`);
    } catch (error) {
      if (error.status !== 404 || wanted.page === 1) throw error;
      board = await getJSON(`/api/sweeps/${sweepId}/runs?${boardQuery({ ...wanted, page: 1 })}`); // the page emptied
    }
    state.board = board;
    renderBoard();
    history.replaceState(null, "", `/sweeps/${sweepId}?${boardQuery(board)}`);
  }

  document.getElementById("filter").addEventListener("submit", async (event) => {
    event.preventDefault();
    const where = document.getElementById("where").value.trim();
    const shown = document.getElementById("filter-error");
    const check = await getJSON(`/api/filter?${new URLSearchParams({ where })}`);
    if (check.error) {
      shown.textContent = check.error;
      shown.hidden = false;
      return;
    }
    shown.hidden = true;
    await loadBoard({ where, page: 1 });
  });

  // ----- learning curves ------------------------------------------------------------------------------------
  const curvesDiv = document.getElementById("curves");
  const metric = start.curves.some((c) => c.epochs.some((e) => e.val_acc !== null)) || !start.curves.length ? "val_acc" : "train_acc";

  function trace(curve) {
    return {
      x: curve.epochs.map((e) => e.epoch), y: curve.epochs.map((e) => e[metric]), meta: curve.id,
      name: `run ${curve.id} (${curve.engine})`, mode: "lines+markers", marker: { size: 4 },
      hovertemplate: `run %{meta}<br>epoch %{x}<br>${metric.replace("_", " ")} %{y:.4f}<extra></extra>`,
    };
  }

  const lastEpochOf = (curve) => (curve.epochs.length ? curve.epochs[curve.epochs.length - 1].epoch : 0);

  function drawCurves(curves) {
    state.charted = new Map(curves.map((c, i) => [c.id, i]));
    state.lastEpoch = new Map(curves.map((c) => [c.id, lastEpochOf(c)]));
    const longest = Math.max(1, ...state.lastEpoch.values());
    const layout = { margin: { t: 10, r: 10 }, xaxis: epochAxis(longest), yaxis: { title: { text: metric.replace("_", " ") } },
      legend: { orientation: "v" }, height: 380 };
    return Plotly.react(curvesDiv, curves.map(trace), layout, plotConfig);
  }

  async function addCurve(runId) {
    const curve = await getJSON(`/api/runs/${runId}/history`);
    if (state.charted.has(runId)) return;
    state.charted.set(runId, curvesDiv.data.length);
    state.lastEpoch.set(runId, lastEpochOf(curve));
    await Plotly.addTraces(curvesDiv, trace(curve));
  }

  async function extendCurves(epochs, runs) {
    const byRun = new Map();
    for (const e of epochs) if (state.charted.has(e.run_id)) (byRun.get(e.run_id) || byRun.set(e.run_id, []).get(e.run_id)).push(e);
    const rewritten = [...byRun].filter(([id, list]) => list[0].epoch <= state.lastEpoch.get(id)).map(([id]) => id);
    const fresh = [...byRun].filter(([id]) => !rewritten.includes(id));
    if (fresh.length) {
      await Plotly.extendTraces(curvesDiv, { x: fresh.map(([, l]) => l.map((e) => e.epoch)), y: fresh.map(([, l]) => l.map((e) => e[metric])) },
        fresh.map(([id]) => state.charted.get(id)));
      for (const [id, list] of fresh) state.lastEpoch.set(id, list[list.length - 1].epoch);
    }
    for (const id of rewritten) { // a new attempt rewrote epochs already drawn: redraw that run's curve
      const curve = await getJSON(`/api/runs/${id}/history`);
      await Plotly.restyle(curvesDiv, { x: [curve.epochs.map((e) => e.epoch)], y: [curve.epochs.map((e) => e[metric])] }, [state.charted.get(id)]);
      state.lastEpoch.set(id, lastEpochOf(curve));
    }
    // runs that started (or finished between two updates) join the chart while it has room
    const joining = runs.filter((r) => (r.status === "running" || r.status === "completed") && !state.charted.has(r.id));
    for (const run of joining.slice(0, Math.max(0, MAX_CURVES - state.charted.size))) await addCurve(run.id);
    const axis = epochAxis(Math.max(1, ...state.lastEpoch.values()));
    if (axis.dtick !== curvesDiv.layout.xaxis.dtick) await Plotly.relayout(curvesDiv, { "xaxis.dtick": axis.dtick });
  }

  // ----- rungs ------------------------------------------------------------------------------------------------
  function renderRungs(rungs) {
    if (!rungs) return;
    document.getElementById("rungs-section").hidden = false;
    document.getElementById("rungs-note").textContent = `${rungs.strategy} on ${rungs.metric.replace("_", " ")}: the runs that reached each rung and what was decided there.`;
    const format = rungs.metric.endsWith("acc") ? acc : loss;
    fill(document.querySelector("#rungs tbody"), rungs.rungs.length ? rungs.rungs.map((r) => el("tr", {},
      el("td", { class: "num" }, r.rung), el("td", { class: "num" }, r.arrived), el("td", { class: "num" }, r.continued),
      el("td", { class: "num" }, r.pruned), el("td", { class: "num" }, r.diverged), el("td", { class: "num" }, format(r.cutoff)))) :
      el("tr", { class: "empty" }, el("td", { colspan: 6 }, "No run has reached a rung yet.")));
  }

  // ----- effects and pairs ------------------------------------------------------------------------------------
  // the first answers were asked for before the chart library loaded (prefetch.js); later ones are asked now
  function early(name) {
    const answer = (mnistq.prefetched || {})[name];
    if (answer) delete mnistq.prefetched[name];
    return answer;
  }

  async function loadEffects() {
    const effects = await (early("effects") || getJSON(`/api/sweeps/${sweepId}/effects`));
    const note = document.getElementById("effects-note");
    const box = document.getElementById("effects");
    if (!effects.keys.length) {
      note.textContent = effects.completed ? "The sweep varies no key among its completed runs." : "No completed run yet.";
      fill(box);
      return;
    }
    const capped = effects.shown < effects.completed ? ` Showing the best ${effects.shown} of ${effects.completed} completed runs.` : "";
    note.textContent = `${effects.metric.replace("_", " ")} of each completed run against each varied key; hover a point for its run.${capped}`;
    fill(box, effects.keys.map((k) => el("div", { class: "chart small", "data-key": k.key })));
    for (const [i, k] of effects.keys.entries()) {
      const categorical = k.x.some((v) => typeof v === "string");
      await Plotly.react(box.children[i], [{ x: k.x, y: k.y, text: k.run, mode: "markers", type: "scatter", marker: { size: 6, opacity: 0.7 },
        hovertemplate: `run %{text}<br>${k.key} = %{x}<br>${effects.metric.replace("_", " ")} %{y:.4f}<extra></extra>` }],
      { title: { text: k.key, font: { size: 13 } }, margin: { t: 30, r: 10, b: 40, l: 50 }, height: 260,
        xaxis: { type: categorical ? "category" : "-" }, yaxis: { title: { text: effects.metric.replace("_", " ") } } }, plotConfig);
    }
  }

  async function loadPairs() {
    const found = await (early("pairs") || getJSON(`/api/sweeps/${sweepId}/pairs`));
    const note = document.getElementById("pairs-note");
    const format = found.metric.endsWith("acc") ? acc : loss;
    note.textContent = found.pairs.length ? `Configs run with both engines, seeds pooled: mean ± std of ${found.metric.replace("_", " ")}.` : "No config has completed runs with both engines.";
    document.getElementById("pairs").hidden = !found.pairs.length;
    const side = (s) => `${format(s.mean)}${s.std === null ? "" : ` ± ${format(s.std)}`}`;
    fill(document.querySelector("#pairs tbody"), found.pairs.map((p) => el("tr", {}, el("td", {}, p.params),
      el("td", { class: "num" }, side(p.numpy)), el("td", { class: "num" }, side(p.sklearn)),
      el("td", { class: "num" }, duration(p.numpy.seconds)), el("td", { class: "num" }, duration(p.sklearn.seconds)),
      el("td", {}, [...p.numpy.runs, ...p.sklearn.runs].flatMap((id, i) => [i ? ", " : "", el("a", { href: `/runs/${id}` }, id)])))));
  }

  // effects and pairs read every completed run: at most once every 10 s, and once more after the last change
  let analysesDue = 0, analysesPending = null;
  function refreshAnalyses() {
    const wait = analysesDue - Date.now();
    if (wait > 0) {
      analysesPending = analysesPending || setTimeout(() => { analysesPending = null; refreshAnalyses(); }, wait);
      return;
    }
    analysesDue = Date.now() + 10000;
    loadEffects();
    loadPairs();
  }

  // ----- live updates ---------------------------------------------------------------------------------------
  async function step() {
    const update = await getJSON(`/api/sweeps/${sweepId}/changes?since=${state.cursor}&seen=${state.seen}`);
    if (update.reload) {
      const full = await getJSON(`/api/sweeps/${sweepId}/runs?${boardQuery(state.board)}`);
      state.board = full;
      renderBoard();
    } else if (update.runs.length) {
      await loadBoard();
    }
    if (update.sweep) renderSummary(update.sweep);
    if (update.rungs) renderRungs(update.rungs);
    await extendCurves(update.epochs, update.runs);
    state.cursor = update.cursor;
    state.seen = update.seen;
    document.body.dataset.cursor = state.cursor;
  }

  renderSummary(start.sweep);
  renderBoard();
  renderRungs(start.rungs);
  // "drawn": the leaderboard's first page and every chart are on screen (the benchmark measures up to here)
  Promise.all([drawCurves(start.curves), loadEffects(), loadPairs()]).then(() => {
    performance.mark("mnistq:drawn");
    document.body.dataset.drawn = "1";
  });
  poll(step);
})();
