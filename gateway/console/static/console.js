// The console's few behaviours: live status, seeking from the cue list, the provider's params,
// confirmation before deleting. Every page works without it, only less live.
"use strict";

const POLL_MS = 1500;

function pollStatus(container) {
  const url = container.dataset.poll;
  const rows = () => [...document.querySelectorAll("[data-job-id][data-done='false']")];
  async function tick() {
    const pending = rows();
    if (!pending.length) return;
    const query = pending.map((row) => "id=" + encodeURIComponent(row.dataset.jobId)).join("&");
    try {
      const answer = await fetch(url + "?" + query, { headers: { Accept: "application/json" } });
      if (!answer.ok) return; // logged out: stop polling
      const { jobs } = await answer.json();
      for (const row of pending) {
        const job = jobs[row.dataset.jobId];
        if (job) showStatus(row, job);
      }
    } catch (error) {
      // the gateway is restarting: try again at the next tick
    }
    setTimeout(tick, POLL_MS);
  }
  setTimeout(tick, POLL_MS);
}

function showStatus(row, job) {
  const status = row.querySelector("[data-field='status']");
  const progress = row.querySelector("[data-field='progress']");
  const details = row.querySelector("[data-field='details']");
  if (status) {
    status.textContent = job.status;
    status.className = "status status-" + job.status;
  }
  if (progress) {
    const value = job.status === "done" ? 100 : job.progress || 0;
    progress.value = value;
    progress.textContent = value + "%";
  }
  if (details) details.textContent = job.details || "";
  if (job.done) {
    row.dataset.done = "true";
    if (row.dataset.reloadWhenDone) window.location.reload();
  }
}

function linkCuesToVideo() {
  const video = document.getElementById("player");
  if (!video) return;
  document.addEventListener("click", (event) => {
    const seek = event.target.closest("[data-seek]");
    const link = event.target.closest("a.cue-link");
    const cue = link && document.getElementById("cue-" + link.dataset.cue);
    const at = seek ? seek.dataset.seek : cue && cue.dataset.start;
    if (at === undefined || at === null) return;
    video.currentTime = parseFloat(at) + 0.001;
    if (cue) cue.querySelector("textarea").focus();
  });
  video.addEventListener("timeupdate", () => {
    for (const item of document.querySelectorAll("li.cue")) {
      const active = video.currentTime >= parseFloat(item.dataset.start) && video.currentTime < parseFloat(item.dataset.end);
      item.classList.toggle("playing", active);
    }
  });
}

function showChosenProviderParams() {
  const select = document.getElementById("provider");
  if (!select) return;
  const update = () => {
    for (const fieldset of document.querySelectorAll("fieldset.params")) {
      const chosen = fieldset.dataset.provider === select.value;
      fieldset.hidden = !chosen;
      fieldset.disabled = !chosen;
    }
  };
  select.addEventListener("change", update);
  update();
}

function confirmDangerousForms() {
  for (const form of document.querySelectorAll("form[data-confirm]")) {
    form.addEventListener("submit", (event) => {
      if (!window.confirm(form.dataset.confirm)) event.preventDefault();
    });
  }
}

document.addEventListener("DOMContentLoaded", () => {
  const polled = document.querySelector("[data-poll]");
  if (polled) pollStatus(polled);
  linkCuesToVideo();
  showChosenProviderParams();
  confirmDangerousForms();
});
