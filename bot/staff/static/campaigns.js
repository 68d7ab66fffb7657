// The campaign page's live progress: while a campaign is scheduled or running, ask for its counts every
// few seconds and redraw them (no page load); the pause and resume buttons follow its status.
(function () {
  "use strict";
  const page = document.getElementById("campaign");
  if (!page) return;
  const EVERY_MS = 3000;
  const live = (status) => status === "scheduled" || status === "running";

  function show(id, text) {
    const el = document.getElementById(id);
    if (el) { el.textContent = text || ""; el.hidden = !text; }
  }

  function draw(p) {
    document.getElementById("campaign-status").textContent = p.status;
    document.getElementById("campaign-status").className = "status status-" + p.status;
    document.getElementById("campaign-progress").value = p.progress;
    document.getElementById("campaign-percent").textContent = p.progress + "%";
    for (const key of ["sent", "delivered", "failed", "skipped"]) {
      document.getElementById("count-" + key).textContent = p[key];
    }
    document.getElementById("count-remaining").textContent = p.remaining + p.sending;
    show("paused-reason", p.paused_reason);
    show("waiting", p.waiting);
    document.getElementById("pause-form").hidden = !live(p.status);
    document.getElementById("resume-form").hidden = p.status !== "paused";
    page.dataset.status = p.status;
  }

  async function poll() {
    try {
      const r = await fetch(page.dataset.progress, { headers: { Accept: "application/json" } });
      if (r.ok) draw(await r.json());
    } catch (e) { /* offline for a moment: try again next time */ }
    if (live(page.dataset.status)) setTimeout(poll, EVERY_MS);
  }

  if (live(page.dataset.status)) setTimeout(poll, EVERY_MS);
})();
