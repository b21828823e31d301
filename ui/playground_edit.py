"""The Playground's hand controls (TensorFlow Playground's): + and - a neuron in a layer, a clicked weight
set by hand (training goes on from there), and the view's switches (discretize the output, show or hide
the test points). All of them live in the URL: the widths and the hand-set weights on the setting's
config (``hidden``, ``edits``), the switches as the page's params (``disc``, ``show_test``)."""

from __future__ import annotations

from typing import Any

import streamlit as st

from core.xor.playground import MAX_EDITS, WEIGHT_LIMIT, PlaygroundConfig, parse_edit, set_edit
from ui.common import seed_state
from ui.widgets import bounds, page_params

PREFIX = {"Setting A": "g_", "Setting B": "h_"}  # a setting's title -> its widgets' key prefix


def _bump(key: str, delta: int, lo: int, hi: int) -> None:
    st.session_state[key] = max(lo, min(hi, int(st.session_state[key]) + delta))


def neuron_buttons(key: str, container: Any) -> None:
    """- and + under a layer's width box: one neuron fewer or more (within the field's range and the
    server's cap on a layer's width, like the box itself)."""
    b = bounds(PlaygroundConfig, "hidden")
    n = int(st.session_state.get(key, 4))
    row = container.container(horizontal=True, gap="small")
    row.button("−", key=f"{key}_minus", help="One neuron fewer in this layer", on_click=_bump,
               args=(key, -1, int(b.lo), int(b.hi)), disabled=n <= b.lo, type="tertiary")
    row.button("+", key=f"{key}_plus", help="One neuron more in this layer", on_click=_bump,
               args=(key, 1, int(b.lo), int(b.hi)), disabled=n >= b.hi, type="tertiary")


def view_switches() -> dict[str, bool]:
    """The two view switches (beside the settings): {'discretize', 'show_test'}."""
    link = page_params("xor", show=False)
    seed_state({"pg_disc": link.disc, "pg_show_test": link.show_test})
    row = st.container(horizontal=True)
    row.toggle("Discretize output", key="pg_disc",
               help="Draw the output over the plane as two classes (where it crosses 0.5) instead of a gradient.")
    row.toggle("Show test data", key="pg_show_test", help="Draw the held-out test points too (dark rings).")
    return {"discretize": bool(st.session_state.pg_disc), "show_test": bool(st.session_state.pg_show_test)}


def view_params() -> dict[str, str]:
    """The switches' URL params (only where they differ from the defaults)."""
    ss, out = st.session_state, {}
    if ss.get("pg_disc"):
        out["disc"] = "1"
    if ss.get("pg_show_test") is False:
        out["show_test"] = "0"
    return out


def edge_clicked(title: str, key: str, pause: Any) -> None:
    """A connection of a setting's diagram was clicked: pause, and open the weight editor on it."""
    edge = getattr(st.session_state.get(key), "edge", None)
    if not edge:
        return
    if st.session_state.get("pg_playing"):
        pause()
        st.session_state.pg_edit_rerun = True  # the live fragment hands over to a full redraw
    st.session_state.pg_edit = {"title": title, **edge}
    st.session_state.pg_edit_value = float(edge["w"])


def _set_weight(edit: dict) -> None:
    ss = st.session_state
    key = PREFIX[edit["title"]] + "edits"
    ss[key] = set_edit(tuple(ss.get(key, ())), int(edit["l"]), int(edit["i"]), int(edit["j"]),
                       float(ss.pg_edit_value))
    ss.pop("pg_edit", None)
    ss.pg_edit_applied = True


def _cancel() -> None:
    st.session_state.pop("pg_edit", None)


def _forget(prefix: str) -> None:
    st.session_state[prefix + "edits"] = ()


def weight_editor() -> bool:
    """The editor of the clicked weight (if one was clicked); returns True when a weight was set (the
    caller reruns the app: the settings and the URL change)."""
    ss = st.session_state
    if ss.pop("pg_edit_applied", False):
        return True
    edit = ss.get("pg_edit")
    if not edit or edit["title"] not in PREFIX:
        return False
    with st.container(border=True, key="pg_editor"):
        st.markdown(f"**{edit['title']}: weight {edit['from']} → {edit['to']}**, now {float(edit['w']):.3f}")
        st.number_input("New value (every seed's model)", -WEIGHT_LIMIT, WEIGHT_LIMIT, key="pg_edit_value",
                        step=0.1, format="%.3f")
        row = st.container(horizontal=True)
        row.button("Set weight", key="pg_edit_set", type="primary", on_click=_set_weight, args=(edit,))
        row.button("Cancel", key="pg_edit_cancel", on_click=_cancel)
    return False


def edits_line(prefix: str, cfg: PlaygroundConfig) -> None:
    """A setting's hand-set weights (kept in the link, set at the seeded start), and a way to forget them."""
    if not cfg.edits:
        return
    names = []
    for e in cfg.edits:
        layer, i, j, v = parse_edit(e)
        src = cfg.features[i] if layer == 0 else f"L{layer} n{i + 1}"
        dst = "out" if layer == len(cfg.hidden) else f"L{layer + 1} n{j + 1}"
        names.append(f"{src} → {dst} = {v:g}")
    row = st.container(horizontal=True, vertical_alignment="center")
    row.caption(f"Set by hand ({len(names)} of at most {MAX_EDITS}; a link starts from them): " + "; ".join(names))
    row.button("Forget", key=f"{prefix}forget_edits", on_click=_forget, args=(prefix,), type="tertiary",
               help="Drop the hand-set weights: Reset then starts from the seeded weights alone.")
