"use strict";
// The page talks to the JSON API of `tangshi serve`; nothing is fetched from elsewhere.
const RULE_NAMES = {
  form: "form", rhyme: "rhyme 押韵", even_ping: "even lines end 平", odd_ze: "odd lines end 仄",
  line_types: "line patterns", dui: "对", nian: "粘", no_gu_ping: "no 孤平", no_san_ping_wei: "no 三平尾",
};
const $ = (id) => document.getElementById(id);

async function api(path, body) {
  const response = await fetch(path, body === undefined ? {} : {
    method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify(body),
  });
  const data = await response.json().catch(() => ({}));
  if (!response.ok) throw new Error(typeof data.detail === "string" ? data.detail : "the server could not do that");
  return data;
}

function renderPoem(p, tokens) {
  const box = document.createElement("article");
  box.className = "poem";
  if (!p.well_formed) {
    box.innerHTML = "";
    const raw = document.createElement("div");
    raw.className = "line";
    raw.textContent = tokens || p.poem;
    const why = document.createElement("p");
    why.className = "verdict bad";
    why.textContent = p.message;
    box.append(raw, why);
    return box;
  }
  const couplets = Object.fromEntries((p.couplets || []).map((c) => [c.lines[1], c]));  // by its second line (from 1)
  const plan = plan_of(p);
  p.lines.forEach((line, index) => {
    const couplet = couplets[index + 1] || couplets[index + 2];
    const row = document.createElement("div");
    row.className = "line" + (couplet && couplet.parallel ? " parallel" : "");
    line.chars.forEach((c, i) => {
      const span = document.createElement("span");
      span.className = `char ${c.tone}` + (line.rhyme && i === line.chars.length - 1 ? " rhyme" : "");
      span.innerHTML = `<span></span><small>${{ ping: "平", ze: "仄", either: "?" }[c.tone]}</small>`;
      span.firstChild.textContent = c.char;
      row.append(span);
    });
    row.append(document.createTextNode(line.punct));
    if (plan && plan[index]) {  // the keyword the line was written to, marked kept or not
      const k = document.createElement("span");
      const chars = line.chars.map((c) => c.char).join("");
      k.className = "keyword " + (chars.includes(plan[index]) ? "kept" : "missed");
      k.textContent = plan[index];
      k.title = chars.includes(plan[index]) ? "the line's planned keyword, written" : "the line's planned keyword, not written";
      row.append(k);
    }
    if (line.rhyme && line.groups.length) {
      const g = document.createElement("span");
      g.className = "group";
      g.textContent = line.groups.join(" / ");
      row.append(g);
    }
    box.append(row);
    for (const note of line.notes || []) {  // the accepted 拗 variant it is, or the rule it breaks
      const n = document.createElement("div");
      n.className = "note " + (note.startsWith("✗") ? "bad" : "variant");
      n.textContent = note;
      box.append(n);
    }
    if (couplets[index + 1]) {  // after a 律诗's couplet: its 对仗, a note beside the rules
      const c = couplets[index + 1];
      const mark = document.createElement("div");
      mark.className = "couplet " + (c.parallel ? "parallel" : "plain");
      mark.textContent = `对仗: ${c.grade} · lines ${c.lines[0]}–${c.lines[1]}`
        + (c.parallel && c.unanswered.length ? ` · position ${c.unanswered.join("、")} unanswered` : "");
      mark.title = "工对: every position answered; 宽对: all but one; judged position by position (judge/parallel.py)";
      box.append(mark);
    }
  });
  const form = document.createElement("p");
  form.className = "form-name";
  form.textContent = `${p.form} · ${p.shape}` + (plan ? ` · plan: ${plan.map((k) => k || "—").join(" ")}` : "");
  box.prepend(form);
  const rules = document.createElement("ul");
  rules.className = "rules";
  for (const [rule, kept] of Object.entries(p.rules)) {
    const li = document.createElement("li");
    li.className = kept ? "kept" : "broken";
    li.textContent = (kept ? "✓ " : "✗ ") + (RULE_NAMES[rule] || rule);
    rules.append(li);
  }
  const verdict = document.createElement("p");
  const old = p.style && p.style.kind === "古体";  // 古体: not bound by the rules of 近体, its rhyme alone checked
  verdict.className = "verdict " + (p.meter_valid ? "ok" : old ? "old" : "bad");
  verdict.textContent = p.meter_valid
    ? `近体: keeps every rule of ${p.form} (${p.pattern}, ${p.rhyme_group})`
    : old ? `${p.style.reason} — not bound by the rules of 近体`
    : `近体 with faults: breaks ` + Object.entries(p.rules).filter(([, k]) => !k).map(([r]) => RULE_NAMES[r] || r).join(", ");
  const copy = document.createElement("button");
  copy.className = "copy";
  copy.type = "button";
  copy.textContent = "Copy";
  copy.addEventListener("click", async () => {
    try { await navigator.clipboard.writeText(p.poem); copy.textContent = "Copied"; }
    catch { copy.textContent = "Select the text to copy"; }
  });
  box.append(...(old ? [] : [rules]), verdict);  // a 古体 poem is not listed against the rules of 近体
  if (p.whole) box.append(wholeLine(p.whole, p.form));
  box.append(copy);
  return box;
}

// The poem read as a whole (judge/cohesion.py), beside real poems of its form where the server has them.
function wholeLine(w, form) {
  const line = document.createElement("p");
  line.className = "whole";
  const real = w.real;
  const pct = (x) => (100 * x).toFixed(1) + "%";
  const cohesion = w.cohesion === null ? "no pair of content characters"
    : w.cohesion.toFixed(2) + (real ? ` (real ${form} median ${real.cohesion_median.toFixed(2)}: ${w.cohesion > real.cohesion_median ? "above" : "below"})` : "");
  line.textContent = `As a whole: specificity ${w.specificity.toFixed(2)}` + (real ? ` (real ${form} ${real.specificity.toFixed(2)})` : "")
    + ` · repeated ${pct(w.repeated)}` + (real ? ` (real ${pct(real.repeated)})` : "") + `, 叠字 ${pct(w.doubled)}`
    + ` · cohesion ${cohesion}`;
  line.title = "specificity: mean inverse document frequency of the characters; repeated: characters that repeat an "
    + "earlier one (叠字 apart); cohesion: mean PMI of the content characters of different lines";
  return line;
}

function plan_of(p) {  // the keywords a written poem was planned to, one a line (none for a poem checked)
  return Array.isArray(p.plan) && p.plan.length ? p.plan : null;
}

function givenKind() {
  return document.querySelector("input[name=kind]:checked").value;
}

let FORMS = { 五绝: [4, 5], 七绝: [4, 7], 五律: [8, 5], 七律: [8, 7] };  // lines, characters; the server's list replaces it
let MODEL_FORMS = {};  // model -> the forms it writes

function checkGiven(kind, text) {
  const chars = [...text];
  const form = $("form").value;
  const [lines, width] = FORMS[form];
  if (kind === "acrostic" && chars.length !== lines) return `an acrostic for ${form} has ${lines} characters, one per line; you typed ${chars.length}`;
  if (kind === "first_line" && chars.length !== width) return `a first line of ${form} has ${width} characters; you typed ${chars.length}`;
  if (kind === "start" && chars.length > 1) return "a start character is one character";
  return null;
}

async function loadModels() {
  try {
    const data = await api("/api/models");
    const select = $("model");
    for (const m of data.models) {
      const option = document.createElement("option");
      option.value = m.name;
      option.textContent = `${m.name} (${m.impl}, ${m.layers}×${m.hidden}, dev PP ${m.dev_ppl ? m.dev_ppl.toFixed(1) : "?"})`;
      select.append(option);
    }
    if (data.default) select.value = data.default;
    FORMS = Object.fromEntries(data.forms.map((f) => [f.name, [f.lines, f.chars]]));
    MODEL_FORMS = Object.fromEntries(data.models.map((m) => [m.name, m.forms]));
    fitForms();
    loadPoets();
    $("best-of").value = data.best_of;
    $("guidance").value = data.guidance;
    $("guidance").max = data.max_guidance;
    $("plan").checked = data.plan;
    if (!data.models.length) {
      $("write-message").textContent = data.hint;
      $("write").disabled = true;
    }
  } catch (err) {
    $("write-message").textContent = err.message;
  }
}

let POETS = new Set();  // the chosen model's poets, for the picker

async function loadPoets() {  // the searchable picker: every poet the chosen model knows, most poems first
  const list = $("poet-list");
  list.replaceChildren();
  try {
    const data = await api(`/api/poets?model=${encodeURIComponent($("model").value)}`);
    POETS = new Set(data.poets.map((p) => p.name));
    for (const p of data.poets) {
      const option = document.createElement("option");
      option.value = p.name;
      option.label = `${p.name} · ${p.poems} poems`;
      list.append(option);
    }
    const told = data.poets.length > 0;
    $("title").disabled = $("poet").disabled = $("guidance").disabled = !told;
    $("keywords").disabled = $("plan").disabled = !data.plans;
    $("poet-count").textContent = told ? `${data.poets.length} poets` : "this model is told no title or poet";
  } catch (err) {
    $("poet-count").textContent = err.message;
  }
}

function fitForms() {  // offer the forms the chosen model writes; size the hints to the chosen form
  const writes = MODEL_FORMS[$("model").value] || Object.keys(FORMS);
  for (const option of $("form").options) option.disabled = !writes.includes(option.value);
  if (!writes.includes($("form").value)) $("form").value = writes.includes("五律") ? "五律" : writes[0];
  const [lines, width] = FORMS[$("form").value];
  $("acrostic-size").textContent = lines;
  $("line-size").textContent = width;
  $("given").placeholder = {
    start: "月 (empty: the model chooses)", acrostic: "春江花月夜思故乡".slice(0, lines),
    first_line: width === 5 ? "国破山河在" : "风急天高猿啸哀",
  }[givenKind()];
}

document.querySelectorAll("input[name=kind]").forEach((radio) => radio.addEventListener("change", () => {
  fitForms();
  $("write-message").textContent = "";
}));
$("form").addEventListener("change", () => { fitForms(); $("write-message").textContent = ""; });
$("model").addEventListener("change", () => { fitForms(); loadPoets(); });

$("write-form").addEventListener("submit", async (event) => {
  event.preventDefault();
  const kind = givenKind();
  const text = $("given").value.trim();
  const problem = checkGiven(kind, text) || (kind !== "start" && !text ? "the box is empty: type the characters to begin with" : null);
  $("write-message").textContent = problem || "";
  if (problem) return;
  const body = {
    model: $("model").value, form: $("form").value, constrain: $("constrain").value,
    temperature: Number($("temperature").value), n: Number($("count").value), best_of: Number($("best-of").value),
    seed: Math.floor(Math.random() * 1e9),
  };
  if (text) body[kind] = text;
  const title = $("title").value.trim(), poet = $("poet").value.trim();
  if (poet && POETS.size && !POETS.has(poet)) {
    $("write-message").textContent = `the model does not know ${poet}: pick a name from the list`;
    return;
  }
  if (title && !$("title").disabled) body.title = title;
  const keywords = $("keywords").value.trim().split(/[\s,，、]+/).filter((k) => k);
  if (!$("keywords").disabled) {
    if (keywords.length > FORMS[$("form").value][0]) {
      $("write-message").textContent = `a plan for ${$("form").value} has at most ${FORMS[$("form").value][0]} keywords, one a line; you typed ${keywords.length}`;
      return;
    }
    if (keywords.length) body.keywords = keywords;
    body.plan = $("plan").checked;
  }
  if (poet && !$("poet").disabled) body.poet = poet;
  // the browser keeps the lean within 0 to max; empty leaves the default, and a poem told nothing has none
  if ((body.title || body.poet) && $("guidance").value !== "") body.guidance = Number($("guidance").value);
  $("write").disabled = true;
  $("poems").replaceChildren();
  try {
    const data = await api("/api/write", body);
    $("poems").replaceChildren(...data.poems.map((p) => renderPoem(p, p.tokens)));
  } catch (err) {
    $("write-message").textContent = err.message;
  } finally {
    $("write").disabled = false;
  }
});

$("check-form").addEventListener("submit", async (event) => {
  event.preventDefault();
  const poem = $("check-text").value.trim();
  $("checked").replaceChildren();
  if (!poem) { $("check-message").textContent = "the box is empty: paste a poem of 4 or 8 lines of 5 or 7 characters"; return; }
  $("check-message").textContent = "";
  try {
    $("checked").replaceChildren(renderPoem(await api("/api/check", { poem })));
  } catch (err) {
    $("check-message").textContent = err.message;
  }
});

loadModels();
