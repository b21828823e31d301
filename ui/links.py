"""Links between the app's pages: one table of page files and URL paths, and a link that degrades to
a copyable address when the page is not part of this app."""

from __future__ import annotations

from pathlib import Path
from urllib.parse import urlencode

import streamlit as st

ROOT = Path(__file__).resolve().parents[1]

# url path -> page file (app.py's navigation uses the same url paths)
PAGES = {
    "home": "app_pages/home.py",
    "activations": "app_pages/activation_explorer.py",
    "xor": "app_pages/xor_lab.py",
    "digits": "app_pages/digit_recognizer.py",
    "tuner": "app_pages/hyperparameter_tuner.py",
}


def exists(page: str) -> bool:
    """Whether the page's script is in this app."""
    return (ROOT / PAGES[page]).exists()


def url(page: str, query: dict[str, str] | None = None) -> str:
    """``/digits?lr=0.01&...``: the page's address with these settings (a link to paste)."""
    return f"/{page}" + (f"?{urlencode(query)}" if query else "")


def page_link(page: str, label: str, icon: str = ":material/arrow_forward:",
              query: dict[str, str] | None = None, container=None) -> bool:
    """A link to one of the app's pages (with query params); when the page cannot be linked (not in
    this app's navigation), its address to copy instead. Returns whether a real link was drawn."""
    target = container if container is not None else st
    if exists(page):
        try:
            target.page_link(PAGES[page], label=label, icon=icon, query_params=query)
            return True
        except Exception:  # not registered with st.navigation (a page run on its own)
            pass
    target.markdown(f"{label}: `{url(page, query)}`")
    return False
