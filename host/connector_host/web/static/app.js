// Progressive enhancement for the host's pages. Every page works without it; no inline script (CSP).
"use strict";
(function () {
  const csrf = () => (document.querySelector('meta[name="csrf-token"]') || {}).content || "";
  const el = (tag, attrs, ...children) => {
    const n = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs || {})) { if (k === "class") n.className = v; else n.setAttribute(k, v); }
    for (const c of children) n.append(c instanceof Node ? c : document.createTextNode(c == null ? "" : String(c)));
    return n;
  };
  async function api(url, opts) {
    const o = Object.assign({ credentials: "same-origin", headers: {} }, opts || {});
    o.headers = Object.assign({ "X-CSRFToken": csrf(), "Accept": "application/json" }, o.headers);
    const resp = await fetch(url, o);
    let body = null;
    try { body = await resp.json(); } catch (e) { body = { error: "unexpected response (" + resp.status + ")" }; }
    return { ok: resp.ok, status: resp.status, body };
  }

  // ---- Integrations: filter cards as you type
  document.querySelectorAll("[data-filter-cards]").forEach((input) => {
    const box = document.querySelector(input.dataset.filterCards);
    const empty = document.querySelector(".empty-search");
    const apply = () => {
      const q = input.value.trim().toLowerCase();
      let shown = 0;
      box.querySelectorAll("[data-search]").forEach((card) => {
        const hit = !q || card.dataset.search.includes(q);
        card.hidden = !hit; if (hit) shown++;
      });
      if (empty) empty.hidden = shown > 0;
    };
    input.addEventListener("input", apply);
    input.form && input.form.addEventListener("submit", (e) => { e.preventDefault(); apply(); });
  });

  // ---- Configure: oneOf choices show only the chosen branch
  document.querySelectorAll("[data-choice]").forEach((fs) => {
    const name = fs.dataset.choice;
    const sync = () => {
      const chosen = fs.querySelector('input[data-branch-radio="' + CSS.escape(name) + '"]:checked');
      fs.querySelectorAll('[data-branch-of="' + CSS.escape(name) + '"]').forEach((b) => {
        const on = chosen && b.dataset.branch === chosen.value;
        b.hidden = !on;
        b.querySelectorAll("input, select, textarea").forEach((i) => { i.disabled = !on; });
      });
    };
    fs.addEventListener("change", sync);
    sync();
  });

  // ---- Configure: Test Connection through the JSON API (the form, secrets included, stays as typed)
  const form = document.getElementById("configure");
  const testBtn = document.getElementById("test-connection");
  if (form && testBtn) {
    testBtn.addEventListener("click", async (e) => {
      e.preventDefault();
      const panel = document.getElementById("test-panel");
      const out = document.getElementById("test-result");
      panel.hidden = false;
      out.replaceChildren(el("p", { class: "muted" }, "Testing the connection…"));
      testBtn.disabled = true;
      const data = new FormData(form);
      data.delete("_action");
      try {
        const r = await api(form.dataset.testUrl, { method: "POST", body: data });
        showFieldErrors(form, (r.body && r.body.errors) || {});
        out.replaceChildren(renderTest(r.body && r.body.result ? r.body.result : { status: "failed", message: r.body.error || "request failed" }, r.body && r.body.general));
        // the result where the admin is looking: the first field in error, else the result panel
        const bad = form.querySelector(".field.has-error");
        (bad || panel).scrollIntoView({ block: "center", behavior: "smooth" });
        if (!bad) { panel.tabIndex = -1; panel.focus({ preventScroll: true }); }
      } catch (err) {
        out.replaceChildren(el("p", { class: "field-error" }, "The host did not answer: " + err));
      } finally { testBtn.disabled = false; }
    });
  }
  if (form) {
    // a field's error is stale once the admin edits that field
    form.addEventListener("input", (e) => {
      const div = e.target.closest && e.target.closest(".field.has-error");
      if (!div) return;
      div.classList.remove("has-error");
      div.querySelectorAll(".field-error").forEach((p) => p.remove());
    });
  }
  function showFieldErrors(f, errors) {
    f.querySelectorAll(".field").forEach((div) => {
      div.classList.remove("has-error");
      div.querySelectorAll(".field-error").forEach((p) => p.remove());  // the server's from a failed save too
      const msg = errors[div.dataset.field];
      if (msg) { div.classList.add("has-error"); div.append(el("p", { class: "field-error js", role: "alert" }, msg)); }
    });
  }
  function renderTest(res, general) {
    const frag = document.createDocumentFragment();
    const ok = res.status === "succeeded";
    const head = el("div", { class: "test-status " + (ok ? "ok" : "bad") },
      el("strong", {}, ok ? "Connection succeeded" : "Connection failed"), " ",
      res.failure_kind ? el("span", { class: "tag" }, res.failure_kind) : "",
      el("p", {}, res.message || ""));
    frag.append(head);
    (general || []).forEach((g) => frag.append(el("div", { class: "flash error" }, g)));
    if (res.identity && typeof res.identity === "object") {
      frag.append(el("h3", {}, "Identity"));
      const dl = el("dl", { class: "kv" });
      for (const [k, v] of Object.entries(res.identity)) dl.append(el("dt", {}, k), el("dd", {}, Array.isArray(v) ? (v.join(", ") || "–") : (typeof v === "object" && v ? JSON.stringify(v) : v)));
      frag.append(dl);
    }
    if (res.warnings && res.warnings.length) {
      frag.append(el("h3", {}, "Warnings"));
      const ul = el("ul", { class: "warnings" });
      res.warnings.forEach((w) => ul.append(el("li", {}, w)));
      frag.append(ul);
    }
    if (res.capabilities && res.capabilities.length) {
      frag.append(el("h3", {}, "Capabilities"));
      const tb = el("tbody");
      res.capabilities.forEach((c) => {
        const detail = el("td", { class: "small" }, c.message || c.detail || "");
        if (c.missing_scopes && c.missing_scopes.length) detail.append(" ", el("span", { class: "muted" }, "missing: " + c.missing_scopes.join(", ")));
        // a collection declared beyond the credential's role (Super Administrator only): calm grey, not an error
        const status = c.out_of_scope ? "not in scope" : String(c.status).replace(/_/g, " ");
        tb.append(el("tr", {}, el("td", {}, c.name), el("td", {}, el("span", { class: "cap cap-" + (c.out_of_scope ? "not_available" : c.status) }, status)), detail));
      });
      frag.append(el("table", { class: "table compact caps" }, tb));
    }
    return frag;
  }

  // ---- Sync Now: start through the API, then poll its progress without reloading
  document.querySelectorAll("[data-sync-form]").forEach((sf) => {
    const buttons = sf.querySelectorAll("button");
    const btn = { set disabled(v) { buttons.forEach((b) => { b.disabled = v; }); } };
    const panel = document.getElementById("progress-panel");
    const text = document.getElementById("progress-text");
    const counts = document.querySelector("#progress-counts tbody");
    let timer = null;
    const poll = async () => {
      let r;
      try { r = await api(sf.dataset.status, { method: "GET" }); } catch (e) { r = { ok: false, body: {} }; }
      if (!r.ok) {  // the host is busy or restarting: keep asking
        text.textContent = (r.body && r.body.error) || "waiting for the host…";
        timer = setTimeout(poll, 2000);
        return;
      }
      const s = r.body;
      if (s.running) {
        panel.hidden = false; btn.disabled = true;
        panel.dataset.seen = String(Number(panel.dataset.seen || 0) + 1);
        const eta = s.eta_seconds == null ? "" : " · about " + (s.eta_seconds < 60 ? Math.round(s.eta_seconds) + " s" : Math.round(s.eta_seconds / 60) + " min") + " left";
        text.textContent = (s.sync_id ? "Sync #" + s.sync_id + ": " : "") + s.records + " records" +
          (s.requests ? ", " + s.requests + " API requests" : "") + (s.waiting ? " · " + s.waiting : (s.message ? " · " + s.message : "")) + eta;
        const totals = s.totals || {};  // the objects expected per collection: Okta's total or the last sync's count
        counts.replaceChildren(...Object.entries(s.counts || {}).slice(-12).map(([k, v]) => el("tr", {}, el("td", {}, k), el("td", { class: "num" }, totals[k] && v <= totals[k] ? v + " / " + totals[k] : v))));
        timer = setTimeout(poll, 1000);
      } else {
        btn.disabled = false;
        panel.hidden = true;
        const last = s.last_sync;
        if (s.error) flash(s.error, "error");
        if (last) {
          flash("Sync #" + last.id + " " + last.status + ": " + last.findings_seen + " findings (" + last.findings_new + " new, " + last.findings_resolved + " resolved), " + last.assets_seen + " assets.", { succeeded: "ok", partial: "warn" }[last.status] || "error", true);
          if (last.message) document.getElementById("sync-result").append(el("div", { class: "small" }, last.message));
          const tbody = document.querySelector("#recent tbody");
          if (tbody) {
            const none = tbody.querySelector(".none"); if (none) none.remove();
            const started = new Date(last.started_at).toISOString().replace("T", " ").slice(0, 19) + " UTC";
            tbody.prepend(el("tr", {}, el("td", {}, started), el("td", {}, el("span", { class: "st st-" + last.status }, last.status)),
              el("td", {}, last.findings_seen + " (+" + last.findings_new + " / −" + last.findings_resolved + ")")));
          }
        }
      }
    };
    sf.addEventListener("submit", async (e) => {
      e.preventDefault();
      btn.disabled = true;
      const full = e.submitter && e.submitter.name === "mode" && e.submitter.value === "full";  // the Full sync button
      const r = await api(sf.dataset.api, full ? { method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify({ mode: "full" }) } : { method: "POST" });
      if (!r.ok && r.status !== 409) { btn.disabled = false; flash(r.body.error || "could not start the sync", "error"); return; }
      panel.hidden = false;
      text.textContent = "Starting…";
      clearTimeout(timer); poll();
    });
    if (panel && !panel.hidden) poll();
  });
  function flash(msg, cat, links) {
    const main = document.querySelector("main");
    const div = el("div", { class: "flash " + cat, role: "status", id: "sync-result" }, msg);
    if (links) {
      div.append(" ", el("a", { href: "/history" }, "History"), " · ", el("a", { href: "/findings" }, "Findings"), " · ", el("a", { href: "/assets" }, "Assets"));
    }
    const old = document.getElementById("sync-result"); if (old) old.remove();
    main.prepend(div);
  }

  // ---- tables: a click anywhere on a row opens it
  document.querySelectorAll("tr[data-href]").forEach((tr) => {
    tr.addEventListener("click", (e) => { if (!e.target.closest("a, button, input")) window.location = tr.dataset.href; });
  });
  document.querySelectorAll("select[data-autosubmit], input[data-autosubmit]").forEach((s) => s.addEventListener("change", () => s.form.submit()));
  document.querySelectorAll("form[data-confirm]").forEach((f) => f.addEventListener("submit", (e) => { if (!window.confirm(f.dataset.confirm)) e.preventDefault(); }));
  document.documentElement.setAttribute("data-js", "ready");  // tests wait for this before using the page
})();
