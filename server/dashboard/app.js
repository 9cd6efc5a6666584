// strata dashboard: plain JavaScript over the admin API (docs/dashboard.md).
// The admin key lives in this tab's sessionStorage and goes only into the
// Authorization header; it is never put in a URL or written to the console.
"use strict";

const KEY_STORE = "strata.adminKey";
let adminKey = sessionStorage.getItem(KEY_STORE) || "";
let leavePage = null; // the current page's cleanup (stops its event stream)
let dirtyEditor = null; // a function reporting whether an edit is unsaved
let lastHash = location.hash;

// ---- DOM helpers (text only: data never becomes markup) ----

function el(tag, attrs, ...children) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === undefined || v === null || v === false) continue;
    if (k === "class") e.className = v;
    else if (k === "text") e.textContent = v;
    else if (k.startsWith("on")) e.addEventListener(k.slice(2), v);
    else if (k === "dataset") Object.assign(e.dataset, v);
    else e.setAttribute(k, v === true ? "" : v);
  }
  for (const c of children.flat()) {
    if (c === null || c === undefined || c === false) continue;
    e.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
  return e;
}
const $ = (sel, root = document) => root.querySelector(sel);

function errorBox(id) {
  return el("p", { id, class: "error", role: "alert", hidden: true });
}
function showError(box, err) {
  box.textContent = err ? (err.status ? `HTTP ${err.status}: ` : "") + err.message : "";
  box.hidden = !err;
}

// ---- the admin API ----

class APIError extends Error {
  constructor(status, message, body) {
    super(message);
    this.status = status;
    this.body = body || {};
  }
}

async function api(method, path, body, { raw = false } = {}) {
  const headers = { Authorization: "Convex " + adminKey };
  let payload;
  if (body !== undefined) {
    headers["Content-Type"] = "application/json";
    payload = typeof body === "string" ? body : JSON.stringify(body);
  }
  let resp;
  try {
    resp = await fetch(path, { method, headers, body: payload });
  } catch (e) {
    throw new APIError(0, "the server did not answer: " + e.message);
  }
  const text = await resp.text();
  let data = null;
  try { data = text ? JSON.parse(text) : null; } catch { data = null; }
  if (!resp.ok) {
    const msg = data && data.error ? data.error : text || resp.statusText;
    if (resp.status === 401 && !raw) loggedOut("The server refused the admin key: " + msg);
    throw new APIError(resp.status, msg, data);
  }
  return data;
}

// confirmAction asks in a modal dialog (keyboard: Tab, Enter, Escape) and
// resolves to true if the operator confirms.
function confirmAction(title, text, okLabel) {
  const d = $("#confirm");
  $("#confirm-title").textContent = title;
  $("#confirm-text").textContent = text;
  $("#confirm-ok").textContent = okLabel || "Confirm";
  d.returnValue = "";
  return new Promise((resolve) => {
    d.addEventListener("close", () => resolve(d.returnValue === "ok"), { once: true });
    d.showModal();
    $("#confirm-cancel").focus();
  });
}

// ---- values (Convex's JSON encoding in answers) ----

function b64bytes(s) {
  const bin = atob(s);
  const out = new Uint8Array(bin.length);
  for (let i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
  return out;
}
function int64Of(b64) {
  const b = b64bytes(b64);
  if (b.length !== 8) return null;
  return new DataView(b.buffer).getBigInt64(0, true);
}
// editable turns Convex's int64 encoding into strata's readable one
// ({"$integer": "42"}), which the admin API accepts as well.
function editable(x) {
  if (Array.isArray(x)) return x.map(editable);
  if (x && typeof x === "object") {
    const keys = Object.keys(x);
    if (keys.length === 1 && keys[0] === "$integer") {
      const n = int64Of(x.$integer);
      return n === null ? x : { $integer: n.toString() };
    }
    const out = {};
    for (const k of keys) out[k] = editable(x[k]);
    return out;
  }
  return x;
}
function short(x) {
  if (x === undefined) return "";
  if (typeof x === "string") return JSON.stringify(x);
  if (x && typeof x === "object" && Object.keys(x).length === 1 && "$integer" in x) {
    const n = int64Of(x.$integer);
    return n === null ? JSON.stringify(x) : n.toString();
  }
  return JSON.stringify(editable(x));
}
function fmtTime(ms) {
  if (!ms) return "";
  const d = new Date(typeof ms === "number" ? ms : Date.parse(ms));
  return isNaN(d) ? String(ms) : d.toISOString().replace("T", " ").replace("Z", "");
}
function fmtDuration(s) {
  if (!(s > 0) || !isFinite(s)) return "—";
  s = Math.round(s);
  const h = Math.floor(s / 3600), m = Math.floor((s % 3600) / 60), sec = s % 60;
  return (h ? h + "h " : "") + (h || m ? m + "m " : "") + sec + "s";
}
const nf = new Intl.NumberFormat("en-US");

// ---- login ----

function loggedOut(message) {
  adminKey = "";
  sessionStorage.removeItem(KEY_STORE);
  stopPage();
  $("#nav").hidden = true;
  $("#logout").hidden = true;
  $("#page").replaceChildren();
  $("#login").hidden = false;
  showError($("#login-error"), message ? { message } : null);
  $("#login-key").value = "";
  $("#login-key").focus();
}

async function login(ev) {
  ev.preventDefault();
  const box = $("#login-error");
  const key = $("#login-key").value.trim();
  if (!key) return;
  adminKey = key;
  try {
    await api("GET", "/api/admin/dashboard/health", undefined, { raw: true });
  } catch (e) {
    adminKey = "";
    showError(box, e.status === 401 ? { message: "Wrong admin key: " + e.message } : e);
    $("#login-key").select();
    $("#login-key").setAttribute("aria-invalid", "true");
    return;
  }
  sessionStorage.setItem(KEY_STORE, key);
  $("#login-key").value = "";
  $("#login-key").removeAttribute("aria-invalid");
  showError(box, null);
  enter();
}

function enter() {
  $("#login").hidden = true;
  $("#nav").hidden = false;
  $("#logout").hidden = false;
  if (!location.hash || location.hash === "#") location.hash = "#/health";
  else route();
}

// ---- routing ----

function stopPage() {
  if (leavePage) leavePage();
  leavePage = null;
  dirtyEditor = null;
}

async function onHashChange() {
  if (dirtyEditor && dirtyEditor() && location.hash !== lastHash) {
    const target = location.hash;
    history.replaceState(null, "", lastHash);
    const ok = await confirmAction("Discard the edit?", "The document editor has unsaved changes.", "Discard");
    if (!ok) return;
    dirtyEditor = null;
    location.hash = target;
    return;
  }
  route();
}

function route() {
  if (!adminKey) return loggedOut();
  lastHash = location.hash;
  stopPage();
  const parts = location.hash.replace(/^#\/?/, "").split("/").map(decodeURIComponent);
  const pages = { health: healthPage, tables: tablesPage, schema: schemaPage, migrations: migrationsPage, scheduled: scheduledPage };
  const page = pages[parts[0]] || healthPage;
  for (const a of document.querySelectorAll("#nav a")) {
    if (a.getAttribute("href") === "#/" + (pages[parts[0]] ? parts[0] : "health")) a.setAttribute("aria-current", "page");
    else a.removeAttribute("aria-current");
  }
  const root = $("#page");
  root.replaceChildren();
  // Focus the page's heading once it is there, unless the operator has
  // already moved into the page.
  Promise.resolve(page(root, parts.slice(1))).finally(() => {
    const h = root.querySelector("h1");
    const a = document.activeElement;
    if (h && (!a || a === document.body || a === $("#main") || !root.contains(a))) { h.tabIndex = -1; h.focus({ preventScroll: true }); }
  });
}

// ---- health ----

async function healthPage(root) {
  const box = errorBox("health-error");
  const body = el("div", { id: "health" }, el("p", { class: "muted", text: "Loading…" }));
  const checkOut = el("div", { id: "check-report" });
  const checkErr = errorBox("check-error");
  const checkBtn = el("button", { type: "button", id: "run-check", onclick: async () => {
    if (!(await confirmAction("Run strata check?", "Check reads every document and index entry of every table; on a large database it takes a while and loads the server.", "Run check"))) return;
    checkBtn.disabled = true;
    showError(checkErr, null);
    checkOut.replaceChildren(el("p", { class: "muted", text: "Checking…" }));
    try {
      const rep = await api("POST", "/api/admin/check");
      checkOut.replaceChildren(el("pre", { text: JSON.stringify(rep, null, 2) }));
    } catch (e) { checkOut.replaceChildren(); showError(checkErr, e); }
    checkBtn.disabled = false;
  } }, "Run check…");
  root.append(el("h1", { text: "Health" }), box, body, el("h2", { text: "Consistency check" }),
    el("p", { class: "muted", text: "strata check compares every document with its index entries. It is not run automatically." }),
    checkBtn, checkErr, checkOut);
  try {
    const h = await api("GET", "/api/admin/dashboard/health");
    const card = (label, value, note) => el("div", { class: "card" }, el("div", { class: "muted", text: label }), el("div", { class: "big", text: value }), note ? el("div", { class: "muted", text: note }) : null);
    const migStates = Object.entries(h.migrations).map(([s, n]) => `${n} ${s}`).join(", ") || "none";
    body.replaceChildren(el("div", {},
      el("div", { class: "cards" },
        card("Tables", nf.format(h.tables), h.schemaTables >= 0 ? `${h.schemaTables} in the schema` : "no schema pushed"),
        card("Functions", nf.format(h.functions)),
        card("Active migrations", nf.format(h.active.length), migStates),
        card("Index builds in progress", nf.format(h.indexBuilds.length)),
        card("Scheduled: pending", nf.format(h.scheduled.pending), h.scheduled.lagSeconds > 0 ? `oldest due ${fmtDuration(h.scheduled.lagSeconds)} ago` : "none overdue"),
        card("Scheduled: failed", nf.format(h.scheduled.failed))),
      h.active.length ? el("div", {}, el("h2", { text: "Active migrations" }), el("ul", {}, h.active.map((m) =>
        el("li", {}, el("a", { href: "#/migrations" }, m.name), " on ", m.table, " ", el("span", { class: "state " + m.state, text: m.state }),
          m.error ? el("span", { class: "error", text: " " + m.error }) : null)))) : null,
      h.indexBuilds.length ? el("div", {}, el("h2", { text: "Index builds" }), el("ul", {}, h.indexBuilds.map((b) =>
        el("li", {}, `${b.table}.${b.index}: ${nf.format(b.processed)} / ${nf.format(b.total)} (${b.state})`)))) : null,
      h.problems.length ? el("p", { class: "error", role: "alert", text: "Could not read: " + h.problems.join("; ") }) : null,
      el("p", { class: "muted", text: "As of " + fmtTime(h.time) })));
  } catch (e) { body.replaceChildren(); showError(box, e); }
}

// ---- tables and documents ----

async function tablesPage(root, rest) {
  if (rest.length && rest[0]) return documentsPage(root, rest[0]);
  const box = errorBox("tables-error");
  const list = el("div", { class: "scroll" }, el("p", { class: "muted", text: "Loading…" }));
  root.append(el("h1", { text: "Tables" }), box, list);
  try {
    const { tables } = await api("GET", "/api/admin/tables");
    const showSystem = el("input", { type: "checkbox", id: "show-system" });
    const tbody = el("tbody");
    const fill = () => tbody.replaceChildren(...tables.filter((t) => showSystem.checked || !t.name.startsWith("_")).map((t) =>
      el("tr", {}, el("td", {}, el("a", { href: "#/tables/" + encodeURIComponent(t.name), class: "table-link" }, t.name)),
        el("td", { text: nf.format(t.count) }),
        el("td", { class: "mono", text: t.indexes.map((i) => `${i.name} (${i.fields.join(", ")})`).join("; ") || "—" }))));
    showSystem.addEventListener("change", fill);
    fill();
    list.replaceChildren(el("label", {}, showSystem, " show system tables"),
      el("table", { class: "grid", id: "tables" }, el("thead", {}, el("tr", {}, el("th", { text: "Table" }), el("th", { text: "Documents" }), el("th", { text: "Indexes" }))), tbody));
  } catch (e) { list.replaceChildren(); showError(box, e); }
}

const OPS = ["eq", "gte", "gt", "lte", "lt"];

async function documentsPage(root, table) {
  const state = { index: "", order: "asc", limit: 50, conds: [], cursors: [""], page: 0 };
  const box = errorBox("docs-error");
  const out = el("div", { class: "scroll", id: "docs-out" });
  const editorHost = el("div", { id: "editor-host" });
  let indexes = [{ name: "by_creation_time", fields: ["_creationTime"] }];
  try {
    const { tables } = await api("GET", "/api/admin/tables");
    const t = tables.find((t) => t.name === table);
    if (t) indexes = indexes.concat(t.indexes);
  } catch (e) { showError(box, e); }

  const indexSel = el("select", { id: "q-index" }, el("option", { value: "", text: "_id order (no range)" }), indexes.map((i) => el("option", { value: i.name, text: `${i.name} (${i.fields.join(", ")})` })));
  const orderSel = el("select", { id: "q-order" }, el("option", { value: "asc", text: "ascending" }), el("option", { value: "desc", text: "descending" }));
  const limitSel = el("select", { id: "q-limit" }, [25, 50, 100, 500].map((n) => el("option", { value: n, text: n, selected: n === 50 })));
  const conds = el("div", { id: "q-conds" });
  const fieldList = el("datalist", { id: "q-fields" });
  const addCond = (c = { op: "eq", field: "", value: "" }) => {
    const row = el("div", { class: "cond" },
      el("input", { class: "c-field", list: "q-fields", placeholder: "field", "aria-label": "field", value: c.field }),
      el("select", { class: "c-op", "aria-label": "operator" }, OPS.map((o) => el("option", { value: o, text: o, selected: o === c.op }))),
      el("input", { class: "c-value mono", placeholder: 'JSON value: "ann", 42, {"$integer":"7"}', "aria-label": "value", value: c.value, size: 30 }),
      el("button", { type: "button", "aria-label": "remove condition", onclick: () => row.remove() }, "✕"));
    conds.append(row);
  };
  const syncFields = () => {
    const ix = indexes.find((i) => i.name === indexSel.value);
    fieldList.replaceChildren(...(ix ? ix.fields : []).map((f) => el("option", { value: f })));
    addBtn.disabled = !indexSel.value;
    if (!indexSel.value) conds.replaceChildren();
  };
  const addBtn = el("button", { type: "button", id: "q-add", onclick: () => addCond() }, "Add range condition");
  indexSel.addEventListener("change", syncFields);
  const form = el("form", { id: "q-form", onsubmit: (e) => { e.preventDefault(); apply(); } },
    el("div", { class: "row" },
      el("label", {}, "Index", indexSel), el("label", {}, "Order", orderSel), el("label", {}, "Page size", limitSel),
      addBtn, el("button", { type: "submit", class: "primary", id: "q-apply" }, "Apply")),
    conds, fieldList,
    el("p", { class: "muted", text: "Ranges follow the index's fields in order (eq on a prefix, then one lower and one upper bound), as Query.WithIndex; pages are read with a cursor, so no request scans the table." }));
  const nav = el("div", { class: "row" },
    el("button", { type: "button", id: "page-first", onclick: () => { state.page = 0; load(); } }, "First page"),
    el("button", { type: "button", id: "page-prev", onclick: () => { state.page--; load(); } }, "Previous page"),
    el("button", { type: "button", id: "page-next", onclick: () => { state.page++; load(); } }, "Next page"),
    el("button", { type: "button", id: "new-doc", onclick: () => openEditor(null) }, "New document"),
    el("span", { class: "muted", id: "page-info" }));
  root.append(el("h1", {}, el("a", { href: "#/tables" }, "Tables"), " / ", table), box, form, nav, editorHost, out);
  syncFields();

  function apply() {
    showError(box, null);
    const cs = [];
    for (const row of conds.querySelectorAll(".cond")) {
      const field = $(".c-field", row).value.trim(), raw = $(".c-value", row).value.trim();
      let value;
      try { value = JSON.parse(raw); } catch {
        $(".c-value", row).setAttribute("aria-invalid", "true");
        $(".c-value", row).focus();
        return showError(box, { message: `range value for ${field || "?"}: not JSON (${raw}); strings need quotes` });
      }
      $(".c-value", row).removeAttribute("aria-invalid");
      cs.push([$(".c-op", row).value, field, value]);
    }
    Object.assign(state, { index: indexSel.value, order: orderSel.value, limit: Number(limitSel.value), conds: cs, cursors: [""], page: 0 });
    load();
  }

  async function load() {
    const p = new URLSearchParams({ limit: state.limit });
    if (state.cursors[state.page]) p.set("cursor", state.cursors[state.page]);
    if (state.index) p.set("index", state.index);
    if (state.index && state.conds.length) p.set("range", JSON.stringify(state.conds));
    if (state.order === "desc") p.set("order", "desc");
    $("#page-prev").disabled = state.page === 0;
    try {
      const res = await api("GET", `/api/admin/tables/${encodeURIComponent(table)}/documents?` + p);
      state.cursors[state.page + 1] = res.continueCursor;
      $("#page-next").disabled = res.isDone;
      $("#page-info").textContent = `page ${state.page + 1}, ${res.page.length} documents` + (res.isDone ? " (last)" : "");
      showError(box, null);
      renderDocs(res.page);
    } catch (e) {
      showError(box, e);
      if (state.page > 0 && e.status) state.page--;
    }
  }

  function renderDocs(docs) {
    const cols = [];
    for (const d of docs) for (const k of Object.keys(d)) if (!cols.includes(k) && k !== "_id" && k !== "_creationTime") cols.push(k);
    const head = el("tr", {}, el("th", { text: "" }), el("th", { text: "_id" }), cols.map((c) => el("th", { text: c })), el("th", { text: "_creationTime" }));
    const rows = docs.map((d) => el("tr", { dataset: { id: d._id } },
      el("td", {}, el("button", { type: "button", class: "edit", dataset: { edit: d._id }, onclick: () => openEditor(d) }, "Edit")),
      el("td", { class: "mono", text: d._id }),
      cols.map((c) => el("td", { class: "val mono", title: short(d[c]), dataset: { field: c }, text: short(d[c]) })),
      el("td", { class: "mono", text: fmtTime(d._creationTime) })));
    out.replaceChildren(docs.length ? el("table", { class: "grid", id: "docs" }, el("thead", {}, head), el("tbody", {}, rows)) : el("p", { class: "muted", text: "No documents in this page." }));
  }

  // openEditor shows a document's fields, one JSON value each. A save
  // that fails keeps every field as typed and highlights the path the
  // server names.
  async function openEditor(doc) {
    if (dirtyEditor && dirtyEditor() && !(await confirmAction("Discard the edit?", "The document editor has unsaved changes.", "Discard"))) return;
    const fields = el("div", { id: "editor-fields" });
    const err = errorBox("editor-error");
    let saved = "";
    const addField = (name, value, fixed) => {
      const row = el("div", { class: "field", dataset: { field: name } },
        el("label", {}, fixed ? el("span", { class: "mono", text: name }) : el("input", { class: "f-name", placeholder: "field name", "aria-label": "field name", value: name }),
          el("span", { class: "path" })),
        el("textarea", { class: "f-value", rows: 1, "aria-label": "value of " + (name || "new field"), spellcheck: "false" }),
        el("button", { type: "button", "aria-label": "remove field " + name, onclick: () => row.remove() }, "Remove"));
      $(".f-value", row).value = value === undefined ? "" : JSON.stringify(value, null, 1).replace(/\n\s*/g, " ");
      fields.append(row);
      return row;
    };
    const collect = () => {
      const out = {};
      for (const row of fields.querySelectorAll(".field")) {
        const nameIn = $(".f-name", row);
        const name = nameIn ? nameIn.value.trim() : row.dataset.field;
        if (!name) continue;
        const raw = $(".f-value", row).value.trim();
        try { out[name] = JSON.parse(raw); } catch {
          throw Object.assign(new Error(`${name}: not JSON: ${raw || "(empty)"}; strings need quotes`), { path: name });
        }
      }
      return out;
    };
    const snapshot = () => Array.from(fields.querySelectorAll("input, textarea"), (i) => i.value).join("\u0000");
    if (doc) {
      for (const [k, v] of Object.entries(editable(doc))) {
        if (k !== "_id" && k !== "_creationTime") addField(k, v, true);
      }
    } else {
      addField("", undefined, false);
    }
    saved = snapshot();
    const save = async (e) => {
      e.preventDefault();
      showError(err, null);
      for (const r of fields.querySelectorAll(".field.bad")) { r.classList.remove("bad"); $(".f-value", r).removeAttribute("aria-invalid"); $(".path", r).textContent = ""; }
      let body;
      try {
        body = collect();
        if (doc) await api("PUT", `/api/admin/dashboard/documents/${encodeURIComponent(doc._id)}`, body);
        else await api("POST", `/api/admin/tables/${encodeURIComponent(table)}/documents`, body);
      } catch (x) {
        showError(err, x);
        const path = x.path !== undefined ? x.path : x.body && x.body.path;
        if (path !== undefined) highlight(path);
        return;
      }
      saved = snapshot();
      close();
      load();
    };
    const highlight = (path) => {
      const top = path.split(/[.[]/)[0];
      for (const row of fields.querySelectorAll(".field")) {
        const nameIn = $(".f-name", row);
        const name = nameIn ? nameIn.value.trim() : row.dataset.field;
        if (name === top || (path === "" && row === fields.firstElementChild)) {
          row.classList.add("bad");
          $(".f-value", row).setAttribute("aria-invalid", "true");
          $(".path", row).textContent = "invalid: " + (path === "" ? "the document" : path);
          $(".f-value", row).focus();
          return;
        }
      }
      if (top) { // a required field that is missing: add it, marked
        const row = addField(top, undefined, false);
        row.classList.add("bad");
        $(".path", row).textContent = path;
        $(".f-value", row).setAttribute("aria-invalid", "true");
        $(".f-value", row).focus();
      }
    };
    const close = () => { editorHost.replaceChildren(); dirtyEditor = null; };
    const del = async () => {
      if (!(await confirmAction("Delete this document?", `${doc._id} in ${table} will be deleted.`, "Delete"))) return;
      try { await api("DELETE", `/api/admin/documents/${encodeURIComponent(doc._id)}`); close(); load(); } catch (x) { showError(err, x); }
    };
    const form = el("form", { class: "editor", id: "editor", onsubmit: save, onkeydown: (e) => { if (e.key === "Escape") cancel(); } },
      el("h2", { text: doc ? `Edit ${doc._id}` : `New document in ${table}` }),
      el("p", { class: "muted", text: 'One JSON value per field (int64 as {"$integer":"42"}). Saving replaces the document; the schema validates it.' }),
      fields,
      el("div", { class: "row" },
        el("button", { type: "button", id: "editor-add", onclick: () => $(".f-name", addField("", undefined, false)).focus() }, "Add field"),
        el("button", { type: "submit", class: "primary", id: "editor-save" }, "Save"),
        el("button", { type: "button", id: "editor-cancel", onclick: () => cancel() }, "Cancel"),
        doc ? el("button", { type: "button", class: "danger", id: "editor-delete", onclick: del }, "Delete…") : null),
      err);
    const cancel = async () => {
      if (snapshot() !== saved && !(await confirmAction("Discard the edit?", "The document editor has unsaved changes.", "Discard"))) return;
      close();
    };
    editorHost.replaceChildren(form);
    dirtyEditor = () => editorHost.contains(form) && snapshot() !== saved;
    const first = form.querySelector("textarea, input");
    if (first) first.focus();
  }

  load();
}

window.addEventListener("beforeunload", (e) => {
  if (dirtyEditor && dirtyEditor()) e.preventDefault();
});

// ---- schema ----

function changeList(changes) {
  if (!changes || !changes.length) return el("p", { class: "muted", text: "No changes." });
  return el("ul", { class: "changes" }, changes.map((c) => el("li", { class: "class-" + c.class },
    el("span", { class: "state", text: c.class }), " ", el("strong", { text: c.table }), ": ", c.summary,
    c.fix ? el("div", { class: "muted", text: "fix: " + c.fix }) : null)));
}

async function schemaPage(root) {
  const box = errorBox("schema-error");
  const active = el("pre", { id: "schema-active", text: "Loading…" });
  const hist = el("div", { id: "schema-history", class: "scroll" });
  const diffOut = el("div", { id: "schema-diff" });
  const diffErr = errorBox("schema-diff-error");
  const file = el("textarea", { id: "schema-file", rows: 8, placeholder: "Paste a schema file to compare with the active schema", spellcheck: "false" });
  root.append(el("h1", { text: "Schema" }), box,
    el("h2", { text: "Active schema" }), active,
    el("h2", { text: "History" }), hist,
    el("h2", { text: "Compare a schema file" }),
    el("form", { onsubmit: async (e) => {
      e.preventDefault();
      showError(diffErr, null);
      try {
        const { diff } = await api("POST", "/api/admin/schema/diff", file.value);
        diffOut.replaceChildren(el("p", {}, "Class: ", el("span", { class: "state", text: diff.class }), diff.check && diff.check.length ? " — a push checks the documents of " + diff.check.join(", ") : ""), changeList(diff.changes));
      } catch (x) { diffOut.replaceChildren(); showError(diffErr, x); }
    } }, file, el("div", { class: "row" }, el("button", { type: "submit", id: "schema-compare" }, "Compare"))),
    diffErr, diffOut);
  try {
    const [{ schema }, { history }] = await Promise.all([api("GET", "/api/admin/schema"), api("GET", "/api/admin/schema/history?limit=100")]);
    active.textContent = schema ? JSON.stringify(schema, null, 2) : "No schema has been pushed.";
    if (!history.length) { hist.replaceChildren(el("p", { class: "muted", text: "No pushes yet." })); return; }
    const detail = el("div", { id: "push-detail" });
    const rows = history.map((h, i) => el("tr", {},
      el("td", { text: fmtTime(h.pushedAt || h.startedAt || h._creationTime) }),
      el("td", {}, el("span", { class: "state " + h.state, text: h.state })),
      el("td", { text: h.actor || "" }), el("td", { text: h.comment || "" }),
      el("td", { text: (h.changes || []).length }),
      el("td", {}, el("button", { type: "button", class: "show-push", dataset: { index: i }, onclick: () => {
        detail.replaceChildren(el("h3", { text: `Push of ${fmtTime(h._creationTime)} (${h.state})` }), changeList(h.changes),
          el("details", {}, el("summary", { text: "Schema text" }), el("pre", { text: prettyJSON(h.schema) })));
        detail.querySelector("h3").tabIndex = -1;
        detail.querySelector("h3").focus();
      } }, "Show diff"))));
    hist.replaceChildren(el("table", { class: "grid" }, el("thead", {}, el("tr", {}, ["When", "State", "Actor", "Comment", "Changes", ""].map((t) => el("th", { text: t })))), el("tbody", {}, rows)), detail);
  } catch (x) { showError(box, x); }
}
function prettyJSON(s) {
  try { return JSON.stringify(JSON.parse(s), null, 2); } catch { return s || ""; }
}

// ---- migrations ----

const ACTIONS = {
  pause: { states: ["running", "pending"], text: "Pause it: the backfill stops after its batch and can be resumed." },
  resume: { states: ["paused", "failed", "canceled"], text: "Resume it from its cursor." },
  cancel: { states: ["running", "pending", "paused", "failed"], text: "Cancel it: the backfill stops; the documents it migrated stay migrated." },
  complete: { states: ["ready", "completing"], text: "Complete it: every document loses the old shape and the final schema is pushed. Code that reads the old shape breaks." },
  rollback: { states: ["ready", "completing", "failed", "paused", "canceled"], text: "Roll it back: every document is reverted and the schema from before it is pushed." },
};

const MIGRATION_TEMPLATE = `{
  "name": "001_example",
  "operations": [
    {"add_field": {"table": "users", "field": "plan", "type": "string", "default": "free"}}
  ]
}`;

function migrationsPage(root) {
  const box = errorBox("migrations-error");
  const live = el("span", { class: "live", id: "live", "aria-live": "off", text: "connecting…" });
  const list = el("div", { id: "migrations" });
  const builds = el("div", { id: "builds" });
  const cards = new Map();
  const startErr = errorBox("mig-start-error");
  const startMsg = el("p", { id: "mig-start-msg", role: "status" });
  const fileIn = el("textarea", { id: "mig-file", rows: 7, spellcheck: "false", "aria-label": "migration file" });
  fileIn.value = MIGRATION_TEMPLATE;
  const batchIn = el("input", { id: "mig-batch", type: "number", min: 1, placeholder: "100", size: 6 });
  const rateIn = el("input", { id: "mig-rate", type: "number", min: 0, step: "any", placeholder: "none", size: 8 });
  const rewriteIn = el("input", { id: "mig-rewrite", type: "checkbox" });
  const startForm = el("form", { id: "mig-start-form", onsubmit: async (e) => {
    e.preventDefault();
    showError(startErr, null);
    startMsg.textContent = "";
    const p = new URLSearchParams();
    if (batchIn.value) p.set("batchSize", batchIn.value);
    if (rateIn.value) p.set("rateLimit", rateIn.value);
    if (rewriteIn.checked) p.set("rewrite", "1");
    const btn = $("#mig-start");
    btn.disabled = true;
    try {
      const { migration } = await api("POST", "/api/admin/dashboard/migrations?" + p, fileIn.value);
      startMsg.textContent = `${migration.name}: ${migration.state}` + (migration.message ? ` — ${migration.message}` : "");
    } catch (x) { showError(startErr, x); }
    btn.disabled = false;
  } },
  el("p", { class: "muted", text: "A migration file (docs/file-formats.md). Starting it pushes the expanded schema; where the schema shows every document fits, that is instant (old documents are read in the new shape, and the compactor rewrites them later); otherwise, or with \"rewrite\", the server backfills every document and progress appears above." }),
  fileIn,
  el("div", { class: "row" }, el("label", {}, "First batch size", batchIn), el("label", {}, "Rate limit (documents/s)", rateIn),
    el("label", {}, rewriteIn, " Rewrite every document now"),
    el("button", { type: "submit", class: "primary", id: "mig-start" }, "Start migration")),
  startErr, startMsg);
  root.append(el("h1", { text: "Migrations" }), el("p", {}, live), box, list, builds, el("h2", { text: "Start a migration" }), startForm);

  const card = (m) => {
    let c = cards.get(m.name);
    if (c) return c;
    const err = errorBox("");
    const buttons = Object.keys(ACTIONS).map((a) => el("button", { type: "button", dataset: { action: a }, onclick: () => act(m.name, a, err) }, a[0].toUpperCase() + a.slice(1) + "…"));
    c = {
      root: el("section", { class: "migration", dataset: { name: m.name }, "aria-label": "migration " + m.name }),
      state: el("span", { class: "state" }),
      bar: el("div", { class: "bar", role: "progressbar", "aria-valuemin": 0, "aria-valuemax": 100, "aria-label": "progress of " + m.name }, el("div")),
      text: el("div", { class: "progress-text mono" }),
      meta: el("div", { class: "muted" }),
      bg: el("span", { class: "live bg" }),
      error: el("p", { class: "error mig-error", hidden: true }),
      buttons, actErr: err,
    };
    c.root.append(el("h3", {}, m.name, " ", c.state, " ", c.bg), c.meta, c.bar, c.text, c.error, el("div", { class: "row" }, buttons), err);
    list.append(c.root);
    cards.set(m.name, c);
    return c;
  };
  const update = (ev) => {
    const names = new Set();
    if (!ev.migrations.length) list.replaceChildren(el("p", { class: "muted", id: "no-migrations", text: "No migrations yet." }));
    else { const none = $("#no-migrations"); if (none) none.remove(); }
    for (const m of ev.migrations) {
      names.add(m.name);
      const c = card(m);
      const pct = Math.round(m.fraction * 1000) / 10;
      c.state.textContent = m.state;
      c.state.className = "state " + m.state;
      c.root.dataset.state = m.state;
      c.root.dataset.fraction = m.fraction;
      c.bar.firstChild.style.width = pct + "%";
      c.bar.setAttribute("aria-valuenow", pct);
      c.bar.setAttribute("aria-valuetext", pct + "%");
      const rate = m.rate > 0 ? `${nf.format(Math.round(m.rate))} docs/s` : "—";
      c.text.textContent = `${pct.toFixed(1)}% · ${nf.format(m.processed)} / ${nf.format(m.total)} documents · ${rate} · ETA ${m.etaSeconds > 0 ? fmtDuration(m.etaSeconds) : "—"}`;
      if (m.instant) c.text.textContent = "instant: no document rewritten; older records are read in the new shape until compacted";
      c.meta.textContent = `${m.kind || "go"} migration on ${m.table} · started ${fmtTime(m.startedAt)}` + (m.completedAt ? ` · finished ${fmtTime(m.completedAt)}` : "") + ` · ${nf.format(m.batches)} batches, ${nf.format(m.changed)} changed`;
      const errText = [m.error && `error: ${m.error}` + (m.errorDocId ? ` (document ${m.errorDocId})` : ""), m.backgroundError].filter(Boolean).join("\n");
      c.error.textContent = errText;
      c.error.hidden = !errText;
      c.bg.textContent = m.background ? `${m.background} running in the server…` : "";
      for (const b of c.buttons) {
        const a = b.dataset.action;
        b.disabled = !ACTIONS[a].states.includes(m.state) || (!!m.background && a !== "pause" && a !== "cancel");
      }
    }
    for (const [n, c] of cards) if (!names.has(n)) { c.root.remove(); cards.delete(n); }
    const bs = ev.indexBuilds.filter((b) => b.state !== "ready");
    builds.replaceChildren(...(bs.length ? [el("h2", { text: "Index builds" }), el("ul", {}, bs.map((b) => el("li", {}, `${b.table}.${b.index}: ${nf.format(b.processed)} / ${nf.format(b.total)} (${b.state})`)))] : []));
    live.textContent = "live · updated " + new Date(ev.time).toLocaleTimeString();
    live.dataset.updated = Date.now();
  };
  const act = async (name, action, err) => {
    if (!(await confirmAction(`${action[0].toUpperCase() + action.slice(1)} ${name}?`, ACTIONS[action].text, action[0].toUpperCase() + action.slice(1)))) return;
    showError(err, null);
    // Complete and rollback rewrite every document: the server runs them
    // in the background and the stream shows their progress.
    try { await api("POST", `/api/admin/dashboard/migrations/${encodeURIComponent(name)}/${action}`); } catch (x) { showError(err, x); }
  };
  const stop = streamEvents((name, data) => {
    if (name === "migrations") { showError(box, null); update(JSON.parse(data)); }
    else if (name === "error") showError(box, { message: JSON.parse(data).error });
  }, (state) => { live.textContent = state; });
  leavePage = stop;
}

// streamEvents reads the admin API's Server-Sent Events with fetch (an
// EventSource cannot send the Authorization header, and the key must not
// go into a URL), reconnecting when the stream ends. It returns a stop
// function.
function streamEvents(onEvent, onState) {
  const ctl = new AbortController();
  let retry = 500;
  (async () => {
    while (!ctl.signal.aborted) {
      try {
        const resp = await fetch("/api/admin/dashboard/events", { headers: { Authorization: "Convex " + adminKey }, signal: ctl.signal });
        if (resp.status === 401) { loggedOut("The server refused the admin key."); return; }
        if (!resp.ok) throw new Error(`HTTP ${resp.status}: ${await resp.text()}`);
        const reader = resp.body.pipeThrough(new TextDecoderStream()).getReader();
        let buf = "";
        for (;;) {
          const { value, done } = await reader.read();
          if (done) break;
          buf += value.replace(/\r\n?/g, "\n");
          let i;
          while ((i = buf.indexOf("\n\n")) >= 0) {
            const block = buf.slice(0, i);
            buf = buf.slice(i + 2);
            let name = "message";
            const data = [];
            for (const line of block.split("\n")) {
              const [f, ...r] = line.split(":");
              const v = r.join(":").replace(/^ /, "");
              if (f === "event") name = v;
              else if (f === "data") data.push(v);
              else if (f === "retry" && /^\d+$/.test(v)) retry = Number(v);
            }
            if (data.length) onEvent(name, data.join("\n"));
          }
        }
      } catch (e) {
        if (ctl.signal.aborted) return;
        onState("reconnecting… (" + e.message + ")");
      }
      await new Promise((r) => setTimeout(r, retry));
    }
  })();
  return () => ctl.abort();
}

// ---- scheduled functions ----

async function scheduledPage(root) {
  const box = errorBox("scheduled-error");
  const out = el("div", { class: "scroll", id: "jobs" });
  const stateSel = el("select", { id: "jobs-state" }, ["pending", "inProgress", "success", "failed", "canceled", ""].map((s) => el("option", { value: s, text: s || "all" })));
  const load = async () => {
    showError(box, null);
    try {
      const { jobs } = await api("GET", "/api/admin/scheduled" + (stateSel.value ? "?state=" + stateSel.value : ""));
      out.replaceChildren(jobs.length ? el("table", { class: "grid" },
        el("thead", {}, el("tr", {}, ["Function", "Scheduled for", "State", "Attempts", "Arguments", "Error", ""].map((t) => el("th", { text: t })))),
        el("tbody", {}, jobs.map((j) => el("tr", {},
          el("td", { class: "mono", text: j.name }), el("td", { text: fmtTime(j.scheduledTime) }),
          el("td", {}, el("span", { class: "state " + (j.state && j.state.kind || j.state), text: j.state && j.state.kind || j.state })),
          el("td", { text: short(j.attempts) }), el("td", { class: "val mono", text: short(j.args) }),
          el("td", { text: j.error || (j.state && j.state.error) || "" }),
          el("td", {}, (j.state && j.state.kind || j.state) === "pending" ? el("button", { type: "button", onclick: async () => {
            if (!(await confirmAction("Cancel this scheduled function?", `${j.name} at ${fmtTime(j.scheduledTime)} will not run.`, "Cancel it"))) return;
            try { await api("POST", `/api/admin/scheduled/${encodeURIComponent(j._id)}/cancel`); load(); } catch (x) { showError(box, x); }
          } }, "Cancel…") : null))))) : el("p", { class: "muted", text: "No scheduled functions in this state." }));
    } catch (x) { showError(box, x); }
  };
  stateSel.addEventListener("change", load);
  root.append(el("h1", { text: "Scheduled functions" }), el("div", { class: "row" }, el("label", {}, "State", stateSel),
    el("button", { type: "button", id: "jobs-refresh", onclick: load }, "Refresh")), box, out);
  load();
}

// ---- start ----

document.addEventListener("DOMContentLoaded", () => {
  $("#login-form").addEventListener("submit", login);
  $("#logout").addEventListener("click", () => loggedOut());
  window.addEventListener("hashchange", onHashChange);
  if (adminKey) enter(); else loggedOut();
});
