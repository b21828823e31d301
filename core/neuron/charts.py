"""The neuron drawn: inputs -> weights -> sum -> activation -> output, each weight's edge in the sign colours
(blue +, red -) and as thick as the weight is large. Data first (:func:`diagram_frames`), then the picture.

The picture is an SVG written as a string, not a chart: Home shows it as an image (a few kB of script in the
browser). A Vega-Lite chart here cost Home's first chart about a quarter of a second: a second chart to
compile ahead of the first one.
"""

from __future__ import annotations

from html import escape

import pandas as pd

from core.neuron.config import LIMIT
from core.neuron.jobs import Neuron
from core.plotting import NEGATIVE, POSITIVE

SUM_X, ACT_X, OUT_X = 2.0, 3.2, 4.4
GREY = "#777777"
LABEL_X = 0.45  # where a weight's label starts (its line starts at 0.25)
X_DOMAIN, Y_DOMAIN = (-0.4, OUT_X + 0.5), (-1.35, 1.35)
RADIUS = 27  # px: each node's circle holds its name and its value
TITLE = "One neuron: inputs × weights, summed with the bias, then the activation"
FONT = "Helvetica, Arial, sans-serif"  # an image loads no web font: the system's sans-serif


def _node_label(v: float) -> str:
    return f"{v:.3g}"


def diagram_frames(n: Neuron) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(nodes, edges) of the drawing. nodes: x, y, text, sub, value; edges: x, y, x2, y2, weight, text, tx, ty."""
    k = len(n.x)
    ys = [1.0 - 2.0 * i / k for i in range(k + 1)]  # inputs top to bottom, then the bias
    nodes = [{"x": 0.0, "y": y, "text": f"x{i + 1}", "sub": _node_label(v), "value": v}
             for i, (y, v) in enumerate(zip(ys, n.x))]
    nodes.append({"x": 0.0, "y": ys[-1], "text": "bias", "sub": "1", "value": 1.0})
    nodes += [{"x": SUM_X, "y": 0.0, "text": "Σ", "sub": f"z = {_node_label(n.z)}", "value": n.z},
              {"x": ACT_X, "y": 0.0, "text": n.label, "sub": "", "value": 0.0},
              {"x": OUT_X, "y": 0.0, "text": "output", "sub": f"{_node_label(n.a)}", "value": n.a}]
    edges = []
    for i, (y, wi) in enumerate(zip(ys, (*n.w, n.b))):
        name = f"w{i + 1}" if i < k else "b"
        edges.append({"x": 0.25, "y": y, "x2": SUM_X - 0.25, "y2": 0.0, "weight": wi,
                      "text": f"{name} = {wi:.3g}", "tx": LABEL_X,
                      "ty": y * (SUM_X - 0.25 - LABEL_X) / (SUM_X - 0.5) + (-0.17 if y < 0 else 0.14)})
        # near the input, where the lines are far apart; above a falling line, below a rising one
    edges += [{"x": SUM_X + 0.25, "y": 0.0, "x2": ACT_X - 0.45, "y2": 0.0, "weight": None, "text": "", "tx": 0.0,
               "ty": 0.0},
              {"x": ACT_X + 0.45, "y": 0.0, "x2": OUT_X - 0.3, "y2": 0.0, "weight": None, "text": "", "tx": 0.0,
               "ty": 0.0}]
    return pd.DataFrame(nodes), pd.DataFrame(edges)


def colour(weight: float) -> str:
    """A weight's sign colour: blue when positive (and 0), red when negative."""
    return POSITIVE if weight >= 0 else NEGATIVE


def stroke_width(weight: float) -> float:
    """1 px at weight 0 to 8 px at the sliders' limit: a weight keeps its width as the others move."""
    return 1.0 + 7.0 * min(abs(weight), LIMIT) / LIMIT


def diagram_svg(n: Neuron, width: int = 520, height: int = 300) -> str:
    """The neuron as an SVG document: weight edges in the sign colours, as wide as the weight is large, the
    inputs, the sum z, the activation and the output in circles, a title on top."""
    nodes, edges = diagram_frames(n)
    top = 24  # the title's band
    px = lambda x: (x - X_DOMAIN[0]) / (X_DOMAIN[1] - X_DOMAIN[0]) * width  # noqa: E731
    py = lambda y: top + (Y_DOMAIN[1] - y) / (Y_DOMAIN[1] - Y_DOMAIN[0]) * (height - top)  # noqa: E731
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
             f'viewBox="0 0 {width} {height}" font-family="{FONT}">',
             f'<rect width="{width}" height="{height}" fill="white"/>',
             f'<text x="{width / 2:.1f}" y="16" font-size="13" font-weight="bold" text-anchor="middle">'
             f'{escape(TITLE)}</text>']
    for e in edges.itertuples():
        line = f'x1="{px(e.x):.1f}" y1="{py(e.y):.1f}" x2="{px(e.x2):.1f}" y2="{py(e.y2):.1f}"'
        if pd.isna(e.weight):
            parts.append(f'<line {line} stroke="{GREY}" stroke-width="2"/>')
        else:
            parts.append(f'<line {line} stroke="{colour(e.weight)}" stroke-width="{stroke_width(e.weight):.2f}" '
                         f'stroke-linecap="round"><title>{escape(e.text)}</title></line>')
    for e in edges.dropna(subset=["weight"]).itertuples():  # labels above every line
        parts.append(f'<text x="{px(e.tx):.1f}" y="{py(e.ty) + 4:.1f}" font-size="12" font-weight="bold" '
                     f'fill="{colour(e.weight)}">{escape(e.text)}</text>')
    for v in nodes.itertuples():
        cx, cy = px(v.x), py(v.y)
        parts.append(f'<circle cx="{cx:.1f}" cy="{cy:.1f}" r="{RADIUS}" fill="white" stroke="{GREY}" '
                     f'stroke-width="1.5"/>')
        words = v.text.split(" ")
        if not v.sub and len(words) == 2:  # "Leaky ReLU" on two lines: one is wider than its circle
            parts.append(f'<text x="{cx:.1f}" y="{cy - 2:.1f}" font-size="11" text-anchor="middle">'
                         f'{escape(words[0])}<tspan x="{cx:.1f}" dy="12">{escape(words[1])}</tspan></text>')
        else:
            parts.append(f'<text x="{cx:.1f}" y="{cy - 1:.1f}" font-size="11" text-anchor="middle">'
                         f'{escape(v.text)}</text>')
        if v.sub:
            parts.append(f'<text x="{cx:.1f}" y="{cy + 13:.1f}" font-size="10" fill="#333333" '
                         f'text-anchor="middle">{escape(v.sub)}</text>')
    parts.append("</svg>")
    return "".join(parts)


def diagram_alt(n: Neuron) -> str:
    """:func:`diagram_svg` in words (the image's alt text)."""
    terms = ", ".join(f"x{i + 1} = {xi:.3g} times w{i + 1} = {wi:.3g}" for i, (xi, wi) in enumerate(zip(n.x, n.w)))
    return f"One neuron: {terms}, plus bias {n.b:.3g}, sum z = {n.z:.3g}, {n.label}, output {n.a:.3g}"


def truth_table_markdown(table: pd.DataFrame) -> str:
    """A truth table as a Markdown table (z to 2 decimals): drawn with the page's text, no table script."""
    cols = list(table.columns)
    rows = ["| " + " | ".join(cols) + " |", "|" + "---:|" * len(cols)]
    for r in table.itertuples(index=False):
        rows.append("| " + " | ".join(f"{v:.2f}" if c == "z" else f"{v}" for c, v in zip(cols, r)) + " |")
    return "\n".join(rows)
