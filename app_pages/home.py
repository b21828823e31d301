"""Home: where to start, the path through the tutorial's order, and a live result drawn first (the
tutorial's NumPy network solving XOR, trained by this server in a fraction of a second); then one neuron
to play with, and the perceptron as that neuron with Step."""

import streamlit as st

from core.neuron import NeuronConfig
from core.neuron.config import PREFIX
from core.xor import charts
from core.xor.claims import first_look_verdict
from core.xor.first_look import FirstLook, first_look
from ui import glossary, links, say, vega
from ui.common import seed_state, sync_url
from ui.glossary import tip
from ui.startup import warm_in_background
from ui.widgets import field_widget, url_config, widget_config

N = NeuronConfig
NEURON_KEYS = tuple(PREFIX + f for f in N.__dataclass_fields__)


@st.cache_resource(show_spinner=False)
def home_job() -> FirstLook:
    """The NumPy network trained once per server process."""
    return first_look()


st.title("NN Lab")
st.markdown(
    "Watch neural networks learn: every number and chart here is computed by NN Lab's code, not a stored "
    "picture. Networks are trained on this server, seeded so the numbers repeat, and cached so they come back "
    "at once; the Playground (step 1, tab ④) trains while you watch. The chart below was trained by this "
    "server when Home was first opened."
)
say.status(
    "**New to neural networks? Start at step 1** and follow the path in order: it is the order of the "
    "tutorial NN Lab follows. Every tab ends with a *Try next* link to the next step, and terms with a "
    ":material/help: mark explain themselves when you point at them.",
    icon=":material/school:",
)

# Stacked, not in columns: beside the path, the 280 px chart overlapped it at 1024 px wide.
f = home_job()
# kept as a Vega-Lite spec (ui/vega.py), named by the network's settings (nothing here imports torch)
vega.altair(f"home.first_look:{f.hidden}:{f.lr!r}:{f.epochs}:{f.seed}:{len(f.surface)}",
            lambda: charts.decision_surface(f.surface, f.points, title=["A 2-4-1 network", "solving XOR"], size=280),
            width="content")
st.caption(
    f"The tutorial's XOR network written in NumPy: 2 inputs, {f.hidden} sigmoid hidden neurons, 1 sigmoid output "
    f"neuron, binary cross-entropy loss, learning rate {f.lr:g}, {f.epochs:,} full-batch steps from seed {f.seed}, "
    f"trained by this server in {f.seconds * 1000:,.0f} ms when Home was first opened.",
    help=tip("xor", "neuron", "hidden layer", "sigmoid", "loss", "binary cross-entropy", "cross-entropy",
             "learning rate", "full batch", "seed"),
)
say.lesson(first_look_verdict(f), "caption")


def neuron_opening() -> None:
    """One neuron with sliders, its diagram and formula; then the same neuron with Step: the perceptron.
    Drawn after the first chart: its maths goes through the engine's registry, which loads torch. Only elements
    whose browser scripts are small or already loaded for the chart and the path (Markdown, sliders, segmented
    controls, an image): a second chart, a select box, metrics, code blocks or a table each fetch a script of
    their own (a code block's is 1.5 MB), parsed and drawn ahead of the first chart."""
    from core.engine.activations import REGISTRY
    from core.neuron import charts as nc
    from core.neuron import claims as ncl
    from core.neuron import jobs as nj

    st.subheader("Start here: one neuron", help=tip("neuron", "weight", "bias", "activation", "weighted sum"))
    st.markdown(
        "A neuron **receives** inputs, **weighs** each one, **sums** them with a bias, and passes the sum through "
        "an **activation**: **output = activation(w·x + b)**. Move the sliders: the numbers below are computed as "
        "you move them, by the same activation functions the networks on the other pages use.")
    url_n = url_config(N, PREFIX)
    seed_state({f"{PREFIX}{f}": getattr(url_n, f) for f in N.__dataclass_fields__})
    ss = st.session_state
    top = st.container(horizontal=True)
    field_widget(N, "inputs", label="Inputs", key="n_inputs", container=top, widget="segmented_control")
    field_widget(N, "activation", label="Activation", key="n_activation", container=top, widget="segmented_control",
                 format_func=lambda n: REGISTRY[n].label, help=tip("activation", "sigmoid", "tanh", "relu"))
    k = int(ss.n_inputs or url_n.inputs)
    cols = st.columns(3)
    for i in range(1, 4):
        if i <= k:
            field_widget(N, f"x{i}", label=f"Input x{i}", key=f"n_x{i}", widget="slider", step=0.1,
                         container=cols[0])
            field_widget(N, f"w{i}", label=f"Weight w{i}", key=f"n_w{i}", widget="slider", step=0.1,
                         container=cols[1])
    field_widget(N, "b", label="Bias b", key="n_b", widget="slider", step=0.1, container=cols[2])
    values = {f: float(ss.get(PREFIX + f, getattr(url_n, f))) for f in ("x1", "x2", "x3", "w1", "w2", "w3", "b")}
    cfg = widget_config(lambda: url_n.replace(inputs=k, activation=ss.n_activation or url_n.activation, **values),
                        url_n)
    n = nj.evaluate(cfg)
    st.markdown(f"Weighted sum **z = w·x + b = {n.z:.4g}**, output **{n.label}(z) = {n.a:.4g}**  \n"
                f"In numbers: **{nj.formula(n)}**", help=tip("weighted sum", "pre-activation"))
    st.image(nc.diagram_svg(n), alt=nc.diagram_alt(n), width="content")
    st.caption("Each weight's line is blue when positive and red when negative, thicker the larger it is; "
               "the circles show each input, the weighted sum z and the output.", help=tip("sign colours"))

    st.subheader("The perceptron is this neuron with Step", help=tip("perceptron", "truth table"))
    p = nj.evaluate(cfg, nj.STEP)
    st.markdown("Give the same neuron a Step activation (1 when z > 0, else 0) and it is the perceptron, the "
                f"first trainable neuron: it answers yes or no. Here: **{nj.formula(p)}**.\n\n"
                + nc.truth_table_markdown(nj.truth_table(cfg)))  # one element: each costs the browser a parse
    say.lesson(ncl.perceptron_gate(cfg), "caption")
    links.page_link("xor", "See a perceptron learn its weights: XOR Lab ① Perceptron", query={"tab": "perceptron"})
    sync_url(cfg.to_query(PREFIX), owned=NEURON_KEYS)


neuron_opening()

st.subheader("The path, step by step")
st.caption("In the tutorial's order; point at a step to see what it shows. Each step opens on its first tab, and "
           "every tab's Try next leads to the following one.")
for k, stop in enumerate(links.stops(), start=1):  # one column: two cut the longer titles at 1024 px
    links.step_link(stop.first, f"**{k}.** {stop.label}", help=stop.what)

# filled when opened: its 15,000 characters of Markdown are the page's largest parse in the browser
terms = st.expander(f"Glossary: {len(glossary.TERMS)} terms, one line each", icon=":material/menu_book:",
                    key="home_glossary", on_change="rerun")
if terms.open:
    terms.markdown(glossary.as_markdown())

warm_in_background()  # after the first chart: torch and the next pages' modules load while the visitor reads
