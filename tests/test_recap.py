"""The Recap: the last stop on the path, four takeaways each a claim (both ways), each with a live number and a
link (with URL params) to the chart that shows it; the Tuner's Try next leads here."""

from pathlib import Path

from streamlit.testing.v1 import AppTest

from core.claims.__main__ import PAGE_ORDER
from core.exercises import defs as jobs
from core.recap import claims as rc
from core.recap.takeaways import TAKEAWAYS
from tests.claimcheck import both_sides
from ui import links

APP = str(Path(__file__).resolve().parents[1] / "app.py")


def test_recap_is_the_last_stop_and_the_tuner_leads_to_it():
    assert PAGE_ORDER[-1] == "Recap" and links.PATH[-1].page == "recap" and links.exists("recap")
    assert links.next_step("tuner").page == "recap" and links.next_step("recap") is None


def test_hidden_layer_both_ways():
    p = jobs.xor_perceptron()
    net = rc.first_look_numbers()
    with both_sides("recap.hidden_layer"):
        s = rc.hidden_layer(p, net)
        assert s.holds and f"still got {p['wrong']} of 4 rows wrong" in s and f"{net['final_loss']:.3f}" in s
        assert not rc.hidden_layer({**p, "converged": True}, net).holds


def test_activation_depth_both_ways():
    d = {"acc": {"sigmoid": 0.078, "tanh": 0.967, "relu": 0.956, "leaky_relu": 0.955}, "layers": 10, "epochs": 10}
    with both_sides("recap.activation_depth"):
        s = rc.activation_depth(d)
        assert s.holds and "sigmoid's network reached 7.8%" in s and "ReLU's 95.6%" in s
        close = rc.activation_depth({**d, "acc": {**d["acc"], "sigmoid": 0.9}})
        assert not close.holds and "only 5.6 points" in close


def test_learning_rate_both_ways():
    s = {"acc": {1e-4: 0.671, 1e-3: 0.93, 1e-2: 0.968, 1e-1: 0.954, 1.0: 0.114}, "epochs": 15}
    with both_sides("recap.learning_rate"):
        said = rc.learning_rate(s)
        assert said.holds and "learning rate 0.01 reached 96.8%" in said and "1 only 11.4%" in said
        assert not rc.learning_rate({**s, "acc": {1e-3: 0.93, 1e-2: 0.968, 1.0: 0.9}}).holds


def test_right_tool_both_ways():
    d = {"data": "breast cancer", "rows": 569, "tree": "Gradient boosting", "tree_score": 0.967,
         "net": "MLP (scikit-learn)", "net_score": 0.972}
    with both_sides("recap.right_tool"):
        s = rc.right_tool(d)
        assert s.holds and "came within 0.5 points of the best network" in s
        assert "beat the best network" in rc.right_tool({**d, "tree_score": 0.98})
        far = rc.right_tool({**d, "net_score": 0.99})
        assert not far.holds and "beat the best tree ensemble by 2.3 points" in far


def test_the_page_shows_four_takeaways_numbers_and_links_to_their_charts():
    at = AppTest.from_file(APP, default_timeout=600)
    at.run()
    at.switch_page("app_pages/recap.py").run()
    assert not at.exception
    assert len(TAKEAWAYS) == 4 and len(at.metric) == 8  # two live numbers per takeaway
    assert at.metric[0].value == f"{jobs.xor_perceptron()['wrong']} of 4"
    assert at.metric[2].label.startswith("ReLU") and at.metric[2].value == f"{jobs.explorer_depth()['acc']['relu']:.1%}"
    shown = {(p.proto.page.split("/")[-1] if "/" in p.proto.page else p.proto.page, p.proto.query_string)
             for p in at.get("page_link")}
    for t in TAKEAWAYS:
        q = "&".join(f"{k}={v}" for k, v in t.query.items())
        assert any(page.endswith(links.PAGES[t.page].split("/")[-1].removesuffix(".py")) or page == t.page
                   for page, qs in shown if qs == q), (t.page, q, shown)
    texts = " ".join(m.value for m in at.markdown)
    assert "no line separates XOR" in texts and "A network is not always the tool" in texts
