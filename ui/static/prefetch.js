// Runs before the chart library: asks for the sweep page's slower answers (effects, numpy vs sklearn pairs)
// while plotly.min.js downloads and compiles, so they are not waited for one after the other.
"use strict";
(() => {
  const id = document.getElementById("summary").dataset.sweep;
  const early = (path) => {
    const answer = mnistq.getJSON(`/api/sweeps/${id}/${path}`);
    answer.catch(() => {}); // its reader handles a failure; until then it is not an unhandled rejection
    return answer;
  };
  mnistq.prefetched = { effects: early("effects"), pairs: early("pairs") };
})();
