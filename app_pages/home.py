"""Home: what NN Lab teaches, opening on a live result (the XOR network, trained and cached)."""

import pandas as pd
import streamlit as st
import torch

from core import datasets, xor
from core.serve.cache import batch_key
from core.xor import charts
from ui.common import cached_results

st.title("NN Lab")
st.markdown(
    "Watch neural networks learn: every chart here is trained live by the code, seeded so the "
    "numbers repeat, and cached so they come back at once."
)

cfg = xor.SeedStudyConfig(n_seeds=1)  # the tutorial's PyTorch XORNet, seed 0
result = cached_results(batch_key([cfg], "xor-gate"), lambda: xor.run_seed_study(cfg))[0]
g = datasets.grid(1.0, 41) + 0.5
with torch.no_grad():
    p = torch.sigmoid(result.model()(torch.as_tensor(g)))[:, 0].numpy()
pts = pd.DataFrame({"x1": [0, 0, 1, 1], "x2": [0, 1, 0, 1], "label": [0, 1, 1, 0]})

left, right = st.columns([1, 1])
with left:
    st.altair_chart(
        charts.decision_surface(
            pd.DataFrame({"x1": g[:, 0], "x2": g[:, 1], "p": p}),
            pts,
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
    links = [
        (
            "app_pages/activation_explorer.py",
            "Activation Explorer",
            "every common activation and its derivative, and what each does to training: vanishing gradients, "
            "dead ReLUs, and which one learns fastest.",
        ),
        (
            "app_pages/xor_lab.py",
            "XOR Lab",
            "why a perceptron cannot learn XOR, a network that can (NumPy by hand and PyTorch), 100 seeds at "
            "once, and a Playground.",
        ),
        (
            "app_pages/digit_recognizer.py",
            "Digit Recognizer",
            "train an MLP on handwritten digits, then upload or draw your own digit and watch it read.",
        ),
        (
            "app_pages/hyperparameter_tuner.py",
            "Hyperparameter Tuner",
            "a real Optuna search over architecture and training settings, watched live, spread over workers.",
        ),
    ]
    from pathlib import Path

    root = Path(__file__).resolve().parents[1]
    for path, title, text in links:
        if (root / path).exists():
            st.page_link(path, label=f"**{title}**", icon=":material/arrow_forward:")
            st.caption(text)
