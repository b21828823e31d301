// NN Lab's Playground view: the network diagram, the output plane, the hidden space and the loss,
// drawn on canvases from the compact arrays core/xor/diagram.py sends (see its docstring). The
// numbers all come from the Python engine; this file only draws. Called by Streamlit on mount and on
// every rerun with new data: the elements survive, so each call redraws in place.

// NN Lab's sign colours (core/plotting.py NEGATIVE, POSITIVE; ui/playground_view.py writes them in here):
// negative and class 0 red, positive and class 1 blue, as on every page.
const NEG = [178, 24, 43], MID = [232, 234, 235], POS = [33, 102, 172];
const LUT = (() => {  // 256 colours: 0 -> NEG, 128 -> light grey, 255 -> POS
  const t = new Uint8ClampedArray(256 * 3);
  for (let i = 0; i < 256; i++) {
    const f = i / 255, [a, b, g] = f < 0.5 ? [NEG, MID, f * 2] : [MID, POS, (f - 0.5) * 2];
    for (let c = 0; c < 3; c++) t[i * 3 + c] = Math.round(a[c] + (b[c] - a[c]) * g);
  }
  return t;
})();
const rgb = (q) => `rgb(${LUT[q * 3]},${LUT[q * 3 + 1]},${LUT[q * 3 + 2]})`;
const bytes = (s) => { const b = atob(s || ""), u = new Uint8Array(b.length); for (let i = 0; i < b.length; i++) u[i] = b.charCodeAt(i); return u; };
const fmt = (v, d = 3) => (v === null || v === undefined || !isFinite(v)) ? "–" : Number(v).toFixed(d);

// a steps x steps uint8 picture (row 0 = bottom of the plane) as an offscreen canvas
function picture(u8, offset, steps) {
  const c = document.createElement("canvas");
  c.width = c.height = steps;
  const ctx = c.getContext("2d"), img = ctx.createImageData(steps, steps);
  for (let r = 0; r < steps; r++) {
    for (let col = 0; col < steps; col++) {
      const q = u8[offset + r * steps + col], p = ((steps - 1 - r) * steps + col) * 4;
      img.data[p] = LUT[q * 3]; img.data[p + 1] = LUT[q * 3 + 1]; img.data[p + 2] = LUT[q * 3 + 2]; img.data[p + 3] = 255;
    }
  }
  ctx.putImageData(img, 0, 0);
  return c;
}

// size a canvas to its CSS box at the device's pixel ratio; returns [ctx, scale from logical units]
function fit(canvas, logicalW, logicalH) {
  const cssW = Math.max(120, canvas.parentElement.clientWidth || logicalW);
  const s = cssW / logicalW, dpr = window.devicePixelRatio || 1;
  canvas.style.width = cssW + "px";
  canvas.style.height = Math.round(logicalH * s) + "px";
  canvas.width = Math.round(cssW * dpr);
  canvas.height = Math.round(logicalH * s * dpr);
  const ctx = canvas.getContext("2d");
  ctx.setTransform(dpr * s, 0, 0, dpr * s, 0, 0);
  return [ctx, s];
}

// the small views draw at their on-screen size, so their text and dots keep their pixel size: drawn at
// 240 logical px and shrunk to a 170 px column, the loss chart's labels came out 7 px tall
const boxWidth = (canvas, fallback) => Math.max(120, Math.round(canvas.parentElement.clientWidth || fallback));

function edgeWidth(w, nEdges) {  // thinner when a layer pair has many connections
  const thin = Math.min(1, 6 / Math.sqrt(Math.max(1, nEdges)));
  return Math.max(0.4, Math.min(7, 0.6 + 2.2 * Math.abs(w)) * thin);
}

// On a narrow column the diagram keeps its tiles and text at least MIN_SCALE of their size and
// narrows instead: columns move closer (x remapped linearly, as core.xor.diagram.layout would place
// them for that width), but never closer than 1.6 tiles; past that the whole diagram scales down.
const MIN_SCALE = 0.8, TILE_MAX = 44, MARGIN = TILE_MAX / 2 + 40;
function narrowed(d, cssW) {
  const L = d.widths.length, need = MARGIN + TILE_MAX + (L - 1) * 1.6 * TILE_MAX;
  const W = Math.min(640, Math.max(need, cssW / MIN_SCALE));
  const k = (W - MARGIN - TILE_MAX) / (640 - MARGIN - TILE_MAX);
  return [W, d.nodes.map((n) => [MARGIN + (n[0] - MARGIN) * k, n[1], n[2], n[3]])];
}

function drawDiagram(root, d, state) {
  const canvas = root.querySelector("canvas.net");
  const [W, nodes] = narrowed(d, Math.max(120, canvas.parentElement.clientWidth || 640));
  const H = d.height;
  const [ctx, s] = fit(canvas, W, H);
  ctx.clearRect(0, 0, W, H);
  const widths = d.widths, starts = [];
  let acc = 0;
  for (const n of widths) { starts.push(acc); acc += n; }
  const maps = bytes(d.maps), m = d.map_steps;
  // connections first (under the tiles); kept for hovering
  const curves = [];
  d.weights.forEach((Wl, l) => {
    const nE = Wl.length * (Wl[0] ? Wl[0].length : 0);
    Wl.forEach((row, j) => row.forEach((w, i) => {
      const a = nodes[starts[l] + i], b = nodes[starts[l + 1] + j];
      const x0 = a[0] + a[2] / 2, y0 = a[1], x1 = b[0] - b[2] / 2, y1 = b[1], mx = (x0 + x1) / 2;
      curves.push({ l, i, j, w, x0, y0, x1, y1, mx, from: a[3], to: b[3], width: edgeWidth(w, nE) });
    }));
  });
  ctx.globalAlpha = 0.75;
  for (const c of curves) {
    ctx.strokeStyle = c.w >= 0 ? `rgb(${POS})` : `rgb(${NEG})`;
    ctx.lineWidth = c.width;
    ctx.beginPath(); ctx.moveTo(c.x0, c.y0); ctx.bezierCurveTo(c.mx, c.y0, c.mx, c.y1, c.x1, c.y1); ctx.stroke();
  }
  ctx.globalAlpha = 1;
  // tiles: each node's output over the plane
  ctx.imageSmoothingEnabled = true;
  nodes.forEach((n, idx) => {
    const [x, y, size, label] = n, pic = picture(maps, idx * m * m, m);
    ctx.drawImage(pic, x - size / 2, y - size / 2, size, size);
    ctx.strokeStyle = "rgba(60,60,60,0.55)"; ctx.lineWidth = 0.8;
    ctx.strokeRect(x - size / 2, y - size / 2, size, size);
    ctx.fillStyle = "#333"; ctx.font = `${Math.max(9, Math.min(12, size / 3))}px sans-serif`;
    if (idx < widths[0]) { ctx.textAlign = "right"; ctx.textBaseline = "middle"; ctx.fillText(label, x - size / 2 - 4, y); }
  });
  // column headings
  ctx.fillStyle = "#555"; ctx.font = "11px sans-serif"; ctx.textAlign = "center"; ctx.textBaseline = "top";
  widths.forEach((n, l) => {
    const x = nodes[starts[l]][0];
    const name = l === 0 ? "input" : l === widths.length - 1 ? "output" : `layer ${l}: ${n}`;
    ctx.fillText(name, x, 2);
  });
  state.curves = curves; state.scale = s; state.d = d; state.starts = starts; state.nodes = nodes;
  hover(root, state);
}

function distToCurve(c, px, py) {
  let best = Infinity;
  for (let t = 0; t <= 1.0001; t += 0.05) {
    const u = 1 - t;
    const x = u * u * u * c.x0 + 3 * u * u * t * c.mx + 3 * u * t * t * c.mx + t * t * t * c.x1;
    const y = u * u * u * c.y0 + 3 * u * u * t * c.y0 + 3 * u * t * t * c.y1 + t * t * t * c.y1;
    best = Math.min(best, Math.hypot(x - px, y - py));
  }
  return best;
}

// the tooltip: the connection (or node) under the pointer; a click pins it
function hover(root, state) {
  const tip = root.querySelector(".tip"), canvas = root.querySelector("canvas.net");
  const p = state.pinned || state.mouse;
  if (!p || !state.d) { tip.style.display = "none"; return; }
  const px = p[0] / state.scale, py = p[1] / state.scale;
  let text = null, hit = null;
  state.nodes.forEach((n, idx) => {
    if (Math.abs(px - n[0]) <= n[2] / 2 + 1 && Math.abs(py - n[1]) <= n[2] / 2 + 1) {
      const l = state.starts.findLastIndex((s0) => s0 <= idx), i = idx - state.starts[l];
      const bias = l > 0 ? state.d.biases[l - 1][i] : null;
      text = `${n[3]}` + (bias !== null ? `: bias ${fmt(bias)}` : ": input feature");
    }
  });
  if (!text) {
    let best = 6 / state.scale + 2;
    for (const c of state.curves) { const dd = distToCurve(c, px, py); if (dd < best) { best = dd; hit = c; } }
    if (hit) text = `${hit.from} → ${hit.to}: weight ${fmt(hit.w)}`;
  }
  state.hit = hit;
  if (!text) { tip.style.display = "none"; return; }
  if (hit) {  // outline the connection
    const ctx = canvas.getContext("2d");
    ctx.strokeStyle = "rgba(20,20,20,0.9)"; ctx.lineWidth = hit.width + 1.5;
    ctx.beginPath(); ctx.moveTo(hit.x0, hit.y0); ctx.bezierCurveTo(hit.mx, hit.y0, hit.mx, hit.y1, hit.x1, hit.y1); ctx.stroke();
  }
  tip.textContent = text + (state.pinned ? (hit && state.send ? "  (set it beside the view)" : "  (pinned: click again to free)") : "");
  tip.style.display = "block";
  tip.style.left = Math.min(p[0] + 12, canvas.clientWidth - 200) + "px";
  tip.style.top = (p[1] + 14) + "px";
}

function drawPoints(ctx, pts, toX, toY, regression, r) {
  for (let k = 0; k + 3 < pts.length; k += 4) {
    const x = toX(pts[k]), y = toY(pts[k + 1]), lab = pts[k + 2], train = pts[k + 3];
    ctx.beginPath(); ctx.arc(x, y, r, 0, 2 * Math.PI);
    ctx.fillStyle = rgb(regression ? lab : (lab > 127 ? 255 : 0)); ctx.fill();
    ctx.lineWidth = 1; ctx.strokeStyle = train ? "#ffffff" : "#222222"; ctx.stroke();
  }
}

function drawPlane(root, d) {
  const canvas = root.querySelector("canvas.plane"), S = boxWidth(canvas, 240);
  const [ctx] = fit(canvas, S, S);
  const pic = picture(bytes(d.plane), 0, d.plane_steps);
  ctx.imageSmoothingEnabled = true;
  ctx.drawImage(pic, 0, 0, S, S);
  drawPoints(ctx, bytes(d.points), (q) => q / 255 * S, (q) => S - q / 255 * S, d.regression, 2.6);
  ctx.strokeStyle = "#999"; ctx.strokeRect(0.5, 0.5, S - 1, S - 1);
}

function drawHidden(root, d) {
  const fig = root.querySelector("figure.hs"), canvas = root.querySelector("canvas.hidden");
  const h = d.hidden;
  fig.style.display = h ? "" : "none";
  if (!h) return;
  const S = boxWidth(canvas, 240);
  const [ctx] = fit(canvas, S, S);
  const [a, b, c] = h.line, lo = h.lo, hi = h.hi, span = hi - lo;
  const toU = (px) => lo + px / S * span, toPx = (v) => (v - lo) / span * S;
  // background: the output neuron's answer across this view (sigmoid of a*u + b*v + c)
  const n = 48, img = ctx.createImageData(n, n);
  for (let r = 0; r < n; r++) for (let col = 0; col < n; col++) {
    const u = toU((col + 0.5) * S / n), v = toU(S - (r + 0.5) * S / n);
    const z = a * u + b * v + c, q = Math.round(255 / (1 + Math.exp(-z))), p = (r * n + col) * 4;
    const lq = Math.round(128 + (q - 128) * 0.55);  // paler than the points
    img.data[p] = LUT[lq * 3]; img.data[p + 1] = LUT[lq * 3 + 1]; img.data[p + 2] = LUT[lq * 3 + 2]; img.data[p + 3] = 255;
  }
  const off = document.createElement("canvas"); off.width = off.height = n; off.getContext("2d").putImageData(img, 0, 0);
  ctx.imageSmoothingEnabled = true; ctx.drawImage(off, 0, 0, S, S);
  // the output's line a*u + b*v + c = 0
  ctx.save(); ctx.beginPath(); ctx.rect(0, 0, S, S); ctx.clip();
  ctx.strokeStyle = "#222"; ctx.lineWidth = 2; ctx.setLineDash([6, 4]); ctx.beginPath();
  if (Math.abs(b) > 1e-9) {
    ctx.moveTo(0, S - toPx(-(a * lo + c) / b)); ctx.lineTo(S, S - toPx(-(a * hi + c) / b));
  } else if (Math.abs(a) > 1e-9) {
    const u = -c / a; ctx.moveTo(toPx(u), 0); ctx.lineTo(toPx(u), S);
  }
  ctx.stroke(); ctx.restore(); ctx.setLineDash([]);
  // points at their hidden values
  const xy = bytes(h.xy), pts = bytes(d.points), packed = new Uint8Array(pts.length);
  for (let k = 0; 4 * k + 3 < pts.length; k++) {
    packed[4 * k] = xy[2 * k]; packed[4 * k + 1] = xy[2 * k + 1]; packed[4 * k + 2] = pts[4 * k + 2]; packed[4 * k + 3] = pts[4 * k + 3];
  }
  drawPoints(ctx, packed, (q) => q / 255 * S, (q) => S - q / 255 * S, d.regression, 2.6);
  ctx.strokeStyle = "#999"; ctx.strokeRect(0.5, 0.5, S - 1, S - 1);
  // the axis names sit in the corner where points often gather: a pale halo keeps them readable
  ctx.font = "11px sans-serif"; ctx.textAlign = "left"; ctx.textBaseline = "bottom"; ctx.lineJoin = "round";
  ctx.fillStyle = "#222"; ctx.strokeStyle = "rgba(255,255,255,0.85)"; ctx.lineWidth = 3;
  const say = (t, x, y) => { ctx.strokeText(t, x, y); ctx.fillText(t, x, y); };
  say(`→ ${h.u}`, 4, S - 3); ctx.save(); ctx.translate(14, S - 40); ctx.rotate(-Math.PI / 2);
  say(`→ ${h.v}`, 0, 0); ctx.restore();
  root.querySelector(".hs-note").textContent = h.note;
}

function drawLoss(root, d) {
  const canvas = root.querySelector("canvas.loss"), W = boxWidth(canvas, 240), H = Math.round(W * 0.72);
  const [ctx] = fit(canvas, W, H);
  ctx.clearRect(0, 0, W, H);
  const c = d.curve, E = Math.max(1, d.epochs || 1), L = 30, B = 22, T = 8, R = 8;
  const vals = c.train.concat(c.test).filter((v) => v !== null && isFinite(v));
  const top = Math.max(1e-6, vals.length ? Math.max(...vals) * 1.05 : 1);
  const X = (e) => L + (W - L - R) * e / E, Y = (v) => H - B - (H - B - T) * v / top;
  ctx.strokeStyle = "#bbb"; ctx.lineWidth = 1; ctx.beginPath(); ctx.moveTo(L, T); ctx.lineTo(L, H - B); ctx.lineTo(W - R, H - B); ctx.stroke();
  ctx.fillStyle = "#555"; ctx.font = "11px sans-serif"; ctx.textAlign = "right"; ctx.textBaseline = "middle";
  ctx.fillText(fmt(top, 2), L - 3, T + 4); ctx.fillText("0", L - 3, H - B);
  ctx.textAlign = "center"; ctx.textBaseline = "top"; ctx.fillText("0", L, H - B + 3); ctx.fillText(String(E), W - R - 8, H - B + 3);
  ctx.fillText("epoch", (L + W) / 2, H - B + 3);
  [["train", "#555555"], ["test", "#0877bd"]].forEach(([k, col], n) => {
    ctx.strokeStyle = col; ctx.lineWidth = 1.8; ctx.beginPath();
    let started = false;
    c.epoch.forEach((e, i) => { const v = c[k][i]; if (v === null) return; if (!started) { ctx.moveTo(X(e), Y(v)); started = true; } else ctx.lineTo(X(e), Y(v)); });
    ctx.stroke();
    ctx.fillStyle = col; ctx.textAlign = "left"; ctx.fillText(`${k} loss`, L + 8 + n * 70, T);
  });
}

function header(root, d) {
  const m = d.metrics || {}, parts = [];
  if ("test_loss" in m) parts.push(`test loss ${fmt(m.test_loss)}`);
  if ("train_loss" in m) parts.push(`train loss ${fmt(m.train_loss)}`);
  if ("test_acc" in m && m.test_acc !== null) parts.push(`test acc. ${Math.round(100 * m.test_acc)}%`);
  if ("train_acc" in m && m.train_acc !== null) parts.push(`train acc. ${Math.round(100 * m.train_acc)}%`);
  root.querySelector(".metrics").textContent = parts.join(" · ");
  root.querySelector(".title").textContent = `epoch ${d.epoch}` + (d.title ? ` · ${d.title}` : "") + " ·";
}

export default function (component) {
  const { parentElement, data, setTriggerValue } = component;
  const root = parentElement.querySelector(".nnpg");
  const frames = (data && data.frames) || [];
  if (!root || !frames.length) return;
  const state = root.__nnlab || (root.__nnlab = {});
  const canvas = root.querySelector("canvas.net");
  state.send = data.editable ? setTriggerValue : null;  // a click on a connection asks Python to edit it
  if (!state.ready) {
    state.ready = true;
    canvas.addEventListener("pointermove", (e) => { const r = canvas.getBoundingClientRect(); state.mouse = [e.clientX - r.left, e.clientY - r.top]; if (state.d) drawDiagram(root, state.d, state); });
    canvas.addEventListener("pointerleave", () => { state.mouse = null; if (state.d) drawDiagram(root, state.d, state); });
    canvas.addEventListener("click", (e) => {
      const r = canvas.getBoundingClientRect(); state.pinned = state.pinned ? null : [e.clientX - r.left, e.clientY - r.top];
      if (state.d) drawDiagram(root, state.d, state);
      const h = state.hit;
      if (state.pinned && h && state.send) state.send("edge", { l: h.l, i: h.i, j: h.j, w: h.w, from: h.from, to: h.to });
    });
    state.width = root.clientWidth;
    new ResizeObserver(() => {  // redraw at a new width only (drawing changes the height)
      if (state.d && root.clientWidth !== state.width) { state.width = root.clientWidth; draw(root, state.d, state); }
    }).observe(root);
  }
  // frames join a queue that a steady player drains: one frame every interval / (frames per batch),
  // so a batch is spread over the time until the next is due; if the queue backs up (a slow tab),
  // the oldest are skipped so the view never lags more than about one batch behind the engine
  const q = state.queue || (state.queue = []);
  if (data.live === false) q.length = 0;  // at rest (paused, stepped): the state now, not the frames before it
  q.push(...frames);
  while (q.length > 2 * frames.length + 1) q.shift();
  state.spacing = 1000 * (data.interval || 0.1) / frames.length;
  if (!state.playing) {
    state.playing = true;
    const tick = () => {
      if (!q.length) { state.playing = false; return; }
      const now = performance.now();
      if (!state.lastShown || now - state.lastShown >= state.spacing * 0.9) {
        state.lastShown = now;
        show(root, q.shift(), state);
      }
      requestAnimationFrame(tick);
    };
    tick();
  }
}

function show(root, d, state) {
  if (!d || !d.nodes) return;
  const t0 = performance.now();
  draw(root, d, state);
  // what the benchmark and the browser test read: one entry per redraw
  const log = (window.__nnlabPlayground = window.__nnlabPlayground || { draws: [] });
  log.draws.push([performance.now(), d.epoch, d.title, performance.now() - t0]);
  if (log.draws.length > 5000) log.draws.splice(0, 1000);
}

function draw(root, d, state) {
  header(root, d);
  drawDiagram(root, d, state);
  drawPlane(root, d);
  drawHidden(root, d);
  drawLoss(root, d);
  root.dataset.epoch = String(d.epoch);
}
