"""NN Lab: navigation over the pages that exist. Page config and nothing else."""

from pathlib import Path

import streamlit as st

from ui.common import apply_secrets

ROOT = Path(__file__).parent

# (file, title, icon, url path); a page whose file is not there yet stays out of the navigation.
# URL paths equal the file names: Streamlit resolves a deep link against pages/ before st.navigation
# runs, and a link to any other path opened on a fresh server shows "Page not found" (seen in chromium).
PAGES = [
    ("pages/home.py", "Home", ":material/home:", "home"),
    ("pages/activation_explorer.py", "Activation Explorer", ":material/show_chart:", "activation_explorer"),
    ("pages/xor_lab.py", "XOR Lab", ":material/join_inner:", "xor_lab"),
    ("pages/digit_recognizer.py", "Digit Recognizer", ":material/draw:", "digit_recognizer"),
    ("pages/hyperparameter_tuner.py", "Hyperparameter Tuner", ":material/tune:", "hyperparameter_tuner"),
]

st.set_page_config(page_title="NN Lab", page_icon=":material/hub:", layout="wide")
apply_secrets()
pages = [
    st.Page(str(ROOT / f), title=t, icon=i, url_path=u, default=(u == "home"))
    for f, t, i, u in PAGES
    if (ROOT / f).exists()
]
st.navigation(pages).run()
