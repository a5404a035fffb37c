// The airm explorer: search as you type, facet filters, record view and coding a new entry.
// State lives in the URL (?q=&filter=&offset=&view=&id=); data is written with textContent only.
"use strict";

const $ = (id) => document.getElementById(id);
const PAGE = 10;
let searchAbort = null;
let typingTimer = null;
let writesAllowed = false;
// The facets the sidebar counts: the index's own (from /v1/stats), these first; "" counts the
// server's defaults.
const PREFERRED_FACETS = ["category", "lifecycle", "actor", "source"];
let facetList = "";
let facetsKnown = null; // a promise, settled once facetList is set

function el(tag, text, className) {
  const e = document.createElement(tag);
  if (text !== undefined && text !== null) e.textContent = String(text);
  if (className) e.className = className;
  return e;
}

function state() {
  const p = new URLSearchParams(location.search);
  return {
    q: p.get("q") || "",
    filters: p.getAll("filter"),
    offset: Math.max(0, parseInt(p.get("offset") || "0", 10) || 0),
    view: p.get("view") || "search",
    id: p.get("id") || "",
  };
}

function urlOf(s) {
  const p = new URLSearchParams();
  if (s.view && s.view !== "search") p.set("view", s.view);
  if (s.id) p.set("id", s.id);
  if (s.q) p.set("q", s.q);
  for (const f of s.filters) p.append("filter", f);
  if (s.offset) p.set("offset", String(s.offset));
  const text = p.toString();
  return location.pathname + (text ? "?" + text : "");
}

function go(s, replace) {
  const url = urlOf(s);
  if (replace) history.replaceState(null, "", url);
  else history.pushState(null, "", url);
  render();
}

async function getJson(url, options) {
  const res = await fetch(url, options);
  const body = await res.json();
  if (!res.ok) {
    const err = new Error(body.detail || res.statusText);
    err.problem = body;
    throw err;
  }
  return body;
}

// A snippet with <mark> around the byte ranges in `marks`, built from text nodes.
function snippetNode(snippet) {
  const p = el("p", null, "snippet");
  const bytes = new TextEncoder().encode(snippet.text);
  const dec = new TextDecoder();
  let at = 0;
  for (const [start, end] of snippet.marks || []) {
    if (start < at || end > bytes.length || start >= end) continue;
    p.append(dec.decode(bytes.subarray(at, start)));
    p.append(el("mark", dec.decode(bytes.subarray(start, end))));
    at = end;
  }
  p.append(dec.decode(bytes.subarray(at)));
  return p;
}

function codesLine(facets) {
  const parts = [];
  for (const [facet, values] of Object.entries(facets || {})) {
    for (const v of values) parts.push(v.name ? v.value + " " + v.name : v.value);
  }
  return parts.join(" · ");
}

function recordLink(id, title) {
  const a = el("a", title || id, "result-title");
  a.href = urlOf({ view: "record", id: id, q: "", filters: [], offset: 0 });
  a.addEventListener("click", (e) => {
    e.preventDefault();
    go({ ...state(), view: "record", id: id });
  });
  return a;
}

function showView(name) {
  $("search-view").hidden = name !== "search";
  $("record-view").hidden = name !== "record";
  $("code-view").hidden = name !== "code";
  $("sidebar").hidden = name !== "search";
}

// ---- search ----------------------------------------------------------------------------------

function facetTree(facet, values, selected) {
  const ul = el("ul");
  for (const v of values) {
    const li = el("li");
    const id = "f-" + facet + "-" + v.value.replace(/[^A-Za-z0-9_-]/g, "_");
    const box = el("input");
    box.type = "checkbox";
    box.id = id;
    box.dataset.facet = facet;
    box.dataset.value = v.value;
    box.checked = selected.has(facet + "=" + v.value);
    box.addEventListener("change", () => toggleFilter(facet, v.value, box.checked));
    const label = el("label");
    label.htmlFor = id;
    label.append(v.name ? v.value + " " + v.name + " " : v.value + " ");
    label.append(el("span", "(" + v.count + ")", "count"));
    li.append(box, label);
    if (v.children && v.children.length) li.append(facetTree(facet, v.children, selected));
    ul.append(li);
  }
  return ul;
}

function toggleFilter(facet, value, on) {
  const s = state();
  const spec = facet + "=" + value;
  s.filters = s.filters.filter((f) => f !== spec);
  if (on) s.filters.push(spec);
  s.offset = 0;
  go(s);
}

function renderFacets(result, s) {
  const box = $("facets");
  box.replaceChildren();
  const selected = new Set(s.filters);
  for (const [facet, values] of Object.entries(result.facets || {})) {
    if (!values.length) continue;
    const fs = el("fieldset");
    fs.append(el("legend", facet));
    fs.append(facetTree(facet, values, selected));
    box.append(fs);
  }
}

function knowFacets() {
  if (!facetsKnown) {
    facetsKnown = getJson("/v1/stats").then((stats) => {
      const names = Object.keys(stats.facets || {});
      const first = PREFERRED_FACETS.filter((f) => names.includes(f));
      facetList = first.concat(names.filter((f) => !first.includes(f)).sort()).join(",");
    }).catch(() => { facetList = ""; });
  }
  return facetsKnown;
}

async function runSearch(s) {
  if (searchAbort) searchAbort.abort();
  searchAbort = new AbortController();
  const mine = searchAbort;
  await knowFacets();
  if (mine !== searchAbort) return; // a newer search started meanwhile
  const p = new URLSearchParams();
  p.set("q", s.q);
  for (const f of s.filters) p.append("filter", f);
  if (facetList) p.set("facets", facetList);
  p.set("limit", String(PAGE));
  p.set("offset", String(s.offset));
  let result;
  try {
    result = await getJson("/v1/search?" + p.toString(), { signal: searchAbort.signal });
  } catch (e) {
    if (e.name === "AbortError") return;
    // A facet the index no longer has: count the server's defaults instead.
    if (e.problem && e.problem.code === "invalid_facet" && facetList) {
      facetList = "";
      p.delete("facets");
      try {
        result = await getJson("/v1/search?" + p.toString(), { signal: searchAbort.signal });
      } catch (e2) {
        if (e2.name !== "AbortError") showProblem(e2);
        return;
      }
    } else {
      showProblem(e);
      return;
    }
  }
  const total = result.total;
  // `total` counts records matching every word; a short page goes on with partial matches.
  const partial = result.results.some((hit) => hit.partial);
  $("status").textContent = total + (total === 1 ? " record" : " records") +
    (result.query ? " for " + result.query : "") +
    (s.filters.length ? " (filtered: " + s.filters.join(", ") + ")" : "") +
    (partial ? "; the results marked \u201csome words\u201d match only some of them" : "");
  $("status").className = "";
  const dym = $("did-you-mean");
  dym.replaceChildren();
  dym.hidden = !result.did_you_mean;
  if (result.did_you_mean) {
    const b = el("button", result.did_you_mean);
    b.type = "button";
    b.addEventListener("click", () => { $("q").value = result.did_you_mean; go({ ...state(), q: result.did_you_mean, offset: 0 }); });
    dym.append("Did you mean ", b, "?");
  }
  const list = $("results");
  list.replaceChildren();
  list.start = s.offset + 1;
  for (const hit of result.results) {
    const li = el("li", null, "result");
    li.append(recordLink(hit.id, hit.title));
    li.append(" ", el("span", hit.id, "count"));
    if (hit.partial) li.append(" ", el("span", "some words", "partial"));
    if (hit.snippet && hit.snippet.text) li.append(snippetNode(hit.snippet));
    const codes = codesLine(hit.facets);
    if (codes) li.append(el("div", codes, "codes"));
    list.append(li);
  }
  $("prev").disabled = s.offset === 0;
  $("next").disabled = s.offset + PAGE >= total;
  renderFacets(result, s);
}

function showProblem(e) {
  $("status").textContent = "Error: " + e.message;
  $("status").className = "problem";
}

// ---- record ----------------------------------------------------------------------------------

async function renderRecord(id) {
  const box = $("record");
  box.replaceChildren();
  $("similar").replaceChildren();
  let r;
  try {
    r = await getJson("/v1/records/" + encodeURIComponent(id));
  } catch (e) {
    box.append(el("p", "Error: " + e.message, "problem"));
    return;
  }
  const h = el("h2", r.title || r.id);
  h.tabIndex = -1;
  box.append(h, el("p", r.id, "count"));
  if (r.text) box.append(el("p", r.text));
  if (r.reasoning) box.append(el("p", "Reasoning: " + r.reasoning, "codes"));
  const dl = el("dl");
  for (const [facet, values] of Object.entries(r.facets || {})) {
    dl.append(el("dt", facet));
    for (const v of values) dl.append(el("dd", v.name ? v.value + " " + v.name : v.value));
  }
  box.append(dl);
  if (r.source) {
    const src = el("p", null, "codes");
    const line = [r.source.title, r.source.authors, r.source.year].filter(Boolean).join(", ");
    src.append("Source: " + (line || r.source.ref || ""));
    if (r.source.url && /^https?:\/\//.test(r.source.url)) {
      const a = el("a", "open source");
      a.href = r.source.url;
      a.rel = "noopener noreferrer";
      a.target = "_blank";
      src.append(" ", a);
    }
    box.append(src);
  }
  h.focus();
  try {
    const sim = await getJson("/v1/records/" + encodeURIComponent(id) + "/similar?limit=5");
    for (const hit of sim.results) {
      const li = el("li");
      li.append(recordLink(hit.id, hit.title));
      $("similar").append(li);
    }
  } catch (e) {
    $("similar").append(el("li", "Error: " + e.message, "problem"));
  }
}

// ---- code a new entry --------------------------------------------------------------------------

async function suggest() {
  const text = [$("code-title").value, $("code-text").value].filter(Boolean).join("\n");
  const list = $("suggestions");
  list.replaceChildren();
  if (!text.trim()) {
    $("code-status").textContent = "Paste the mitigation's text first.";
    return;
  }
  $("code-status").textContent = "Suggesting…";
  let r;
  try {
    r = await getJson("/v1/suggest", {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ text: text, top: 5, explain: true }),
    });
  } catch (e) {
    $("code-status").textContent = "Error: " + e.message;
    return;
  }
  $("code-status").textContent = r.suggestions.length + " suggested codes; tick the right ones.";
  r.suggestions.forEach((s, i) => {
    const li = el("li", null, "suggestion");
    const box = el("input");
    box.type = "checkbox";
    box.id = "s-" + i;
    box.dataset.code = s.code;
    const label = el("label");
    label.htmlFor = box.id;
    const bar = el("span", null, "bar");
    bar.style.width = Math.round(s.confidence * 120) + "px";
    label.append(bar, s.code + (s.name ? " " + s.name : "") + " ",
      el("span", Math.round(s.confidence * 100) + "%", "count"));
    li.append(box, label);
    const why = el("div", null, "why");
    if (s.records && s.records.length) {
      why.append("Like: ");
      s.records.forEach((rec, j) => {
        if (j) why.append(", ");
        why.append(recordLink(rec.id, rec.title));
      });
    }
    if (s.words && s.words.length) {
      why.append(el("div", "Words: " + s.words.map((w) => w.word).join(", ")));
    }
    li.append(why);
    list.append(li);
  });
  $("save-panel").hidden = !writesAllowed;
}

async function save() {
  const codes = [...document.querySelectorAll("#suggestions input:checked")].map((b) => b.dataset.code);
  const id = $("code-id").value.trim();
  const status = $("save-status");
  if (!id) { status.textContent = "Give the record an id."; return; }
  const record = { id: id, title: $("code-title").value, text: $("code-text").value,
                   facets: { category: codes } };
  try {
    const r = await getJson("/v1/records", {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify(record),
    });
    status.textContent = "Saved; the index now holds " + r.total + " records.";
  } catch (e) {
    status.textContent = "Error: " + e.message;
  }
}

// ---- wiring ----------------------------------------------------------------------------------

function render() {
  const s = state();
  showView(s.view);
  if (document.activeElement !== $("q")) $("q").value = s.q;
  if (s.view === "record" && s.id) renderRecord(s.id);
  else if (s.view === "search") runSearch(s);
}

window.addEventListener("popstate", render);
document.addEventListener("DOMContentLoaded", () => {
  $("q").addEventListener("input", () => {
    clearTimeout(typingTimer);
    typingTimer = setTimeout(() => go({ ...state(), view: "search", id: "", q: $("q").value, offset: 0 }, true), 150);
  });
  $("search-form").addEventListener("submit", (e) => {
    e.preventDefault();
    go({ ...state(), view: "search", id: "", q: $("q").value, offset: 0 });
  });
  $("to-search").addEventListener("click", () => go({ ...state(), view: "search", id: "" }));
  $("to-code").addEventListener("click", () => go({ ...state(), view: "code", id: "" }));
  $("back").addEventListener("click", () => history.back());
  $("prev").addEventListener("click", () => { const s = state(); go({ ...s, offset: Math.max(0, s.offset - PAGE) }); });
  $("next").addEventListener("click", () => { const s = state(); go({ ...s, offset: s.offset + PAGE }); });
  $("suggest-button").addEventListener("click", suggest);
  $("save-button").addEventListener("click", save);
  getJson("/healthz").then((h) => { writesAllowed = !!h.writes; }).catch(() => {});
  render();
});
