// dfd web page: uploads each chosen image to /v1/detect and shows the verdict. No dependencies, no network beyond
// this server.
"use strict";
const state = { positive: "Fake", labels: [], threshold: null };
const $ = (id) => document.getElementById(id);

async function loadModel() {
  try {
    const r = await fetch("/v1/models");
    const m = (await r.json()).models[0];
    state.positive = m.positive_label;
    state.labels = m.labels;
    state.threshold = m.threshold;
    const size = m.preprocessing.size ? m.preprocessing.size.join("×") : "variable";
    $("model").textContent = `model ${m.id} · labels ${m.labels.join(", ")} · input ${size}`;
    document.querySelectorAll(".positive-name").forEach((e) => (e.textContent = m.positive_label));
    if (m.threshold !== null) {
      $("use-threshold").checked = true;
      $("threshold").disabled = false;
      $("threshold").value = m.threshold;
    }
    showThreshold();
  } catch (e) {
    $("model").textContent = "cannot reach the server: " + e;
  }
}

function currentThreshold() {
  return $("use-threshold").checked ? Number($("threshold").value) : null;
}

function showThreshold() {
  const t = currentThreshold();
  $("threshold").disabled = t === null;
  $("threshold-value").textContent = t === null ? "top label" : `${state.positive} if score ≥ ${t.toFixed(2)}`;
}

function card(file) {
  const el = document.createElement("article");
  el.className = "card pending";
  const figure = document.createElement("div");
  figure.className = "figure";
  const img = document.createElement("img");
  img.alt = file.name;
  img.src = URL.createObjectURL(file);
  figure.append(img);
  const body = document.createElement("div");
  body.className = "body";
  body.innerHTML = `<div class="name"></div><div class="label">…</div>
    <div class="bar" role="img"><div class="fill"></div><div class="mark"></div></div>
    <div class="meta muted">uploading</div>`;
  body.querySelector(".name").textContent = file.name;
  el.append(figure, body);
  $("results").prepend(el);
  return el;
}

async function detect(file) {
  const el = card(file);
  const t = currentThreshold();
  const form = new FormData();
  form.append("file", file, file.name);
  const started = performance.now();
  try {
    const r = await fetch("/v1/detect" + (t === null ? "" : `?threshold=${t}`), { method: "POST", body: form });
    const data = await r.json();
    const ms = Math.round(performance.now() - started);
    el.classList.remove("pending");
    if (!r.ok) {
      el.classList.add("error");
      el.querySelector(".label").textContent = "error";
      el.querySelector(".meta").textContent = data.error ? data.error.message : `HTTP ${r.status}`;
      return;
    }
    if (data.status === "no_face") {
      el.classList.add("no-face");
      el.querySelector(".label").textContent = "no face";
      el.querySelector(".bar").remove();
      el.querySelector(".meta").textContent = `no face found: no verdict · ${ms} ms`;
      return;
    }
    if (data.faces && data.faces.length) drawFaces(el, data.faces);
    const positive = data.label === state.positive;
    el.classList.add(positive ? "is-positive" : "is-negative");
    el.querySelector(".label").textContent = data.label;
    const pct = Math.max(0, Math.min(100, data.score * 100));
    el.querySelector(".fill").style.width = pct + "%";
    const bar = el.querySelector(".bar");
    bar.setAttribute("aria-label", `${state.positive} score ${data.score.toFixed(3)}`);
    const mark = el.querySelector(".mark");
    if (t === null) mark.remove(); else mark.style.left = t * 100 + "%";
    el.querySelector(".meta").textContent =
      `${state.positive} score ${data.score.toFixed(3)}` + (t === null ? " · top label" : ` · threshold ${t.toFixed(2)}`) +
      (data.faces && data.faces.length ? ` · ${data.faces.length} face${data.faces.length > 1 ? "s" : ""}` : "") +
      ` · ${ms} ms`;
  } catch (e) {
    el.classList.remove("pending");
    el.classList.add("error");
    el.querySelector(".label").textContent = "error";
    el.querySelector(".meta").textContent = String(e);
  }
}

/** Each face's box and verdict over the image, in the image's own pixels (the SVG scales with it). */
function drawFaces(el, faces) {
  const img = el.querySelector("img");
  const draw = () => {
    const ns = "http://www.w3.org/2000/svg";
    const svg = document.createElementNS(ns, "svg");
    svg.setAttribute("class", "boxes");
    svg.setAttribute("viewBox", `0 0 ${img.naturalWidth} ${img.naturalHeight}`);
    svg.setAttribute("preserveAspectRatio", "xMidYMid meet");
    const stroke = Math.max(2, Math.round(Math.max(img.naturalWidth, img.naturalHeight) / 150));
    for (const f of faces) {
      const [x, y, w, h] = f.box;
      const fake = f.label === state.positive;
      const g = document.createElementNS(ns, "g");
      g.setAttribute("class", "face " + (fake ? "is-positive" : "is-negative"));
      const r = document.createElementNS(ns, "rect");
      Object.entries({ x, y, width: w, height: h, "stroke-width": stroke }).forEach(([k, v]) => r.setAttribute(k, v));
      const t = document.createElementNS(ns, "text");
      t.setAttribute("x", x);
      t.setAttribute("y", Math.max(stroke * 6, y - stroke));
      t.setAttribute("font-size", stroke * 6);
      t.textContent = `${f.label} ${f.score.toFixed(2)}`;
      g.append(r, t);
      svg.append(g);
    }
    el.classList.add("has-faces");
    el.querySelector(".figure").append(svg);
  };
  if (img.complete && img.naturalWidth) draw(); else img.addEventListener("load", draw, { once: true });
}

function handle(files) {
  for (const f of files) detect(f);
}

$("files").addEventListener("change", (e) => handle(e.target.files));
$("use-threshold").addEventListener("change", showThreshold);
$("threshold").addEventListener("input", showThreshold);
const drop = $("drop");
["dragenter", "dragover"].forEach((ev) => drop.addEventListener(ev, (e) => { e.preventDefault(); drop.classList.add("over"); }));
["dragleave", "drop"].forEach((ev) => drop.addEventListener(ev, (e) => { e.preventDefault(); drop.classList.remove("over"); }));
drop.addEventListener("drop", (e) => handle(e.dataTransfer.files));
loadModel();
