// The run page: result, history charts (updated while the run trains), rung decisions and, from the stored
// weights, the confusion matrix and the most confident mistakes on the run's test split.
"use strict";
(() => {
  const { initial, getJSON, el, fill, acc, loss, number, duration, poll, plotConfig, epochAxis } = mnistq;
  const view = initial();
  const run = view.run;
  const RESULT = [["val_acc", "val accuracy", acc], ["test_acc", "test accuracy", acc], ["train_acc", "train accuracy", acc],
    ["val_loss", "val loss", loss], ["test_loss", "test loss", loss], ["train_loss", "train loss", loss],
    ["best_epoch", "best epoch", number], ["train_seconds", "training time", duration], ["worker", "worker", String],
    ["started_at", "started (UTC)", String], ["finished_at", "finished (UTC)", String]];

  fill(document.querySelector("#result tbody"), RESULT.filter(([k]) => run[k] !== null && run[k] !== undefined)
    .map(([k, label, format]) => el("tr", {}, el("th", {}, label), el("td", {}, format(run[k])))));

  function drawHistory(epochs) {
    const line = (key, name) => ({ x: epochs.map((e) => e.epoch), y: epochs.map((e) => e[key]), name, mode: "lines+markers",
      marker: { size: 4 }, hovertemplate: `run ${run.id}<br>epoch %{x}<br>${name} %{y:.4f}<extra></extra>` });
    const layout = (title) => ({ margin: { t: 30, r: 10 }, height: 320, title: { text: title, font: { size: 13 } }, xaxis: epochAxis(epochs.length) });
    return Promise.all([
      Plotly.react("history-acc", [line("train_acc", "train acc"), line("val_acc", "val acc")], layout("accuracy"), plotConfig),
      Plotly.react("history-loss", [line("train_loss", "train loss"), line("val_loss", "val loss")], layout("loss"), plotConfig),
    ]);
  }

  const verdicts = view.decisions.map((d) => el("tr", {}, el("td", {}, el("a", { href: `/sweeps/${d.sweep_id}` }, d.sweep_id)),
    el("td", { class: "num" }, d.rung), el("td", {}, d.rule), el("td", {}, d.metric), el("td", { class: "num" }, number(d.value)),
    el("td", { class: "num" }, number(d.cutoff)), el("td", {}, el("span", { class: `status status-${d.verdict}` }, d.verdict))));
  fill(document.querySelector("#decisions tbody"), verdicts);

  async function loadAnalysis() {
    const note = document.getElementById("analysis-note");
    try {
      const found = await getJSON(`/api/runs/${run.id}/analysis`);
      note.textContent = `${found.dataset}: ${found.n_test} test images, accuracy ${acc(found.test_acc)}, ${found.n_mistakes} mistakes (the most confident ones below, true→predicted).`;
      const k = found.confusion.length;
      const labels = [...Array(k).keys()].map(String);
      await Plotly.react("confusion", [{ z: found.confusion, x: labels, y: labels, type: "heatmap", colorscale: "Blues", reversescale: true,
        hovertemplate: "true %{y}, predicted %{x}: %{z}<extra></extra>" }],
      { margin: { t: 30, r: 10 }, height: 360, title: { text: "confusion matrix", font: { size: 13 } },
        xaxis: { title: { text: "predicted" }, type: "category" }, yaxis: { title: { text: "true" }, type: "category", autorange: "reversed" } }, plotConfig);
      if (found.mistakes_png) {
        const image = document.getElementById("mistakes");
        image.src = found.mistakes_png;
        image.hidden = false;
      }
    } catch (error) {
      note.textContent = error.message;
    }
    document.body.dataset.analysis = "ready";
  }

  let last = JSON.stringify(view.history);
  drawHistory(view.history).then(() => { document.body.dataset.drawn = "1"; });
  if (view.analysable) loadAnalysis();
  if (run.status === "queued" || run.status === "running") {
    poll(async () => {
      const curve = await getJSON(`/api/runs/${run.id}/history`);
      document.getElementById("run-status").textContent = curve.status;
      const now = JSON.stringify(curve.epochs);
      if (now !== last) {
        last = now;
        await drawHistory(curve.epochs);
      }
    });
  }
})();
