"""ui.vega: a chart drawn from its kept Vega-Lite spec is the element st.altair_chart sends, built once per key."""

from __future__ import annotations

import uuid
from pathlib import Path
from types import SimpleNamespace

import pytest
from streamlit.testing.v1 import AppTest

ROOT = str(Path(__file__).resolve().parents[1])


def _charts(script, **kwargs) -> AppTest:
    at = AppTest.from_function(script, kwargs=kwargs)
    at.run()
    assert not at.exception
    return at


def _protos(at: AppTest) -> list:
    return [c.proto for c in at.main.children.values() if getattr(c, "type", None) == "vega_lite_chart"]


def _script(root: str, key: str, cut: bool, width) -> None:
    import sys

    sys.path.insert(0, root)
    from types import SimpleNamespace

    import altair as alt
    import pandas as pd
    import streamlit as st

    from ui import vega

    builds = st.session_state.setdefault("builds", [])

    def build():
        builds.append(1)
        points = pd.DataFrame({"epoch": [1, 2, 3], "loss": [0.9, 0.4, 0.2], "series": ["a", "b", "a"]})
        line = alt.Chart(points, title="loss").mark_line(point=True).encode(x="epoch:Q", y="loss:Q", color="series:N")
        return alt.layer(line, alt.Chart(pd.DataFrame({"epoch": [2]})).mark_rule().encode(x="epoch:Q"))

    of = [SimpleNamespace(extra={"cut_short": True, "cut_short_epoch": 2} if cut else {})]
    st.altair_chart(build(), width=width)
    vega.altair(key, build, of=of, width=width)
    builds.pop(0)  # the reference chart's own build


def test_the_kept_spec_draws_what_altair_chart_draws_and_is_built_once():
    key = f"test:{uuid.uuid4()}"
    at = _charts(_script, root=ROOT, key=key, cut=False, width="stretch")
    reference, kept = _protos(at)
    assert kept == reference  # spec, datasets (Arrow bytes), width, theme: one element
    assert len(kept.datasets) == 2 and kept.spec
    assert at.session_state["builds"] == [1]
    at.run()  # a rerun draws the same from the kept spec, without building it again
    assert _protos(at)[1] == reference
    assert at.session_state["builds"] == [1]
    other = _charts(_script, root=ROOT, key=key, cut=False, width="stretch")  # another session, same key
    assert other.session_state["builds"] == []
    assert _protos(other)[1] == reference


def test_a_run_cut_short_is_drawn_but_never_kept():
    key = f"test:{uuid.uuid4()}"
    at = _charts(_script, root=ROOT, key=key, cut=True, width="content")
    reference, drawn = _protos(at)
    assert drawn == reference
    at.run()
    assert at.session_state["builds"] == [1, 1]  # built at each run: a later full run of this key is not hidden
    full = _charts(_script, root=ROOT, key=key, cut=False, width="content")
    assert full.session_state["builds"] == [1]


def test_cut_short_reads_the_results_extra():
    from core.serve.cache import cut_short

    assert cut_short([SimpleNamespace(extra={})]) is None
    assert cut_short([SimpleNamespace(extra={"cut_short": True, "cut_short_epoch": 3})])


def _select_script(root: str, key: str) -> None:
    import sys

    sys.path.insert(0, root)
    import altair as alt
    import pandas as pd
    import streamlit as st

    from ui import vega

    def build():
        cells = pd.DataFrame({"x": [0, 1], "y": [1, 0], "n": [3, 4]})
        pick = alt.selection_point(name="cell", fields=["x", "y"])
        return alt.Chart(cells).mark_rect().encode(x="x:O", y="y:O", color="n:Q").add_params(pick)

    st.session_state["state"] = vega.altair(key, build, on_select="rerun", key="sel", selection_mode="cell")


def test_a_kept_chart_with_a_selection_returns_its_state():
    at = _charts(_select_script, root=ROOT, key=f"test:{uuid.uuid4()}")
    state = at.session_state["state"]
    assert "selection" in state and "cell" in state["selection"]
    assert _protos(at)[0].selection_mode == ["cell"]


# ---- the pages' keys name their settings: another link, another chart ----------------------------------------
PAGE_LINKS = [  # (page, a cheap link, the same link with one setting changed)
    ("xor_lab.py", {"tab": "seeds", "s_n_seeds": "3", "s_epochs": "40"},
     {"tab": "seeds", "s_n_seeds": "3", "s_epochs": "40", "s_lr": "0.2"}),
    ("activation_explorer.py", {"tab": "learn", "c_n_seeds": "1", "c_epochs": "1"},
     {"tab": "learn", "c_n_seeds": "1", "c_epochs": "1", "c_first_seed": "3"}),
    ("hyperparameters.py", {"lr_seeds": "1", "lr_epochs": "2", "lr_values": "0.001,0.1"},
     {"lr_seeds": "1", "lr_epochs": "2", "lr_values": "0.001,0.3"}),
    ("digit_recognizer.py", {"epochs": "2", "patience": "0"}, {"epochs": "2", "patience": "0", "lr": "0.01"}),
]


@pytest.mark.parametrize("page,link,other", PAGE_LINKS, ids=[p for p, _, _ in PAGE_LINKS])
def test_a_pages_kept_charts_follow_its_link(page, link, other, tmp_path, monkeypatch):
    from tests.pages import open_page

    monkeypatch.setenv("NNLAB_DATA_DIR", str(tmp_path))

    def specs(params):
        at = open_page(f"app_pages/{page}", timeout=300, **params)
        assert not at.exception
        return [c.proto.spec for c in at.get("vega_lite_chart")]

    first, again, changed = specs(link), specs(link), specs(other)
    assert first and first == again  # drawn from the kept specs: the same
    assert len(changed) == len(first) and all(c != f for c, f in zip(changed, first)), \
        "another setting, yet a chart kept for the other link"  # every chart here is drawn from the results
