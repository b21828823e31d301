"""The Playground's live view: a component of our own that draws a frame of :mod:`core.xor.diagram`.

Why our own: each Altair chart is a Vega spec built in Python and compiled in the browser; the
Playground redrew four of them per frame and managed about 10 epochs per second. This component
receives a few kB of arrays per frame (node pictures and the output plane as uint8, the weights, the
points, the hidden space, the loss curve) and draws them on canvases: the network diagram (hover or
click a connection for its weight), the output over the plane, the hidden space and the loss.
Inline HTML/CSS/JS (components v2, no build, no CDN), like :mod:`ui.canvas`.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

import streamlit as st

from core.plotting import NEGATIVE, POSITIVE

_HTML = """
<div class="nnpg" data-testid="nnlab-playground">
  <div class="head"><span class="title"></span> <span class="metrics"></span></div>
  <div class="netbox"><canvas class="net" data-testid="nnlab-pg-diagram"
     aria-label="Network diagram: each tile is a neuron's output over the plane; lines are weights"></canvas>
    <div class="tip" role="status"></div></div>
  <div class="legend"><span class="sw neg"></span> negative weight / class 0 &nbsp;
    <span class="sw pos"></span> positive weight / class 1 &nbsp; line width = |weight| &nbsp;·&nbsp;
    hover a line for its weight, click it to set it</div>
  <div class="row">
    <figure><canvas class="plane" data-testid="nnlab-pg-plane"></canvas>
      <figcaption>Output over the plane (points: white ring = train, dark ring = test)</figcaption></figure>
    <figure class="hs"><canvas class="hidden" data-testid="nnlab-pg-hidden"></canvas>
      <figcaption>Hidden space: the points at the last hidden layer's values; dashed: the output's line.
        <span class="hs-note"></span></figcaption></figure>
    <figure><canvas class="loss"></canvas><figcaption>Loss over epochs</figcaption></figure>
  </div>
</div>
"""

_CSS = """
.nnpg { font-family: inherit; color: var(--st-text-color, #222); width: 100%; }
.nnpg .head { font-size: 0.95rem; margin-bottom: 0.3rem; display: flex; flex-wrap: wrap; gap: 0.2rem 0.7rem; }
.nnpg .metrics { opacity: 0.85; }
.nnpg .netbox { position: relative; width: 100%; }
.nnpg canvas { display: block; }
.nnpg canvas.net { cursor: crosshair; }
.nnpg .tip { display: none; position: absolute; pointer-events: none; background: rgba(30,30,30,0.9); color: #fff;
  font-size: 0.8rem; padding: 0.2rem 0.45rem; border-radius: 0.3rem; white-space: nowrap; z-index: 2; }
.nnpg .legend { font-size: 0.78rem; opacity: 0.8; margin: 0.2rem 0 0.5rem; }
.nnpg .sw { display: inline-block; width: 0.9rem; height: 0.5rem; border-radius: 0.15rem; vertical-align: middle; }
.nnpg .sw.neg { background: NEGATIVE; } .nnpg .sw.pos { background: POSITIVE; }
.nnpg .row { display: flex; flex-wrap: wrap; gap: 0.8rem; }
.nnpg figure { margin: 0; flex: 1 1 140px; max-width: 260px; min-width: 130px; }
.nnpg figcaption { font-size: 0.75rem; opacity: 0.8; margin-top: 0.2rem; line-height: 1.25; }
"""

_CSS = _CSS.replace("NEGATIVE", NEGATIVE).replace("POSITIVE", POSITIVE)


def rgb(hex_colour: str) -> list[int]:
    """'#2166ac' -> [33, 102, 172]."""
    return [int(hex_colour.lstrip("#")[i:i + 2], 16) for i in (0, 2, 4)]


def with_sign_colours(js: str) -> str:
    """The view's script with NEG and POS set to core.plotting's sign colours (one colour per sign everywhere)."""
    js = re.sub(r"const NEG = \[[^\]]*\]", f"const NEG = {rgb(NEGATIVE)}", js, count=1)
    return re.sub(r"POS = \[[^\]]*\];", f"POS = {rgb(POSITIVE)};", js, count=1)


_JS = with_sign_colours((Path(__file__).parent / "components" / "playground_view.js").read_text())

_component = st.components.v2.component("nnlab.playground_view", html=_HTML, css=_CSS, js=_JS)


def playground_view(frames: list[dict], key: str, interval: float = 0.1, live: bool = True,
                    on_edge: Callable[[], None] | None = None) -> None:
    """Draw frames (dicts from :func:`core.xor.diagram.frame`, oldest first) in the component with this key.

    The view queues them and draws one every ``interval / len(frames)`` seconds (a batch spread over
    the time until the next is due), so a Play loop's snapshots appear as a steady animation; if the
    queue backs up it skips the oldest, never lagging much more than a batch behind. Not ``live`` (at rest,
    after Pause): the queue is dropped and these frames shown at once, so the epoch stops where training did.
    ``on_edge``: called when a connection is clicked; it then reads ``st.session_state[key].edge``
    ({l, i, j, w, from, to}: layer, from neuron, to neuron, weight, their labels).
    """
    _component(key=key, data={"frames": frames, "interval": interval, "live": live, "editable": on_edge is not None},
               height="content", on_edge_change=on_edge or (lambda: None))
