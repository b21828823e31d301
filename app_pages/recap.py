"""Recap: the tutorial's four takeaways, each with a live number from its page's default run and a link to
the chart that shows it (the last stop on the path)."""

from __future__ import annotations

import streamlit as st

from core.recap.takeaways import TAKEAWAYS
from ui import links, say
from ui.common import admitted
from ui.glossary import tip

st.title("Recap: four takeaways")
st.markdown(
    "What the tutorial teaches, in four lines. Each is checked against a run this app made at the pages' default "
    "settings (the same runs those pages show, from the cache when they are there), with the chart that shows it "
    "one click away.")

for k, t in enumerate(TAKEAWAYS, start=1):
    with st.container(border=True, key=f"takeaway-{k}"):
        st.subheader(f"{k}. {t.title}", help=tip(*t.terms))
        with st.spinner("Reading the run..."), admitted():  # hosted: a run not cached yet waits its turn
            said, numbers = t.evidence()
        row = st.container(horizontal=True)
        for label, value in numbers:
            row.metric(label, value, width=220)
        say.lesson(said, "markdown")
        links.page_link(t.page, f"See it: {t.link}", query=t.query)

links.try_next("recap")
