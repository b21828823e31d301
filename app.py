"""NN Lab: navigation over the pages that exist, in the tutorial's order. Page config and nothing else.

Start-up stays light: nothing here imports torch, so Home (the default page) draws its first chart
before torch has loaded; every other page gets the run guard (which imports torch) before it runs.
"""

from pathlib import Path

import streamlit as st

from core import settings
from core.serve.memory import freeze_startup_heap
from ui.common import apply_secrets, install_run_guard
from ui.hardening import install as guard_backmsgs
from ui.uploads import enforce_server_limit

ROOT = Path(__file__).parent

# (file, title, icon, url path); a page whose file is not there yet stays out of the navigation.
# The page scripts live in app_pages/, not pages/: Streamlit treats a pages/ folder beside the entry
# script as its older multipage API, and a deep link opened on a fresh server then ran the page file
# without this script (no navigation, no page config) or showed "Page not found" (seen in chromium).
# The order is the tutorial's (ui/links.PATH walks the same way): perceptron and XOR, activations, the
# network from scratch and in PyTorch (XOR Lab's tabs), backprop, shapes, digits with dropout and early
# stopping, hyperparameter effects, when to use a network, the tuner, and the recap of the four takeaways.
PAGES = [
    ("app_pages/home.py", "Home", ":material/home:", "home"),
    ("app_pages/xor_lab.py", "XOR Lab", ":material/join_inner:", "xor"),
    ("app_pages/activation_explorer.py", "Activation Explorer", ":material/show_chart:", "activations"),
    ("app_pages/backprop.py", "Backprop Step by Step", ":material/undo:", "backprop"),
    ("app_pages/architectures.py", "Network Shapes", ":material/account_tree:", "architectures"),
    ("app_pages/digit_recognizer.py", "Digit Recognizer", ":material/draw:", "digits"),
    ("app_pages/convolutions.py", "Images and Convolutions", ":material/grid_on:", "convolutions"),
    ("app_pages/hyperparameters.py", "Hyperparameter Effects", ":material/science:", "hyperparameters"),
    ("app_pages/optimizers.py", "Optimizers", ":material/route:", "optimizers"),
    ("app_pages/when_to_use.py", "When to Use Neural Networks", ":material/balance:", "when-to-use"),
    ("app_pages/hyperparameter_tuner.py", "Hyperparameter Tuner", ":material/tune:", "tuner"),
    ("app_pages/recap.py", "Recap", ":material/flag:", "recap"),
]

st.set_page_config(page_title="NN Lab", page_icon=":material/hub:", layout="wide")
apply_secrets()
if settings.hosted():  # a visitor never sees a traceback (the server's log keeps it); laptops keep the default
    st.set_option("client.showErrorDetails", "none")
    enforce_server_limit()  # the server itself refuses a file over the hosted cap (not only the browser)
    guard_backmsgs()  # a visitor's clear_cache clears only that visitor's session, never the shared caches
pages = [
    st.Page(str(ROOT / f), title=t, icon=i, url_path=u, default=(u == "home"))
    for f, t, i, u in PAGES
    if (ROOT / f).exists()
]
page = st.navigation(pages)
# Home (the default page: url path "") trains nothing through the engine; it warms torch after its chart
if page.url_path not in ("", "home"):
    install_run_guard()  # hosted mode: every training run is priced, checked and queued
page.run()
freeze_startup_heap()  # once, after the first page that loaded torch: the collector stops walking start-up's objects
