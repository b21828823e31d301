"""Charts drawn from a kept Vega-Lite spec: a cached page's rerun skips building its Altair charts.

Building an Altair chart, copying it and converting it to Vega-Lite (``to_dict``, its schema checks, its
data written as Arrow) was most of a cached page's Python time: a page whose results came from the cache
still rebuilt every chart from them (measured with yappi on the XOR seeds tab and the Digit Recognizer's ①:
charts about 60% of each run). Every visitor's script shares the server's one Python lock, so in a class
each page's chart building delayed everyone else's page and the training thread.

:func:`altair` keeps the converted spec per key in a memo shared by the server's sessions and hands it to
``st.vega_lite_chart``: the element is the one ``st.altair_chart`` would send (a test compares them).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import streamlit as st

from core import settings
from ui.common import Memo

# specs hold their data as Arrow bytes: bounded by count and bytes, 1/10 of the disk budget (hosted: 30 MB
# at the default limits; a laptop 200 MB); an XOR seeds tab's loss curves are 0.57 MB, so a class of 30 XOR
# links keeps about 19 MB
_SIZE = 256


@st.cache_resource
def _specs() -> Memo:
    lim = settings.limits()
    return Memo(_SIZE, int(lim.cache_mb * 1_000_000 // 10))


def spec(key: str, build: Callable[[], Any]) -> dict[str, Any]:
    """The Vega-Lite spec (a dict; datasets as Arrow bytes, as Streamlit sends them) of the Altair chart
    ``build()`` makes, made once per ``key`` and then kept. Never mutate the returned dict (it is shared)."""
    from streamlit.elements.vega_charts import _convert_altair_to_vega_lite_spec

    memo = _specs()
    hit = memo.get(key)
    if hit is None:
        hit = _convert_altair_to_vega_lite_spec(build())
        memo.put(key, hit)
    return hit


def altair(key: str, build: Callable[[], Any], /, of: Sequence[Any] = (), where: Any = None, **kwargs: Any) -> Any:
    """Draw ``build()``'s Altair chart in ``where`` (default: the page), as ``st.altair_chart(chart, **kwargs)``
    would, building it only the first time ``key`` is drawn on this server; returns what that returns (a
    selection's state with ``on_select``).

    ``key`` must name everything the chart shows: the cache key of the results it is drawn from, and any
    choice the page makes on top (which seed, which panel). ``of``: those results (TrainResults); a run the
    server's time limit cut short is never cached, so its chart is drawn but not kept under the key.
    ``kwargs``: width, height, on_select and the like, and a widget ``key`` (``key`` and ``build`` are positional).
    """
    at = where if where is not None else st
    if of and _cut_short(of):
        return at.altair_chart(build(), **kwargs)
    return at.vega_lite_chart(spec(key, build), **kwargs)


def _cut_short(results: Sequence[Any]) -> bool:
    from core.serve.cache import cut_short  # imports torch: only for a chart of training results

    return cut_short(results) is not None
