"""Home and the beginner's path: where to start, the tutorial's order, a 'Try next' at the end of every tab,
and a first chart that needs no torch."""

import ast
import subprocess
import sys
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from core.xor.first_look import first_look
from ui import links

ROOT = Path(__file__).resolve().parents[1]
APP = str(ROOT / "app.py")


def app_pages() -> list[tuple[str, str]]:
    """app.py's PAGES as (file, url path), read from its source (importing app.py would run it)."""
    tree = ast.parse((ROOT / "app.py").read_text())
    for node in tree.body:
        if isinstance(node, ast.Assign) and getattr(node.targets[0], "id", "") == "PAGES":
            return [(e.elts[0].value, e.elts[3].value) for e in node.value.elts]
    raise AssertionError("app.py has no PAGES list")


def test_home_opens_on_a_live_xor_result_and_says_where_to_start():
    at = AppTest.from_file(APP, default_timeout=120).run()
    assert not at.exception
    assert at.title[0].value == "NN Lab"
    assert "Start at step 1" in at.info[0].value
    f = first_look()  # computed, not typed in: the caption carries this run's numbers
    caption = "\n".join(c.value for c in at.caption)
    assert f.solved and f"Final loss {f.final_loss:.3f}" in caption and "it solves XOR" in caption
    assert ", ".join(f"{p:.2f}" for p in f.outputs) in caption
    # the hero is trained once per server process (cached): the page says so, not "while you watch"
    intro = at.markdown[0].value
    assert "while you watch" not in intro.split("(")[0] and "when Home was first opened" in intro + caption


def test_home_links_every_step_of_the_path_in_order():
    at = AppTest.from_file(APP, default_timeout=120).run()
    shown = [(p.proto.label, p.proto.help) for p in at.get("page_link") if p.proto.label.startswith("**")]
    stops = links.stops()
    want = [(f"**{k}.** {s.label}", s.what) for k, s in enumerate(stops, start=1)]
    assert shown[:len(want)] == want
    # every step of the path is in exactly one stop, in order; stops start where the page changes
    assert [st for s in stops for st in s.steps] == links.path()
    assert all(a.first.page != b.first.page for a, b in zip(stops, stops[1:]))
    assert stops[0].first.id == "xor.perceptron" and stops[-1].first.page == "recap"


def test_the_first_look_is_the_tutorials_numpy_network_and_solves_xor():
    f = first_look()
    assert (f.hidden, f.lr, f.epochs, f.seed) == (4, 0.5, 2000, 0)
    assert f.solved and f.final_loss < 0.2
    assert list(f.points.label) == [0, 1, 1, 0]  # XOR
    assert len(f.surface) == 31 * 31 and f.surface.p.between(0, 1).all()


def test_navigation_follows_the_tutorials_order():
    pages = app_pages()
    url_paths = [u for _, u in pages]
    assert url_paths[0] == "home"
    # the path's pages, in first-visit order, are the navigation's order
    order = list(dict.fromkeys(s.page for s in links.PATH))
    assert url_paths[1:] == order
    for f, u in pages:  # one table of files and url paths
        assert links.PAGES[u] == f
    assert ("app_pages/when_to_use.py", "when-to-use") in pages
    assert ("app_pages/hyperparameters.py", "hyperparameters") in pages


def test_every_tab_ends_with_one_try_next_to_the_following_step():
    """Each step's page calls try_next with that step's id once; the id names the next step on the path."""
    for step in links.path():
        src = (ROOT / links.PAGES[step.page]).read_text()
        # one call per tab, or one in the loop that draws a page's tabs (Hyperparameter Effects)
        assert src.count(f'try_next("{step.id}"') + src.count(f'try_next(f"{step.page}.{{name}}"') == 1, step.id
        nxt = links.next_step(step.id)
        assert nxt is None or links.exists(nxt.page)


def test_the_path_skips_pages_not_in_this_app(monkeypatch):
    real = links.exists
    monkeypatch.setattr(links, "exists", lambda p: p != "backprop" and real(p))
    assert links.next_step("xor.playground").page == "architectures"
    assert links.next_step("tuner").page == "recap" and links.next_step("recap") is None
    with pytest.raises(KeyError):
        links.next_step("nowhere")


def test_try_next_on_the_same_page_opens_the_next_tab():
    """XOR Lab's perceptron tab -> the Activation Explorer (another page); its compare tab -> seeds (a button)."""
    at = AppTest.from_file(APP, default_timeout=120)
    at.run()
    at.switch_page("app_pages/xor_lab.py")
    at.query_params["tab"] = "compare"
    at.run()
    assert not at.exception
    at.button(key="next-xor.seeds").click().run()
    assert not at.exception
    assert at.session_state["xor_tab"] == "③ 100 seeds"
    assert any(m.value.startswith("Solved XOR") or "Solved" in m.label for m in at.metric)


def test_home_draws_without_importing_torch():
    """What app.py and Home import before the first chart leaves torch (1-2 s) for later."""
    code = ("import sys, streamlit, core.settings, ui.common, ui.links, ui.glossary, ui.startup, "
            "core.xor.first_look, core.xor.charts\n"
            "from core import xor\n"
            "assert 'torch' not in sys.modules, 'torch imported'\n"
            "xor.SeedStudyConfig  # the jobs load on first use\n"
            "assert 'torch' in sys.modules\n")
    r = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert r.returncode == 0, r.stderr


def _element_types(at: AppTest) -> dict[str, int]:
    """How many of each element type the page sent (its whole tree)."""
    seen: dict[str, int] = {}

    def walk(node) -> None:
        for c in (node.children.values() if isinstance(getattr(node, "children", None), dict) else []):
            seen[c.type] = seen.get(c.type, 0) + 1
            walk(c)
    walk(at._tree[0])
    return seen


# each of these fetched its own script in the browser before Home's first chart was drawn (a code block's
# 1.5 MB highlighter, a table's 0.7 MB of Arrow formatting, a second Vega chart to compile, ...)
HEAVY = ("code", "table", "dataframe", "metric", "selectbox", "html", "latex")


def test_home_draws_one_chart_and_no_element_with_a_script_of_its_own():
    at = AppTest.from_file(APP, default_timeout=120).run()
    assert not at.exception
    seen = _element_types(at)
    assert seen.get("vega_lite_chart", 0) == 1 and seen.get("arrow_vega_lite_chart", 0) == 0
    assert not {t: seen[t] for t in HEAVY if t in seen}
    # the neuron is still all there: sliders for its inputs, weights and bias, its picture, formula and table
    assert {s.key for s in at.slider} == {"n_x1", "n_x2", "n_w1", "n_w2", "n_b"}
    text = "\n".join(m.value for m in at.markdown)
    assert "output = activation(w·x + b)" in text and seen.get("image") == 1  # the diagram, an SVG image
    assert "| x1 | x2 | z | output | AND | OR |" in text


def test_the_glossary_is_filled_when_opened():
    at = AppTest.from_file(APP, default_timeout=120).run()
    box = at.expander[0]
    assert box.label.startswith("Glossary:") and not box.markdown  # closed: nothing sent
    at.session_state["home_glossary"] = True  # what opening it does (it reruns the page)
    at.run()
    assert not at.exception and at.expander[0].markdown[0].value.startswith("- **")
