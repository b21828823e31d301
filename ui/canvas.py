"""A drawing canvas for Streamlit 1.67 (components v2, inline HTML/JS: no CDN, no build, no iframe).

Why our own: ``streamlit-drawable-canvas`` 0.13 raises on import beside Streamlit 1.67 ("must be declared
in pyproject.toml with asset_dir to use file-backed css"), and it ships 400 kB of Fabric.js for what a
digit needs: strokes, a clear button, the picture back in Python.

Mouse, pen and touch all arrive as pointer events. When a stroke ends the canvas sends a PNG data URL
as the component's state ``png`` (kept across reruns); "Clear" sends "". :func:`digit_canvas` returns
the PNG bytes (or None when the canvas is empty).
"""

from __future__ import annotations

import base64
import binascii

import streamlit as st

SIZE = 280  # canvas pixels (10x MNIST's 28)
MAX_DATA_URL = 2_000_000  # a 280x280 PNG is a few kB; anything far bigger is not from this canvas
PREFIX = "data:image/png;base64,"

_HTML = f"""
<div class="nnlab-canvas">
  <canvas width="{SIZE}" height="{SIZE}" aria-label="Drawing area: draw one digit"
          data-testid="nnlab-digit-canvas"></canvas>
  <div class="row">
    <button type="button" class="clear" data-testid="nnlab-canvas-clear">Clear</button>
    <span class="hint">Draw one digit, large, with the mouse or a finger.</span>
  </div>
</div>
"""

_CSS = f"""
.nnlab-canvas {{ display: flex; flex-direction: column; gap: 0.4rem; align-items: flex-start; }}
.nnlab-canvas canvas {{
  width: {SIZE}px; height: {SIZE}px; max-width: 100%;
  background: #fff; border: 2px solid var(--st-border-color, #ccc); border-radius: 0.5rem;
  touch-action: none; cursor: crosshair;
}}
.nnlab-canvas .row {{ display: flex; gap: 0.75rem; align-items: center; }}
.nnlab-canvas .clear {{
  font: inherit; padding: 0.25rem 0.9rem; border-radius: 0.5rem; cursor: pointer;
  border: 1px solid var(--st-border-color, #ccc); background: var(--st-secondary-background-color, #f0f2f6);
  color: var(--st-text-color, #222);
}}
.nnlab-canvas .hint {{ font-size: 0.85rem; opacity: 0.7; color: var(--st-text-color, #222); }}
"""

# Called by Streamlit on mount and again on every rerun with new args: the canvas element (and its
# pixels) survive reruns, so handlers are (re)assigned as properties and pixels are never reset here.
_JS = """
export default function(component) {
  const { parentElement, setStateValue, data } = component;
  const canvas = parentElement.querySelector("canvas");
  const clear = parentElement.querySelector("button.clear");
  const ctx = canvas.getContext("2d");
  const lineWidth = (data && data.line_width) || 20;
  if (!canvas.__nnlabReady) {
    canvas.__nnlabReady = true;
    ctx.fillStyle = "#ffffff";
    ctx.fillRect(0, 0, canvas.width, canvas.height);
    canvas.__nnlabInk = false;
    // a fresh element (e.g. after switching tabs): show the drawing Python still holds
    const restore = data && data.restore;
    if (restore && restore.startsWith("data:image/png;base64,")) {
      const img = new Image();
      img.onload = () => { ctx.drawImage(img, 0, 0, canvas.width, canvas.height); canvas.__nnlabInk = true; };
      img.src = restore;
    }
  }
  let drawing = false, last = null;
  const at = (e) => {
    const r = canvas.getBoundingClientRect();
    return [(e.clientX - r.left) * canvas.width / r.width, (e.clientY - r.top) * canvas.height / r.height];
  };
  const dot = (p) => {
    ctx.fillStyle = "#000000";
    ctx.beginPath(); ctx.arc(p[0], p[1], lineWidth / 2, 0, 2 * Math.PI); ctx.fill();
  };
  const send = () => setStateValue("png", canvas.toDataURL("image/png"));
  canvas.onpointerdown = (e) => {
    e.preventDefault();
    drawing = true; last = at(e); dot(last); canvas.__nnlabInk = true;
    try { canvas.setPointerCapture(e.pointerId); } catch (err) { /* synthetic events have no capture */ }
  };
  canvas.onpointermove = (e) => {
    if (!drawing) return;
    e.preventDefault();
    const p = at(e);
    ctx.strokeStyle = "#000000"; ctx.lineWidth = lineWidth; ctx.lineCap = "round"; ctx.lineJoin = "round";
    ctx.beginPath(); ctx.moveTo(last[0], last[1]); ctx.lineTo(p[0], p[1]); ctx.stroke();
    last = p;
  };
  const end = (e) => {
    if (!drawing) return;
    drawing = false; last = null;
    send();
  };
  canvas.onpointerup = end;
  canvas.onpointercancel = end;
  canvas.onpointerleave = end;
  clear.onclick = () => {
    ctx.fillStyle = "#ffffff";
    ctx.fillRect(0, 0, canvas.width, canvas.height);
    canvas.__nnlabInk = false;
    setStateValue("png", "");
  };
}
"""

_component = st.components.v2.component("nnlab.digit_canvas", html=_HTML, css=_CSS, js=_JS)


def decode_data_url(url: str | None) -> bytes | None:
    """A canvas PNG data URL -> PNG bytes; None for an empty canvas or anything that is not one."""
    if not url or not isinstance(url, str) or len(url) > MAX_DATA_URL or not url.startswith(PREFIX):
        return None
    try:
        return base64.b64decode(url[len(PREFIX):], validate=True)
    except (binascii.Error, ValueError):
        return None


def digit_canvas(key: str = "digit_canvas", line_width: int = 20) -> bytes | None:
    """Show the canvas; returns the drawing as PNG bytes (black ink on white, 280x280) or None."""
    restore = st.session_state.get(f"{key}__png", "")  # redrawn if the element is mounted afresh
    result = _component(key=key, data={"line_width": line_width, "restore": restore or ""},
                        default={"png": ""}, on_png_change=lambda: None, height="content")
    try:
        url = result["png"]
    except (KeyError, TypeError):
        url = getattr(result, "png", None)
    st.session_state[f"{key}__png"] = url if isinstance(url, str) and len(url) <= MAX_DATA_URL else ""
    return decode_data_url(url)
