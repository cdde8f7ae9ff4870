"use strict";
// MAP-ELITE viewer. Every number shown was computed by the Python side (mapelite.stats); this
// script unpacks the embedded data and lays it out. Lists are virtualised (only the visible
// rows exist in the page) and an item's details are built when it is opened.

const META = JSON.parse(document.getElementById("viewer-meta").textContent);
let D = null; // the embedded data, once unpacked
const state = { tab: "grid", row: null, harness: null, run: null, zero: false, errors: false,
                truncated: false, list: [], sel: -1, pairA: 0, pairB: 1, listKind: "items" };

// -- small helpers -------------------------------------------------------------------------------
function h(tag, attrs, ...children) {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === null || v === undefined || v === false) continue;
    if (k === "class") el.className = v;
    else if (k.startsWith("on")) el.addEventListener(k.slice(2), v);
    else el.setAttribute(k, v === true ? "" : v);
  }
  return add(el, children);
}
function add(el, ...children) {
  for (const c of children.flat(Infinity)) {
    if (c === null || c === undefined || c === false) continue;
    el.append(c instanceof Node ? c : String(c));
  }
  return el;
}
const fmt = (v, d = 3) => (v === null || v === undefined ? "—" : Number(v).toFixed(d));
const usd = (v) => (v === null || v === undefined ? "—" : "$" + (v >= 0.01 ? v.toFixed(4) : v.toPrecision(3)));
const pct = (a, b) => (b ? Math.round((100 * a) / b) + "%" : "—");
const ci = (lo, hi) => (lo === null || lo === undefined ? "" : `[${fmt(lo)}, ${fmt(hi)}]`);
const when = (iso) => (iso ? iso.replace("T", " ").replace(/\.\d+Z$/, "Z") : "—");
const simTag = (on) => (on ? h("span", { class: "tag sim" }, "SIM") : null);
function clear(el) { while (el.firstChild) el.firstChild.remove(); return el; }

async function unpack() {
  const text = document.getElementById("viewer-data").textContent.trim();
  const binary = atob(text);
  const bytes = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i);
  const stream = new Blob([bytes]).stream().pipeThrough(new DecompressionStream("gzip"));
  return JSON.parse(await new Response(stream).text());
}

// -- indexes built once ------------------------------------------------------------------------
let cellOf = new Map(); // "row:harness" -> cell
function index() {
  for (const c of D.cells) cellOf.set(c.row + ":" + c.harness, c);
  D.swarmOf = new Map(); // "row:harness:prompt" -> swarm item index
  const s = D.swarm_items;
  for (let i = 0; i < s.row.length; i++) D.swarmOf.set(s.row[i] + ":" + s.harness[i] + ":" + s.prompt[i], i);
  D.pairOf = new Map();
  for (const p of D.pairs) D.pairOf.set(p.a + ":" + p.b, p);
}

// -- tabs ----------------------------------------------------------------------------------------
const TABS = [["grid", "Grid"], ["items", "Items"], ["runs", "Runs"], ["compare", "Compare"],
              ["frontier", "Frontier"], ["search", "Search"]];
function tabs() {
  const nav = clear(document.getElementById("tabs"));
  for (const [id, label] of TABS) {
    if (id === "search" && !D.search.length) continue;
    nav.append(h("button", { role: "tab", id: "tab-" + id, "aria-selected": String(state.tab === id),
                             onclick: () => show(id) }, label));
  }
}
function show(tab) {
  state.tab = tab;
  tabs();
  const main = clear(document.getElementById("main"));
  ({ grid: viewGrid, items: viewItems, runs: viewRuns, compare: viewCompare,
     frontier: viewFrontier, search: viewSearch })[tab](main);
}

// -- grid ----------------------------------------------------------------------------------------
function rowLabel(r) {
  const row = D.rows[r];
  return [row.name, simTag(row.simulated)];
}
function viewGrid(main) {
  add(main, h("h2", {}, "Setups × harnesses"),
    h("p", { class: "muted" }, "Mean of the scored items, 95% interval (Wilson for 0/1 scores, clustered by item family), n scored, coverage and errors. Errors are not scores. Click a cell to list its items."));
  if (!D.rows.length) { add(main, h("p", {}, "No results in this selection.")); return; }
  const used = [...new Set(D.cells.map((c) => c.harness))].sort((a, b) => a - b); // harnesses run
  const head = h("tr", {}, h("th", {}, "setup / swarm run"), used.map((i) => h("th", {}, `${i} ${D.harnesses[i]}`)));
  const body = D.rows.map((row, r) => h("tr", {},
    h("th", { class: "rowname" }, rowLabel(r)),
    used.map((hid) => {
      const c = cellOf.get(r + ":" + hid);
      if (!c) return h("td", { class: "empty" }, "·");
      const errs = c.errors + c.failed_entries;
      return h("td", { class: "cell" + (state.row === r && state.harness === hid ? " sel" : ""),
                       "data-row": r, "data-harness": hid, title: `${row.name} on ${D.harnesses[hid]}`,
                       onclick: () => openCell(r, hid) },
        h("div", { class: "v" }, fmt(c.value)),
        h("div", { class: "ci" }, ci(c.ci_low, c.ci_high)),
        h("div", { class: "n" }, `n=${c.n} · ${pct(c.n, c.answers)}`),
        errs ? h("div", { class: "err" }, `${c.errors} errors` + (c.failed_entries ? `, ${c.failed_entries} failed runs` : "")) : null,
        c.truncated ? h("div", { class: "muted" }, `${c.truncated} truncated`) : null);
    })));
  add(main, h("table", { class: "grid", id: "grid" }, h("thead", {}, head), h("tbody", {}, body)));
  if (state.row !== null && state.harness !== null) viewItems(main); // the chosen cell's items
}
function openCell(r, hid) {
  Object.assign(state, { row: r, harness: hid, run: null, sel: -1 });
  show("grid");
  document.getElementById("item-list").scrollIntoView({ block: "nearest" });
}

// -- item lists ----------------------------------------------------------------------------------
// A list entry is {kind: "item", i} (one answer) or {kind: "swarm", s} (a swarm item).
function collect() {
  const I = D.items, E = D.entries, out = [];
  const row = state.row, isSwarm = row !== null && D.rows[row].kind === "swarm";
  if (isSwarm) {
    const S = D.swarm_items;
    for (let s = 0; s < S.row.length; s++) {
      if (S.row[s] !== row || (state.harness !== null && S.harness[s] !== state.harness)) continue;
      if (state.zero && !(S.last[s] === 0)) continue;
      if (state.errors && !S.errors[s]) continue; // any stage's answer failed
      if (state.truncated && !S.truncated[s]) continue;
      out.push({ kind: "swarm", s });
    }
    return out;
  }
  for (let i = 0; i < I.entry.length; i++) {
    const e = I.entry[i];
    if (row !== null && E.solo_row[e] !== row) continue;
    if (state.harness !== null && E.harness[e] !== state.harness) continue;
    if (state.run !== null && E.run[e] !== state.run) continue;
    if (state.zero && I.score[i] !== 0) continue;
    if (state.errors && I.error[i] === null && E.error[e] === null) continue;
    if (state.truncated && I.finish_reason[i] !== "length") continue;
    out.push({ kind: "item", i });
  }
  return out;
}
function viewItems(main) {
  const options = (list, current, key) => list.map(([value, label]) =>
    h("option", { value, selected: String(current) === String(value) }, label));
  const setupSel = h("select", { id: "f-row", onchange: (ev) => { state.row = ev.target.value === "" ? null : +ev.target.value; refill(); } },
    options([["", "every setup"], ...D.rows.map((r, i) => [i, r.name])], state.row ?? ""));
  const harnessSel = h("select", { id: "f-harness", onchange: (ev) => { state.harness = ev.target.value === "" ? null : +ev.target.value; refill(); } },
    options([["", "every harness"], ...D.harnesses.map((n, i) => [i, `${i} ${n}`])], state.harness ?? ""));
  const runSel = h("select", { id: "f-run", onchange: (ev) => { state.run = ev.target.value === "" ? null : +ev.target.value; refill(); } },
    options([["", "every run"], ...D.runs.map((r, i) => [i, `${r.id} (${r.kind})`])], state.run ?? ""));
  const box = (id, key, label) => h("label", {}, h("input", { type: "checkbox", id, checked: state[key],
    onchange: (ev) => { state[key] = ev.target.checked; refill(); } }), label);
  const count = h("span", { id: "item-count", class: "muted" });
  const list = h("div", { class: "list", id: "item-list", tabindex: "0" });
  add(main, h("h2", {}, state.tab === "grid" ? `Items of ${D.rows[state.row].name} on ${D.harnesses[state.harness]}` : "Items"),
    h("div", { class: "filters" }, setupSel, harnessSel, runSel, box("f-zero", "zero", "score 0"),
      box("f-errors", "errors", "errors"), box("f-truncated", "truncated", "truncated"), count),
    list);
  function refill() { state.list = collect(); state.sel = state.list.length ? 0 : -1; paint(list, count); }
  state.list = collect();
  if (state.sel >= state.list.length) state.sel = state.list.length ? 0 : -1;
  if (state.sel < 0 && state.list.length) state.sel = 0;
  list.addEventListener("scroll", () => paint(list, count));
  paint(list, count);
  list.focus();
}
const ROW_H = 28;
function paint(list, count) {
  const n = state.list.length;
  count.textContent = `${n} ${n === 1 ? "item" : "items"}`;
  clear(list);
  const spacer = h("div", { style: `height:${n * ROW_H}px` });
  list.append(spacer);
  if (!n) { list.append(h("div", { class: "row muted", style: "top:0" }, "no items match these filters")); return; }
  const first = Math.max(0, Math.floor(list.scrollTop / ROW_H) - 5);
  const last = Math.min(n, first + Math.ceil((list.clientHeight || 440) / ROW_H) + 10);
  for (let k = first; k < last; k++) list.append(listRow(state.list[k], k));
}
function listRow(entry, k) {
  const I = D.items, E = D.entries, P = D.prompts;
  let score, id, who, flags = [];
  if (entry.kind === "swarm") {
    const S = D.swarm_items, s = entry.s;
    score = S.last[s]; id = S.prompt[s] >= 0 ? P.id[S.prompt[s]] : "?";
    who = `${D.harnesses[S.harness[s]]} · first stage ${fmt(S.first[s], 2)} → last ${fmt(S.last[s], 2)}`;
    if (S.outcome[s] === "fixed" || S.outcome[s] === "broke") flags.push(h("span", { class: "tag " + S.outcome[s] }, S.outcome[s]));
  } else {
    const i = entry.i, e = I.entry[i];
    score = I.score[i]; id = P.id[I.prompt[i]];
    who = `${D.harnesses[E.harness[e]]} · ${E.setup[e]} · run ${D.runs[E.run[e]].id}` + (E.role[e] !== "single" ? ` · ${E.role[e]} s${E.stage[e]}a${E.agent[e]}` : "");
    if (I.error[i] !== null) flags.push(h("span", { class: "tag err" }, "error"));
    if (I.finish_reason[i] === "length") flags.push(h("span", { class: "tag" }, "truncated"));
    if (I.thinking[i]) flags.push(h("span", { class: "tag" }, "thinking"));
  }
  return h("div", { class: "row" + (k === state.sel ? " sel" : ""), style: `top:${k * ROW_H}px`, "data-k": k,
                    onclick: () => { state.sel = k; repaint(); openEntry(entry); } },
    h("span", { class: "score" }, score === null ? "err" : fmt(score, 2)),
    h("span", { class: "id" }, id), h("span", { class: "who" }, who), flags);
}
function repaint() {
  const list = document.getElementById("item-list"), count = document.getElementById("item-count");
  if (list && count) paint(list, count);
}
function scrollToSel() {
  const list = document.getElementById("item-list");
  if (!list || state.sel < 0) return;
  const top = state.sel * ROW_H;
  if (top < list.scrollTop) list.scrollTop = top;
  else if (top + ROW_H > list.scrollTop + list.clientHeight) list.scrollTop = top + ROW_H - list.clientHeight;
  repaint();
}

// -- item details --------------------------------------------------------------------------------
function openEntry(entry) {
  if (entry.kind === "swarm") openSwarm(entry.s); else openItem(entry.i);
}
function panel() {
  const el = clear(document.getElementById("detail"));
  el.hidden = false;
  document.body.classList.add("with-detail");
  add(el, h("button", { class: "close", onclick: closeDetail, title: "Esc" }, "close ✕"));
  return el;
}
function closeDetail() {
  const el = document.getElementById("detail");
  el.hidden = true;
  document.body.classList.remove("with-detail");
  const list = document.getElementById("item-list");
  if (list) list.focus();
}
function facts(pairs) {
  return h("dl", { class: "facts" }, pairs.filter(([, v]) => v !== null && v !== undefined && v !== "")
    .map(([k, v]) => [h("dt", {}, k), h("dd", {}, v)]));
}
function promptBlock(p) {
  const P = D.prompts;
  const out = [h("h3", {}, "Prompt")];
  if (P.prompt[p] === null) out.push(h("p", { class: "muted" }, P.note[p] || "prompt not available"));
  else {
    if (P.system[p]) out.push(h("details", {}, h("summary", {}, "system prompt"), h("pre", {}, P.system[p])));
    out.push(h("pre", { class: "prompt" }, P.prompt[p]));
    if (P.note[p]) out.push(h("p", { class: "muted" }, P.note[p]));
  }
  if (P.reference[p] !== null) out.push(h("h3", {}, "Reference"), h("pre", { class: "reference" }, P.reference[p]));
  return out;
}
function answerBlock(i) {
  const I = D.items, out = [];
  if (I.thinking[i]) out.push(h("details", { class: "thinking" }, h("summary", {}, `thinking (${I.thinking[i].length} characters, folded)`), h("pre", {}, I.thinking[i])));
  out.push(h("h3", {}, "Answer"), I.answer[i] === null ? h("p", { class: "muted" }, "no answer") : h("pre", { class: "answer" }, I.answer[i]));
  if (I.extracted[i] !== null) out.push(h("h3", {}, "Extracted answer (what the scorer read)"), h("pre", { class: "extracted" }, I.extracted[i]));
  return out;
}
function itemFacts(i) {
  const I = D.items, E = D.entries, e = I.entry[i];
  const tokens = `${I.tokens_in[i]} in / ${I.tokens_out[i]} out` + (I.reasoning_tokens[i] !== null ? ` (${I.reasoning_tokens[i]} reasoning)` : "");
  const finish = I.finish_reason[i] === null ? null : I.finish_reason[i] + (I.native_finish_reason[i] && I.native_finish_reason[i] !== I.finish_reason[i] ? ` (provider: ${I.native_finish_reason[i]})` : "") + (I.finish_reason[i] === "length" ? " — truncated at the token budget" : "");
  return facts([
    ["score", I.score[i] === null ? "not scored (error)" : fmt(I.score[i], 4)],
    ["error", I.error[i] ?? E.error[e]],
    ["finish reason", finish],
    ["tokens", tokens],
    ["cost", usd(I.cost_usd[i]) + (I.cost_source[i] ? ` (${I.cost_source[i]})` : "") + (E.simulated[e] ? " SIMULATED" : "")],
    ["latency", I.latency_s[i] === null ? null : I.latency_s[i] + " s"],
    ["served by", I.served_by[i]],
    ["attempts", I.attempts[i]],
    ["cached", I.cached[i] ? "yes (answered from the response cache)" : null],
  ]);
}
function openItem(i) {
  const I = D.items, E = D.entries, P = D.prompts, e = I.entry[i], p = I.prompt[i];
  const el = panel();
  add(el, h("h2", { id: "detail-title" }, P.id[p], simTag(E.simulated[e])),
    facts([["harness", `${E.harness[e]} ${D.harnesses[E.harness[e]]}`], ["bank", `${P.bank[p]} v${P.version[p]}`],
           ["family", P.family[p]], ["setup", E.setup[e]], ["run", D.runs[E.run[e]].id],
           ["place", E.pattern[e] ? `${E.pattern[e]} stage ${E.stage[e]} agent ${E.agent[e]} (${E.role[e]})` : null]]),
    itemFacts(i), answerBlock(i), promptBlock(p));
  el.focus();
}
function openSwarm(s) {
  const S = D.swarm_items, E = D.entries, I = D.items, P = D.prompts;
  const row = D.rows[S.row[s]], hid = S.harness[s], p = S.prompt[s];
  const runIndex = D.runs.findIndex((r) => r.id === row.run);
  const stages = new Map();
  for (let i = 0; i < I.entry.length; i++) {
    const e = I.entry[i];
    if (E.run[e] !== runIndex || E.harness[e] !== hid || I.prompt[i] !== p) continue;
    if (!stages.has(E.stage[e])) stages.set(E.stage[e], []);
    stages.get(E.stage[e]).push(i);
  }
  const el = panel();
  add(el, h("h2", { id: "detail-title" }, p >= 0 ? P.id[p] : "?", simTag(row.simulated)),
    facts([["swarm", `${row.pattern} · run ${row.run}`], ["harness", `${hid} ${D.harnesses[hid]}`],
           ["first stage mean", fmt(S.first[s], 3)], ["last stage mean", fmt(S.last[s], 3)],
           ["what the swarm did", h("span", { class: "tag " + S.outcome[s].split(" ")[0] }, S.outcome[s])]]));
  add(el, h("h3", {}, "Stage tree"));
  for (const stage of [...stages.keys()].sort((a, b) => a - b)) {
    const nodes = stages.get(stage).sort((a, b) => E.agent[I.entry[a]] - E.agent[I.entry[b]]);
    const role = E.role[I.entry[nodes[0]]];
    add(el, h("div", { class: "stage", "data-stage": stage }, h("strong", {}, `stage ${stage} · ${role} · ${nodes.length} ${nodes.length === 1 ? "agent" : "agents"}`),
      nodes.map((i) => {
        const e = I.entry[i];
        return h("div", { class: "node" },
          h("details", {}, h("summary", {}, h("span", { class: "score" }, I.score[i] === null ? "err" : fmt(I.score[i], 2)), ` agent ${E.agent[e]} · ${E.setup[e]}`,
              I.error[i] ? h("span", { class: "tag err" }, "error") : null, I.finish_reason[i] === "length" ? h("span", { class: "tag" }, "truncated") : null),
            itemFacts(i), answerBlock(i)));
      })));
  }
  if (p >= 0) add(el, promptBlock(p), h("p", { class: "muted" }, "Later stages saw this prompt together with the previous stage's answers."));
  el.focus();
}

// -- runs ----------------------------------------------------------------------------------------
function viewRuns(main) {
  add(main, h("h2", {}, `Runs (${D.runs.length})`), h("p", { class: "muted" }, "Click a run to list its items."));
  const head = h("tr", {}, ["run id", "kind", "started", "ended", "setups", "harnesses", "entries", "coverage", "errors", "spend"].map((t) => h("th", {}, t)));
  const body = D.runs.map((r, k) => h("tr", { class: "click", onclick: () => { Object.assign(state, { row: null, harness: null, run: k, sel: -1 }); show("items"); } },
    h("td", {}, r.id, simTag(r.simulated)), h("td", {}, r.kind + (r.pattern ? " " + r.pattern : "") + (r.tier ? ` (${r.tier})` : "")),
    h("td", {}, when(r.start)), h("td", {}, when(r.end)),
    h("td", { title: r.setups.join("\n") }, r.setups.length > 3 ? `${r.setups.length} setups` : r.setups.join(", ")),
    h("td", {}, r.harnesses.length === 8 ? "all 8" : r.harnesses.map((x) => D.harnesses[x]).join(", ")),
    h("td", { class: "num" }, r.entries), h("td", { class: "num" }, `${r.scored}/${r.answers} (${pct(r.scored, r.answers)})`),
    h("td", { class: "num" + (r.errors + r.failed_entries ? " err" : "") }, `${r.errors}` + (r.failed_entries ? ` + ${r.failed_entries} failed` : "")),
    h("td", { class: "num" }, usd(r.cost_usd) + (r.simulated ? " SIMULATED" : ""))));
  add(main, h("table", { id: "runs" }, h("thead", {}, head), h("tbody", {}, body)));
}

// -- compare -------------------------------------------------------------------------------------
function viewCompare(main) {
  add(main, h("h2", {}, "Compare two setups item by item"));
  const n = D.paired_rows;
  if (n < 2) { add(main, h("p", {}, "Needs at least two setups or swarm runs.")); return; }
  const pick = (id, key) => h("select", { id, onchange: (ev) => { state[key] = +ev.target.value; show("compare"); } },
    D.rows.slice(0, n).map((r, i) => h("option", { value: i, selected: state[key] === i }, r.name)));
  add(main, h("div", { class: "filters" }, h("label", {}, "A ", pick("cmp-a", "pairA")), h("label", {}, "B ", pick("cmp-b", "pairB"))));
  if (D.rows.length > n) add(main, h("p", { class: "muted" }, `Only the first ${n} rows are compared.`));
  const a = state.pairA, b = state.pairB;
  if (a === b) { add(main, h("p", {}, "Choose two different rows.")); return; }
  const flip = a > b, pair = D.pairOf.get(Math.min(a, b) + ":" + Math.max(a, b));
  if (!pair) { add(main, h("p", { id: "cmp-none" }, "These two answered no item in common.")); return; }
  const sign = flip ? -1 : 1;
  const diff = (x) => (x === null ? "—" : (sign * x >= 0 ? "+" : "") + (sign * x).toFixed(3));
  const range = (p) => (flip ? `[${diff(p.ci_high)}, ${diff(p.ci_low)}]` : `[${diff(p.ci_low)}, ${diff(p.ci_high)}]`);
  const wins = (p) => (flip ? p.losses : p.wins), losses = (p) => (flip ? p.wins : p.losses);
  add(main, h("p", { id: "cmp-summary" }, `On ${pair.n} shared items A wins ${wins(pair)}, loses ${losses(pair)}, ties ${pair.ties}; `,
    `A − B = ${diff(pair.difference)} ${range(pair)}, p = ${fmt(pair.p_value, 4)} (${pair.method}).`));
  const head = h("tr", {}, ["harness", "n", "A wins", "A loses", "ties", "A − B", "95% CI", "p (Holm)"].map((t) => h("th", {}, t)));
  add(main, h("table", { id: "cmp-table" }, h("thead", {}, head), h("tbody", {}, pair.harnesses.map((p) => h("tr", {},
    h("td", {}, D.harnesses[p.harness]), h("td", { class: "num" }, p.n), h("td", { class: "num" }, wins(p)), h("td", { class: "num" }, losses(p)),
    h("td", { class: "num" }, p.ties), h("td", { class: "num" }, diff(p.difference)), h("td", {}, range(p)), h("td", { class: "num" }, fmt(p.p_holm, 4)))))));
  // Item by item: each side's mean score per item, the items where they differ first.
  const side = (r) => {
    const I = D.items, E = D.entries, m = new Map();
    const isSwarm = D.rows[r].kind === "swarm";
    for (let i = 0; i < I.entry.length; i++) {
      const e = I.entry[i];
      if ((isSwarm ? E.swarm_row[e] : E.solo_row[e]) !== r || I.score[i] === null) continue;
      const k = E.harness[e] + ":" + D.prompts.bank[I.prompt[i]] + ":" + D.prompts.id[I.prompt[i]];
      const t = m.get(k) || { sum: 0, n: 0, i };
      t.sum += I.score[i]; t.n += 1; m.set(k, t);
    }
    return m;
  };
  const A = side(a), B = side(b), shared = [];
  for (const [k, t] of A) if (B.has(k)) shared.push({ k, a: t.sum / t.n, b: B.get(k).sum / B.get(k).n, ia: t.i, ib: B.get(k).i });
  shared.sort((x, y) => Math.abs(y.a - y.b) - Math.abs(x.a - x.b) || (x.k < y.k ? -1 : 1));
  add(main, h("h3", {}, "Items (differences first)"));
  add(main, h("table", { id: "cmp-items" }, h("thead", {}, h("tr", {}, ["item", "harness", "A", "B", ""].map((t) => h("th", {}, t)))),
    h("tbody", {}, shared.slice(0, 500).map((x) => h("tr", { class: "click", onclick: () => openPair(x) },
      h("td", {}, D.prompts.id[D.items.prompt[x.ia]]), h("td", {}, x.k.split(":")[0] + " " + D.harnesses[+x.k.split(":")[0]]),
      h("td", { class: "num" }, fmt(x.a, 2)), h("td", { class: "num" }, fmt(x.b, 2)),
      h("td", {}, x.a > x.b ? "A wins" : x.a < x.b ? "B wins" : "tie"))))));
  if (shared.length > 500) add(main, h("p", { class: "muted" }, `first 500 of ${shared.length} shared items`));
}
function openPair(x) {
  const el = panel();
  add(el, h("h2", { id: "detail-title" }, D.prompts.id[D.items.prompt[x.ia]]));
  for (const [label, i] of [["A", x.ia], ["B", x.ib]]) {
    const e = D.items.entry[i];
    add(el, h("h2", {}, `${label}: ${D.entries.setup[e]}` + (D.entries.pattern[e] ? ` (${D.entries.pattern[e]} run ${D.runs[D.entries.run[e]].id})` : "")), itemFacts(i), answerBlock(i));
  }
  add(el, promptBlock(D.items.prompt[x.ia]));
}

// -- frontier ------------------------------------------------------------------------------------
function viewFrontier(main) {
  add(main, h("h2", {}, "Cost–quality frontier"),
    h("p", { class: "muted" }, "Mean score over the harnesses a setup covered (equal weights, 95% interval) against its cost per answered item. Red: the Pareto frontier (among setups with all 8 harnesses when there are any). Hollow: partial coverage."));
  const pts = D.frontier.filter((p) => p.cost_per_item_usd !== null);
  if (!pts.length) { add(main, h("p", {}, "No setup with a score and a cost.")); return; }
  const W = 860, H = 420, L = 60, R = 220, T = 16, B = 44;
  const xs = pts.map((p) => p.cost_per_item_usd), positive = xs.filter((x) => x > 0);
  const floor = positive.length ? Math.min(...positive) / 10 : 1e-6;
  const log = positive.length > 0 && (positive.length < xs.length || Math.max(...positive) > 10 * Math.min(...positive));
  const low = positive.length < xs.length ? floor : Math.min(...positive);
  const X0 = log ? Math.log10(low / 2) : 0, X1 = log ? Math.log10(Math.max(...xs, floor) * 2) : Math.max(...xs) * 1.1 || 1;
  const sx = (x) => L + ((log ? Math.log10(Math.max(x, floor)) : x) - X0) / (X1 - X0) * (W - L - R);
  const sy = (y) => T + (1 - y) * (H - T - B);
  const NS = "http://www.w3.org/2000/svg";
  const s = (tag, attrs, text) => { const el = document.createElementNS(NS, tag); for (const [k, v] of Object.entries(attrs)) el.setAttribute(k, v); if (text !== undefined) el.textContent = text; return el; };
  const svg = s("svg", { width: W, height: H, class: "plot", id: "frontier-plot", viewBox: `0 0 ${W} ${H}` });
  for (let y = 0; y <= 1.0001; y += 0.2) { svg.append(s("line", { x1: L, x2: W - R, y1: sy(y), y2: sy(y), class: "gridline" }), s("text", { x: L - 6, y: sy(y) + 4, "text-anchor": "end" }, y.toFixed(1))); }
  svg.append(s("line", { x1: L, x2: W - R, y1: H - B, y2: H - B, class: "axis" }), s("line", { x1: L, x2: L, y1: T, y2: H - B, class: "axis" }));
  const ticks = log ? Array.from({ length: Math.floor(X1) - Math.ceil(X0) + 1 }, (_, k) => 10 ** (Math.ceil(X0) + k)) : [0, 0.25, 0.5, 0.75, 1].map((f) => f * X1);
  for (const t of ticks) svg.append(s("text", { x: sx(t), y: H - B + 16, "text-anchor": "middle" }, "$" + (t < 0.001 ? t.toExponential(0) : +t.toPrecision(2))));
  svg.append(s("text", { x: (L + W - R) / 2, y: H - 6, "text-anchor": "middle" }, `cost per answered item, USD (${log ? "log" : "linear"} scale)`));
  const front = pts.filter((p) => p.on_frontier).sort((a, b) => a.cost_per_item_usd - b.cost_per_item_usd);
  if (front.length > 1) {
    let d = `M${sx(front[0].cost_per_item_usd)},${sy(front[0].value)}`;
    for (let k = 1; k < front.length; k++) d += `H${sx(front[k].cost_per_item_usd)}V${sy(front[k].value)}`;
    svg.append(s("path", { d, fill: "none", stroke: "#d92d20", "stroke-width": 2 }));
  }
  // Labels at least 13 px apart vertically (pushed down past the one above), so none overprints.
  const labelY = new Map();
  let previous = -Infinity;
  for (const p of [...pts].sort((a, b) => sy(a.value) - sy(b.value))) {
    previous = Math.max(sy(p.value) + 4, previous + 13);
    labelY.set(p, previous);
  }
  for (const p of pts) {
    const x = sx(p.cost_per_item_usd), y = sy(p.value), row = D.rows[p.row], colour = row.kind === "swarm" ? "#7a5af8" : "#2459c7";
    svg.append(s("line", { x1: x, x2: x, y1: sy(p.ci_low), y2: sy(p.ci_high), stroke: colour }),
      s("circle", { cx: x, cy: y, r: 5, fill: p.complete ? colour : "#fff", stroke: colour, "stroke-width": 1.5 }));
    const ly = labelY.get(p);
    if (Math.abs(ly - 4 - y) > 2) svg.append(s("line", { x1: x + 5, y1: y, x2: x + 16, y2: ly - 4, stroke: "#98a2b3" }));
    svg.append(s("text", { x: x + 18, y: ly }, row.name.replace(/^[^/]+\//, "") + (row.simulated ? " [SIM]" : "")));
  }
  add(main, svg);
  const head = h("tr", {}, ["setup / swarm run", "mean", "95% CI", "harnesses", "cost per item", "frontier"].map((t) => h("th", {}, t)));
  add(main, h("table", { id: "frontier-table" }, h("thead", {}, head), h("tbody", {}, D.frontier.map((p) => h("tr", {},
    h("td", {}, rowLabel(p.row)), h("td", { class: "num" }, fmt(p.value)), h("td", {}, ci(p.ci_low, p.ci_high)),
    h("td", {}, p.complete ? "all 8" : p.harnesses.map((x) => D.harnesses[x]).join(", ")),
    h("td", { class: "num" }, usd(p.cost_per_item_usd)), h("td", {}, p.on_frontier ? "yes" : ""))))));
}

// -- search archive ------------------------------------------------------------------------------
function viewSearch(main) {
  add(main, h("h2", {}, `Search archive (${D.search.length} entries)`),
    h("p", { class: "muted" }, "Ledger entries written by map-elite search, with the fields of their search record."));
  const E = D.entries, names = [];
  for (const rec of D.search) for (const k of Object.keys(rec)) if (k !== "entry" && !names.includes(k)) names.push(k);
  const head = h("tr", {}, ["setup", "harness", "run", ...names].map((t) => h("th", {}, t)));
  add(main, h("table", { id: "search-table" }, h("thead", {}, head), h("tbody", {}, D.search.slice(0, 2000).map((rec) => h("tr", {},
    h("td", {}, E.setup[rec.entry], simTag(E.simulated[rec.entry])), h("td", {}, D.harnesses[E.harness[rec.entry]]), h("td", {}, D.runs[E.run[rec.entry]].id),
    names.map((k) => h("td", {}, rec[k] === undefined || rec[k] === null ? "—" : typeof rec[k] === "number" ? +rec[k].toPrecision(4) : String(rec[k]))))))));
}

// -- keyboard ------------------------------------------------------------------------------------
document.addEventListener("keydown", (ev) => {
  if (!D || ev.target.tagName === "SELECT" || ev.target.tagName === "INPUT" || ev.ctrlKey || ev.metaKey || ev.altKey) return;
  const key = ev.key;
  if (key === "Escape") { closeDetail(); ev.preventDefault(); return; }
  const n = +key;
  if (n >= 1 && n <= TABS.length) { const t = TABS[n - 1][0]; if (t !== "search" || D.search.length) show(t); return; }
  if (!document.getElementById("item-list") || !state.list.length) return;
  if (key === "j" || key === "ArrowDown") { state.sel = Math.min(state.list.length - 1, state.sel + 1); scrollToSel(); ev.preventDefault(); }
  else if (key === "k" || key === "ArrowUp") { state.sel = Math.max(0, state.sel - 1); scrollToSel(); ev.preventDefault(); }
  else if (key === "Enter" && state.sel >= 0) { openEntry(state.list[state.sel]); ev.preventDefault(); }
});

// -- start ---------------------------------------------------------------------------------------
(async () => {
  document.getElementById("meta-line").textContent =
    `${META.selection} of ${META.ledger} · ${META.runs} runs, ${META.entries} of ${META.ledger_entries} entries, ${META.answers} answers · written ${when(META.generated_at)}`;
  document.getElementById("sim-banner").hidden = !META.simulated;
  D = await unpack();
  index();
  show(D.rows.length ? "grid" : "runs");
  document.body.dataset.ready = "1";
  window.viewerReadyMs = performance.now();
})().catch((err) => {
  document.getElementById("main").textContent = "Could not read the embedded data: " + err;
  throw err;
});
