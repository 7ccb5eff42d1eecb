// regrelay console: a client of the JSON API next to it. Every value from history is written
// with textContent (never parsed as HTML): event fields are whatever a sender put there.
"use strict";

const api = (() => {
  // The page is at <prefix>ui/ ; the API at <prefix>api/ (the Functions host puts both under /api).
  let prefix = location.pathname.replace(/ui\/(index\.html)?$/, "");
  if (prefix.endsWith("/api/")) prefix = prefix.slice(0, -4);
  return prefix + "api/";
})();

const $ = (selector) => document.querySelector(selector);

function el(tag, text, className) {
  const node = document.createElement(tag);
  if (text !== undefined && text !== null) node.textContent = String(text);
  if (className) node.className = className;
  return node;
}

function row(cells) {
  const tr = document.createElement("tr");
  for (const cell of cells) {
    const td = document.createElement("td");
    if (cell instanceof Node) td.append(cell); else td.textContent = cell ?? "";
    tr.append(td);
  }
  return tr;
}

function badge(state) {
  return el("span", String(state).replace(/_/g, " "), "state " + state);
}

function status(message, isError) {
  const node = $("#status");
  node.hidden = !message;
  node.textContent = message || "";
  node.classList.toggle("error", Boolean(isError));
}

async function call(path, options = {}, secret = sessionStorage.getItem("read-secret")) {
  const headers = { accept: "application/json", ...(options.headers || {}) };
  if (secret) headers.authorization = "Bearer " + secret;
  const reply = await fetch(api + path, { ...options, headers });
  let body = null;
  try { body = await reply.json(); } catch (_) { body = null; }
  if (!reply.ok) {
    const why = body && body.error ? body.error : reply.statusText;
    const error = new Error(reply.status + ": " + why);
    error.status = reply.status;
    throw error;
  }
  return body;
}

function localToIso(value) {
  return value ? new Date(value).toISOString() : "";
}

function when(text) {
  if (!text) return "";
  const date = new Date(text);
  return isNaN(date) ? text : date.toLocaleString();
}

// ---- targets -------------------------------------------------------------------------------

async function loadTargets() {
  const { targets } = await call("targets");
  const strip = $("#targets");
  const select = $("#filters select[name=target]");
  strip.replaceChildren();
  select.replaceChildren(el("option", "any"));
  select.firstChild.value = "";
  for (const target of targets) {
    const chip = el("span", null, "target");
    chip.dataset.target = target.name;
    chip.append(el("strong", target.name), " ", el("span", target.kind, "excerpt"), " ");
    const health = target.health || { state: "active" };
    chip.append(badge(health.state));
    if (health.state !== "active") {
      const detail = [health.failures + " failures in a row"];
      if (health.next_probe_at) detail.push("next probe " + when(health.next_probe_at));
      chip.title = detail.join(", ");
    }
    strip.append(chip);
    select.append(el("option", target.name));
  }
}

// ---- list ----------------------------------------------------------------------------------

async function showList() {
  $("#detail").hidden = true;
  $("#list-view").hidden = false;
  const form = new FormData($("#filters"));
  const id = (form.get("id") || "").trim();
  if (id) {
    $("#filters input[name=id]").value = "";
    location.hash = "#/event/" + encodeURIComponent(id);
    return;
  }
  const query = new URLSearchParams();
  for (const name of ["repository", "tag", "registry", "state", "target"]) {
    const value = (form.get(name) || "").trim();
    if (value) query.set(name, value);
  }
  for (const name of ["since", "until"]) {
    const value = localToIso(form.get(name));
    if (value) query.set(name, value);
  }
  query.set("limit", "200");
  const { events } = await call("events?" + query);
  const body = $("#events tbody");
  body.replaceChildren();
  for (const event of events) {
    const image = (event.repository || "-") + (event.tag ? ":" + event.tag : "");
    const targets = el("span");
    for (const pair of event.pairs || []) {
      const item = el("span", null, "pair");
      item.append(pair.target + " ", badge(pair.state), " ");
      targets.append(item);
    }
    const tr = row([when(event.received_at), badge(event.state), event.action,
      event.registry_kind, image, targets, el("span", event.id)]);
    tr.lastChild.className = "id";
    tr.dataset.id = event.id;
    tr.addEventListener("click", () => { location.hash = "#/event/" + encodeURIComponent(event.id); });
    body.append(tr);
  }
  $("#empty").hidden = events.length > 0;
}

// ---- one event -----------------------------------------------------------------------------

function timeline(trace, pair) {
  const box = el("div", null, "timeline");
  box.dataset.target = pair.target;
  const head = el("h4");
  head.append(el("span", pair.target), badge(pair.state),
    el("span", pair.attempts + " attempt" + (pair.attempts === 1 ? "" : "s"), "excerpt"));
  if (pair.state !== "delivered" && pair.state !== "skipped_duplicate") {
    const button = el("button", "Redrive…", "redrive");
    button.type = "button";
    button.dataset.target = pair.target;
    button.addEventListener("click", () => askRedrive(trace.record.event.id, pair.target));
    head.append(button);
  }
  box.append(head);
  if (pair.reason) box.append(el("p", pair.reason, "excerpt"));
  const list = el("ol");
  for (const attempt of trace.attempts.filter((a) => a.target === pair.target)) {
    const item = el("li", null, "attempt");
    item.dataset.class = attempt.class;
    const line = [when(attempt.started_at), attempt.status ? "HTTP " + attempt.status : "no reply",
      attempt.latency_ms + " ms"].join(" · ");
    item.append(badge(attempt.class), " ", el("span", line));
    if (attempt.error) item.append(el("div", attempt.error));
    if (attempt.response_excerpt) item.append(el("div", "reply: " + attempt.response_excerpt, "excerpt"));
    if (attempt.retry_after_secs) item.append(el("div", "asked to wait " + attempt.retry_after_secs + " s", "excerpt"));
    if (attempt.next_attempt_at) item.append(el("div", "next attempt " + when(attempt.next_attempt_at), "excerpt"));
    list.append(item);
  }
  box.append(list);
  return box;
}

async function showEvent(id) {
  $("#list-view").hidden = true;
  $("#detail").hidden = false;
  const trace = await call("events/" + encodeURIComponent(id));
  const event = trace.record.event;
  $("#detail-title").textContent = event.action + " " + (event.repository || "-") +
    (event.tag ? ":" + event.tag : "") + " — " + event.id;
  const facts = $("#facts");
  facts.replaceChildren();
  const fact = (text) => facts.append(el("li", text));
  const c = trace.record.coalescing;
  if (c && c.state === "push") {
    fact("One push: " + c.folded.length + " manifest(s) folded into this event: " +
      c.folded.map((f) => f.id + " (" + (f.digest || "?") + ")").join(", "));
  } else if (c && c.state === "held") {
    const folded = trace.pairs.find((p) => p.state === "folded");
    fact("A tagless manifest of a push, held until " + when(c.until) + " for its index: " +
      (folded ? folded.reason : trace.pairs.some((p) => p.state === "pending") ? "still held" : "no index came, delivered alone"));
  }
  for (const p of event.platforms || []) {
    fact("Platform " + [p.os, p.architecture, p.variant].filter(Boolean).join("/") + " " + p.digest);
  }
  for (const a of event.attestations || []) fact("Attestation " + a);
  for (const note of trace.record.notes || []) fact("Note: " + note);
  const timelines = $("#timelines");
  timelines.replaceChildren();
  for (const pair of trace.pairs) timelines.append(timeline(trace, pair));
  if (!trace.pairs.length) timelines.append(el("p", "No rule sent this event anywhere.", "excerpt"));
  const decisions = $("#decisions tbody");
  decisions.replaceChildren();
  for (const d of trace.record.decisions) {
    decisions.append(row([d.name, badge(d.matched ? "delivered" : "skipped"), (d.reasons || []).join("; ")]));
    decisions.lastChild.children[1].firstChild.textContent = d.matched ? "matched" : "no match";
  }
  const receptions = $("#receptions tbody");
  receptions.replaceChildren();
  for (const r of trace.receptions) {
    receptions.append(row([when(r.received_at), r.kind, r.format || "", String(r.status), r.error || "", r.id]));
  }
  $("#event-json").textContent = JSON.stringify(event, null, 2);
}

// ---- redrive -------------------------------------------------------------------------------

let pending = null;

function askRedrive(id, target) {
  pending = { id, target };
  $("#redrive-question").textContent = "Deliver event " + id + " to " + target + " again now?";
  $("#write-secret").value = sessionStorage.getItem("write-secret") || "";
  $("#redrive-dialog").showModal();
}

async function redrive(event) {
  event.preventDefault();
  const { id, target } = pending;
  const secret = $("#write-secret").value;
  $("#redrive-dialog").close();
  const result = $("#redrive-result");
  result.hidden = false;
  result.classList.remove("error");
  result.textContent = "Redriving to " + target + "…";
  try {
    const report = await call("events/" + encodeURIComponent(id) + "/redrive", {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ target }),
    }, secret);
    if (secret) sessionStorage.setItem("write-secret", secret);
    const attempt = report.attempts[0] || {};
    result.textContent = report.delivered
      ? "Redriven: " + target + " accepted it" + (attempt.status ? " (HTTP " + attempt.status + ")." : ".")
      : "Redrive failed: " + (attempt.error || "the target did not accept it") + ".";
    result.classList.toggle("error", !report.delivered);
    await showEvent(id);
  } catch (error) {
    result.textContent = "Redrive refused: " + error.message;
    result.classList.add("error");
  }
}

// ---- wiring --------------------------------------------------------------------------------

async function render() {
  const match = location.hash.match(/^#\/event\/(.+)$/);
  try {
    status("");
    await loadTargets();
    if (match) await showEvent(decodeURIComponent(match[1]));
    else await showList();
  } catch (error) {
    const hint = error.status === 401 || error.status === 403 ? " Enter the read secret above." : "";
    status(error.message + "." + hint, true);
  }
}

document.addEventListener("DOMContentLoaded", () => {
  $("#read-secret").value = sessionStorage.getItem("read-secret") || "";
  $("#auth").addEventListener("submit", (event) => {
    event.preventDefault();
    sessionStorage.setItem("read-secret", $("#read-secret").value);
    render();
  });
  $("#filters").addEventListener("submit", (event) => { event.preventDefault(); showList().catch((e) => status(e.message, true)); });
  $("#back").addEventListener("click", (event) => { event.preventDefault(); location.hash = ""; });
  $("#redrive-form").addEventListener("submit", redrive);
  $("#redrive-cancel").addEventListener("click", () => $("#redrive-dialog").close());
  window.addEventListener("hashchange", render);
  render();
});
