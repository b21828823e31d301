"""Home: where to start, the path through the tutorial's order, and a live result drawn first (the
tutorial's NumPy network solving XOR, trained by this server in a fraction of a second)."""

import streamlit as st

from core.xor import charts
from core.xor.claims import first_look_verdict
from core.xor.first_look import FirstLook, first_look
from ui import glossary, links, say
from ui.glossary import tip
from ui.startup import warm_in_background


@st.cache_resource(show_spinner=False)
def home_job() -> tuple[FirstLook, object]:
    """The NumPy network trained once per server process, and its chart (built once: never mutated)."""
    f = first_look()
    chart = charts.decision_surface(f.surface, f.points, title=["A 2-4-1 network", "solving XOR"], size=280)
    return f, chart


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
f, chart = home_job()
st.altair_chart(chart, width="content")
st.caption(
    f"The tutorial's XOR network written in NumPy: 2 inputs, {f.hidden} sigmoid hidden neurons, 1 sigmoid output "
    f"neuron, binary cross-entropy loss, learning rate {f.lr:g}, {f.epochs:,} full-batch steps from seed {f.seed}, "
    f"trained by this server in {f.seconds * 1000:,.0f} ms when Home was first opened.",
    help=tip("xor", "neuron", "hidden layer", "sigmoid", "loss", "binary cross-entropy", "cross-entropy",
             "learning rate", "full batch", "seed"),
)
say.lesson(first_look_verdict(f), "caption")

st.subheader("The path, step by step")
st.caption("In the tutorial's order; point at a step to see what it shows. Each step opens on its first tab, and "
           "every tab's Try next leads to the following one.")
for k, stop in enumerate(links.stops(), start=1):  # one column: two cut the longer titles at 1024 px
    links.step_link(stop.first, f"**{k}.** {stop.label}", help=stop.what)

with st.expander(f"Glossary: {len(glossary.TERMS)} terms, one line each", icon=":material/menu_book:"):
    st.markdown(glossary.as_markdown())

warm_in_background()  # after the first chart: torch and the next pages' modules load while the visitor reads
