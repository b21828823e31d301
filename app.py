"""NN Lab: navigation over the pages that exist. Page config and nothing else."""

from pathlib import Path

import streamlit as st

from ui.common import apply_secrets

ROOT = Path(__file__).parent

# (file, title, icon, url path); a page whose file is not there yet stays out of the navigation
PAGES = [
    ("pages/home.py", "Home", ":material/home:", "home"),
    ("pages/activation_explorer.py", "Activation Explorer", ":material/show_chart:", "activations"),
    ("pages/xor_lab.py", "XOR Lab", ":material/join_inner:", "xor"),
    ("pages/digit_recognizer.py", "Digit Recognizer", ":material/draw:", "digits"),
    ("pages/hyperparameter_tuner.py", "Hyperparameter Tuner", ":material/tune:", "tuner"),
]

st.set_page_config(page_title="NN Lab", page_icon=":material/hub:", layout="wide")
apply_secrets()
pages = [
    st.Page(str(ROOT / f), title=t, icon=i, url_path=u, default=(u == "home"))
    for f, t, i, u in PAGES
    if (ROOT / f).exists()
]
st.navigation(pages).run()
