"""Home: what NN Lab teaches, opening on a live result (the XOR network, trained and cached)."""

import streamlit as st

from core import xor
from core.serve.cache import batch_key
from core.xor import charts
from core.xor.surfaces import XOR_POINTS, probability_surface
from ui import links
from ui.common import cached_results

st.title("NN Lab")
st.markdown(
    "Watch neural networks learn: every chart here is trained live by the code, seeded so the "
    "numbers repeat, and cached so they come back at once."
)

cfg = xor.SeedStudyConfig(n_seeds=1)  # the tutorial's PyTorch XORNet, seed 0
result = cached_results(batch_key([cfg], "xor-gate"), lambda: xor.run_seed_study(cfg))[0]

left, right = st.columns([1, 1])
with left:
    st.altair_chart(
        charts.decision_surface(
            probability_surface(result),
            XOR_POINTS,
            title="A 2-4-1 network solving XOR, trained just now",
            size=300,
        ),
        width="content",
    )
    st.caption(
        f"PyTorch XORNet (sigmoid, Adam lr 0.1, {cfg.epochs} epochs, seed 0): final loss "
        f"{result.metrics['final_train_loss']:.4f}, {result.metrics['final_train_acc']:.0%} of the four "
        "points right. No single straight line could do this."
    )
with right:
    st.subheader("Four labs")
    labs = [
        (
            "activations",
            "Activation Explorer",
            "every common activation and its derivative, and what each does to training: vanishing gradients, "
            "dead ReLUs, and which one learns fastest.",
        ),
        (
            "xor",
            "XOR Lab",
            "why a perceptron cannot learn XOR, a network that can (NumPy by hand and PyTorch), 100 seeds at "
            "once, and a Playground.",
        ),
        (
            "digits",
            "Digit Recognizer",
            "train an MLP on handwritten digits, then upload or draw your own digit and watch it read.",
        ),
        (
            "tuner",
            "Hyperparameter Tuner",
            "a real Optuna search over architecture and training settings, watched live, spread over workers.",
        ),
    ]
    for page, title, text in labs:
        if links.exists(page):
            links.page_link(page, f"**{title}**")
            st.caption(text)
