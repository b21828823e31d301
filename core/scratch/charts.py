"""Chart of the from-scratch tab: both networks' training loss per epoch. No Streamlit here."""

from __future__ import annotations

import altair as alt
import pandas as pd

from core.plotting import fit_width


def loss_chart(frame: pd.DataFrame, title: str = "Training loss per epoch") -> alt.Chart:
    """One line per network (frame: epoch, loss, network), log loss axis."""
    return fit_width(alt.Chart(frame).mark_line(point=True).encode(
        x=alt.X("epoch:Q", title="epoch (loss: the mean over its batches)", axis=alt.Axis(tickMinStep=1)),
        y=alt.Y("loss:Q", title="cross-entropy (log)", scale=alt.Scale(type="log"),
                axis=alt.Axis(format="~g", tickCount=5)),
        color=alt.Color("network:N", title=None, legend=alt.Legend(orient="bottom", direction="vertical")),
        tooltip=["network", "epoch", alt.Tooltip("loss:Q", format=".4f")],
    ).properties(title=title, height=280))
