"""When to Use Neural Networks (and when not): tree ensembles against MLPs on real tables, computed here."""

from __future__ import annotations

import functools
import hashlib
import time
from collections.abc import Callable, Sequence
from typing import Any

import streamlit as st

import core.when_to_use as wtu
from core.when_to_use import charts as wc
from ui import links, say, uploads, vega
from ui.common import check_request, share_link, sync_url, training_slot
from ui.exercise import show as show_exercise
from ui.glossary import tip
from ui.widgets import field_widget, page_params, parse_numbers, upload_mb, url_config, widget_config

DATA_LABELS = {**{k: v[0] for k, v in wtu.BUILTIN.items()}, "csv": "Your CSV (upload above)"}
SHORT = {"breast_cancer": "breast cancer", "wine": "wine", "iris": "iris", "diabetes": "diabetes",
         "digits": "the digits images", "csv": "your CSV"}


def progressive(points: Sequence[Any], compute: Callable[[Any], Any], draw: Callable[[list, bool], None],
                say: Callable[[Any], str]) -> list:
    """compute(point) for each point; draw(results so far, False) after each one that had to be computed (so the
    first result shows while the rest train) and draw(all results, True) at the end (a cached rerun draws once)."""
    status = st.empty()
    out: list = []
    for i, pt in enumerate(points):
        status.caption(f":material/hourglass_top: {say(pt)} ({i + 1} of {len(points)})...")
        t0 = time.perf_counter()
        out.append(compute(pt))
        if time.perf_counter() - t0 > 0.05 and i < len(points) - 1:
            draw(out, False)
    status.empty()
    draw(out, True)
    return out


def show(box: Any, key: str, build: Callable[[], Any], final: bool = True) -> None:
    """``build()``'s chart in ``box``, kept under ``key`` (ui/vega.py) when ``final``; a draw of some of the
    points while the others still train is built and drawn, never kept."""
    if final:
        vega.altair(key, build, where=box, width="stretch")
    else:
        box.altair_chart(build(), width="stretch")


def digest(text: bytes) -> str:
    return hashlib.blake2b(text, digest_size=12).hexdigest()


def chart_key(name: str, cfg: Any, dataset: str, runs: Sequence[Any]) -> str:
    """What a tab's chart shows: its settings, the table it ran on (an upload: its target and bytes) and the
    runs drawn (their scores and seconds: a run the point caches dropped comes back with other timings)."""
    data = f"csv:{digest(csv_bytes)}:{digest(target.encode())}" if dataset == "csv" else dataset
    return f"when-to-use.{name}:{cfg.key()}:{data}:{digest(repr(list(runs)).encode())}"


# ---- cached computations: one point = one model on one variant of one table ---------------------------
@st.cache_data(max_entries=8, show_spinner=False)
def _csv_table(raw: bytes, target: str) -> wtu.Table:
    with uploads.parsing(len(raw)):  # hosted: priced from its size, one slot
        table = wtu.table_from_csv(raw, target)
        _ = table.levels  # computed once here, so every cached copy carries it (the price reads it each run)
    return table


def csv_table(raw: bytes, target: str) -> wtu.Table:
    """The uploaded table (cached); a refused file is refused again at once on a rerun, never parsed twice."""
    return uploads.read_once(raw, lambda: _csv_table(raw, target), "wtu", target)


def table_for(dataset: str, csv: bytes, target: str) -> wtu.Table:
    return csv_table(csv, target) if dataset == "csv" else wtu.load_table(dataset)


@st.cache_data(max_entries=512, show_spinner=False)
def cv_point(dataset: str, csv: bytes, target: str, model: str, folds: int, seed: int, scale: bool) -> wtu.ModelRun:
    with training_slot():  # hosted mode: a fair line for the CPU
        return wtu.cross_validate(table_for(dataset, csv, target), model, folds, seed, scale)


@st.cache_data(max_entries=512, show_spinner=False)
def noise_point(dataset: str, csv: bytes, target: str, k: int, rotated: bool, model: str, folds: int,
                seed: int) -> wtu.ModelRun:
    with training_slot():
        return wtu.noise_point(table_for(dataset, csv, target), k, rotated, model, folds, seed)


@st.cache_data(max_entries=512, show_spinner=False)
def curve_point(dataset: str, csv: bytes, target: str, fraction: float, model: str, seed: int) -> wtu.CurvePoint:
    with training_slot():
        return wtu.curve_point(table_for(dataset, csv, target), fraction, model, seed)


# ---- page -----------------------------------------------------------------------------------------------
st.title("When to Use Neural Networks")
st.markdown(
    "The tutorial says neural networks suit images, text, sequences and very large data, while small tables "
    "(under about 10,000 rows) and decisions that must be explained usually favour tree ensembles. Here that "
    "claim is **tested, not asserted**: scikit-learn's random forest and gradient boosting against an MLP "
    "(this app's engine, and scikit-learn's MLPClassifier) on real data, cross-validated with seeded folds. "
    "Every sentence under a chart is computed from the run above it.",
    help=tip("tree ensemble", "random forest", "gradient boosting", "gradient", "mlp", "mlpclassifier",
             "cross-validation", "fold", "seed"),
)

with st.expander("Your own CSV", icon=":material/upload_file:"):
    up_l, up_r = st.columns([3, 2])
    upload = up_l.file_uploader("A CSV file: numeric feature columns and a target column", type=["csv", "txt"],
                                key="csv_file", max_upload_size=upload_mb(wtu.MAX_CSV_BYTES),
                                help=tip("feature", before=f"At most {wtu.MAX_CSV_BYTES / 1e6:.0f} MB, "
                                         f"{wtu.MAX_CSV_ROWS:,} rows and {wtu.MAX_CSV_COLUMNS} columns, UTF-8."))
    target = up_r.text_input("Target column", key="csv_target", placeholder="the last column",
                             help="A text or small whole-number target is a class label; other numbers: regression.")
    csv_bytes, csv_ok = b"", False
    if upload is not None:
        csv_bytes = upload.getvalue()
        try:
            t = csv_table(csv_bytes, target)
            csv_ok = True
            say.status(f"{upload.name}: {t.describe()}. Choose “Your CSV” as the data in any tab.", "success",
                       icon=":material/check_circle:", where=up_l)
        except ValueError as e:
            say.status(f"{upload.name}: {e}.", "error", icon=":material/error:", where=up_l)


def choose_data(key: str, fallback: str) -> str:
    """The tab's data set; 'csv' only with a valid upload (else the fallback, with a note)."""
    chosen = st.session_state[key]
    if chosen == "csv" and not csv_ok:
        say.status("Upload a valid CSV under “Your own CSV” above to use it; showing "
                   f"{DATA_LABELS[fallback]} meanwhile.", icon=":material/info:")
        return fallback
    return chosen


TABS = {"duel": "① Head to head", "scaling": "② Scaling", "noise": "③ Useless features and rotation",
        "curve": "④ Data hunger"}
asked = page_params("when-to-use").tab
tab_list = st.tabs(list(TABS.values()), key="wtu_tab", on_change="rerun", default=TABS.get(asked, TABS["duel"]))
tab_a, tab_b, tab_c, tab_d = tab_list
open_tab = next((name for name, t in zip(TABS, tab_list) if t.open), "duel")

DU, SC, NO, CU = wtu.DuelConfig, wtu.ScalingConfig, wtu.NoiseConfig, wtu.CurveConfig
url_a = url_config(DU, "d_")
url_b = url_config(SC, "s_")
url_c = url_config(NO, "n_")
url_d = url_config(CU, "c_")
a_cfg, b_cfg, c_cfg, d_cfg = url_a, url_b, url_c, url_d
fmt_model = wtu.LABELS.get
ss = st.session_state

def rule_of_thumb(cfg: wtu.DuelConfig, dataset: str, table: wtu.Table, runs: list) -> None:
    """The tutorial's rule of thumb for tables against the page's own MLP and the trees, on the duel's folds."""
    rc = wtu.RuleConfig(dataset=dataset, folds=cfg.folds, seed=cfg.seed)
    n_in, n_out = table.X.shape[1], max(table.n_classes, 1)
    h = wtu.rule_hidden(n_in, n_out)
    st.subheader("The tutorial's rule of thumb for tables", divider="gray")
    st.markdown(f"**Two hidden layers sized between the input and the output, ReLU, dropout**: here {n_in} features "
                f"→ {h[0]} → {h[1]} → {n_out} output{'s' * (n_out > 1)}, Dropout({wtu.RULE_DROPOUT:g}), otherwise the "
                f"engine MLP's recipe. Against it, on the same {cfg.folds} folds: the page's own engine MLP "
                f"({'-'.join(map(str, wtu.ENGINE_MLP.hidden))}, no dropout) and both tree ensembles.",
                help=tip("hidden layer", "relu", "dropout", "tree ensemble"))
    check_request(rc, table)  # hosted: priced from the table's shape (the duel's runs are reused from the cache)
    have = {r.model: r for r in runs}
    with st.spinner("Cross-validating the rule of thumb..."):
        rr = [have.get(m) or cv_point(dataset, csv_bytes, target, m, cfg.folds, cfg.seed, s) for m, s in rc.points()]
    st.table(wc.duel_table_text(rr, table.task))
    say.lessons(wtu.rule_notes(rr), "caption")


def models_chosen(cls: type, url: Any, key: str, container: Any = st, help: str | None = None) -> bool:
    """The Models multiselect of ``cls`` under ``key`` (first ``url.models``); False, with a warning, when it is
    empty (the previous choice stays)."""
    field_widget(cls, "models", label="Models", key=key, value=url.models, container=container,
                 format_func=fmt_model, wrap=True, help=help)
    if not ss[key]:
        say.status("Choose at least one model. Showing the previous choice.", "warning", icon=":material/warning:")
        return False
    return True


# ---- 1. head to head ------------------------------------------------------------------------------------
with tab_a:
    if tab_a.open:
        a, c, d = st.columns([4, 1, 1])
        field_widget(DU, "dataset", label="Data", key="d_dataset", value=url_a.dataset, container=a,
                     format_func=DATA_LABELS.get)
        field_widget(DU, "folds", label="Folds", key="d_folds", value=url_a.folds, container=c,
                     help=tip("cross-validation", "fold", "stratified", before="seeded, stratified for classes"))
        field_widget(DU, "seed", label="Seed", key="d_seed", value=url_a.seed, container=d, help=tip("seed"))
        if models_chosen(DU, url_a, "d_models"):
            a_cfg = widget_config(lambda: wtu.DuelConfig(dataset=ss.d_dataset, models=tuple(ss.d_models),
                                                         folds=int(ss.d_folds), seed=int(ss.d_seed)), url_a)
        dataset = choose_data("d_dataset", "breast_cancer") if a_cfg.dataset == "csv" else a_cfg.dataset
        table = table_for(dataset, csv_bytes, target)
        st.caption(f"{DATA_LABELS[dataset]}: {table.describe()}. Score: {wtu.metric_name(table.task)} on the held-out "
                   f"fold, mean over {a_cfg.folds} seeded folds. Trees get the raw features; the MLPs get them "
                   "standardised (tab ② runs both ways).",
                   help=tip("feature", "held-out", "accuracy", "r²", "standardise"))
        # hosted: the whole request priced from the table's shape before any fit; over budget, one line
        check_request(a_cfg.replace(dataset=dataset), table)
        left, right = st.columns(2)
        score_box, time_box = left.empty(), right.empty()

        def draw_duel(runs: list, final: bool) -> None:
            frame = functools.cache(lambda: wc.duel_frame(runs))
            dk = chart_key("duel", a_cfg, dataset, runs)
            show(score_box, f"{dk}:score", lambda: wc.score_chart(
                frame(), table.task, f"Score ({wtu.metric_name(table.task)})"), final)
            show(time_box, f"{dk}:time", lambda: wc.time_chart(frame(), "Time to train"), final)

        runs = progressive(
            a_cfg.points(), lambda pt: cv_point(dataset, csv_bytes, target, pt[0], a_cfg.folds, a_cfg.seed, pt[1]),
            draw_duel, lambda pt: f"Cross-validating {wtu.LABELS[pt[0]]}")
        say.lessons(wtu.duel_notes(runs, SHORT[dataset], table.shape[0]), "caption")
        st.table(wc.duel_table_text(runs, table.task))
        st.caption("± std: standard deviation over the folds; train s: seconds to train, all folds; settings changed: "
                   "from the library's defaults (NN Lab's own for its engine), out of the settings the model exposes "
                   "(seed not counted).", help=tip("standard deviation"))
        forest = next((r for r in runs if r.model == "forest" and r.importances), None)
        if forest is not None:
            left, right = st.columns([3, 2])
            show(left, f"{chart_key('duel', a_cfg, dataset, runs)}:importance", lambda: wc.importance_chart(
                wc.importance_frame(forest, table.features), "Random forest: top features"))
            imp = wc.importance_frame(forest, table.features, top=len(table.features))
            top3 = float(imp["importance"].head(3).sum())
            right.markdown("**Explaining a decision**")
            right.caption(f"A forest reports how much each feature's splits reduced impurity: here the top three "
                          f"features carry {top3:.0%} of it (mean over {a_cfg.folds} folds). An MLP's weights give no "
                          "such ranking directly; explaining one needs extra tools.",
                          help=tip("feature importance", "decision tree", "impurity", "weight"))
        rule_of_thumb(a_cfg, dataset, table, runs)
        links.try_next("when-to-use.duel", "when-to-use", TABS)

# ---- 2. scaling ------------------------------------------------------------------------------------------
with tab_b:
    if tab_b.open:
        st.markdown("Each model twice: on the raw features, and on features standardised to mean 0 and standard "
                    "deviation 1 (using the training fold's statistics).",
                    help=tip("standardise", "standard deviation", "fold"))
        a, c, d = st.columns([4, 1, 1])
        field_widget(SC, "dataset", label="Data", key="s_dataset", value=url_b.dataset, container=a,
                     format_func=DATA_LABELS.get)
        field_widget(SC, "folds", label="Folds", key="s_folds", value=url_b.folds, container=c,
                     help=tip("cross-validation", "fold"))
        field_widget(SC, "seed", label="Seed", key="s_seed", value=url_b.seed, container=d, help=tip("seed"))
        if models_chosen(SC, url_b, "s_models"):
            b_cfg = widget_config(lambda: wtu.ScalingConfig(dataset=ss.s_dataset, models=tuple(ss.s_models),
                                                            folds=int(ss.s_folds), seed=int(ss.s_seed)), url_b)
        dataset = choose_data("s_dataset", "wine") if b_cfg.dataset == "csv" else b_cfg.dataset
        table = table_for(dataset, csv_bytes, target)
        sds = table.X.std(0)
        st.caption(f"{DATA_LABELS[dataset]}: {table.describe()}; raw values from {table.X.min():,.3g} to "
                   f"{table.X.max():,.4g}, the widest feature's standard deviation "
                   f"{sds.max() / max(sds[sds > 0].min(initial=sds.max()), 1e-12):,.0f}x the narrowest's.")
        # hosted: the whole request priced from the table's shape before any fit; over budget, one line
        check_request(b_cfg.replace(dataset=dataset), table)
        box = st.empty()
        done = progressive(
            b_cfg.points(), lambda pt: cv_point(dataset, csv_bytes, target, pt[0], b_cfg.folds, b_cfg.seed, pt[1]),
            lambda rs, final: show(box, chart_key("scaling", b_cfg, dataset, rs), lambda: wc.scaling_chart(
                wc.scaling_frame(dict(zip(b_cfg.points(), rs))), table.task,
                f"Raw against standardised inputs: {SHORT[dataset]}"), final),
            lambda pt: f"{wtu.LABELS[pt[0]]}, {'standardised' if pt[1] else 'raw'} inputs")
        got = dict(zip(b_cfg.points(), done))
        say.lessons(wtu.scaling_notes(got, SHORT[dataset]), "caption")
        links.try_next("when-to-use.scaling", "when-to-use", TABS)

# ---- 3. uninformative features and rotation -------------------------------------------------------------------
with tab_c:
    if tab_c.open:
        st.markdown(
            "Grinsztajn, Oyallon and Varoquaux (2022, *Why do tree-based models still outperform deep learning on "
            "typical tabular data?*) traced the trees' lead to three things: tabular data holds many "
            "**uninformative features**, its targets are **irregular** functions of the features, and its columns "
            "mean something on their own, which a **rotation** destroys. Run two of their probes: add k columns "
            "of pure noise, or rotate every row by one random orthogonal matrix (each new column a mixture of all "
            "the old ones), and watch who degrades.", help=tip("uninformative feature", "feature"))
        a, b, c, d = st.columns([3, 3, 1, 1])
        field_widget(NO, "dataset", label="Data", key="n_dataset", value=url_c.dataset, container=a,
                     format_func=DATA_LABELS.get)
        field_widget(NO, "ks", label="Noise columns k", key="n_ks", value=url_c.ks, container=b,
                     help="comma-separated, 0 to 500")
        field_widget(NO, "folds", label="Folds", key="n_folds", value=url_c.folds, container=c,
                     help=tip("cross-validation", "fold"))
        field_widget(NO, "seed", label="Seed", key="n_seed", value=url_c.seed, container=d, help=tip("seed"))
        a, r = st.columns([5, 2], vertical_alignment="bottom")
        field_widget(NO, "rotate", label="Rotate too", key="n_rotate", value=url_c.rotate, container=r,
                     help="also train on randomly rotated features: each k with and without a rotation (twice the "
                          "work)")
        if models_chosen(NO, url_c, "n_models", a):
            c_cfg = widget_config(lambda: wtu.NoiseConfig(
                dataset=ss.n_dataset, ks=parse_numbers(ss.n_ks, int), rotate=bool(ss.n_rotate),
                models=tuple(ss.n_models),
                folds=int(ss.n_folds), seed=int(ss.n_seed)), url_c)
        dataset = choose_data("n_dataset", "wine") if c_cfg.dataset == "csv" else c_cfg.dataset
        table = table_for(dataset, csv_bytes, target)
        st.caption(f"{DATA_LABELS[dataset]}: {table.describe()}, plus k standard-normal columns. The MLPs get "
                   f"standardised inputs. Lines: mean over {c_cfg.folds} folds (dashed: rotated features); "
                   "bands: ± one standard deviation.", help=tip("standardise", "standard deviation"))
        # hosted: the whole request priced from the table's shape before any fit; over budget, one line
        check_request(c_cfg.replace(dataset=dataset), table)
        box = st.empty()
        done = progressive(
            c_cfg.points(),
            lambda pt: noise_point(dataset, csv_bytes, target, pt[0], pt[1], pt[2], c_cfg.folds, c_cfg.seed),
            lambda rs, final: show(box, chart_key("noise", c_cfg, dataset, rs), lambda: wc.noise_chart(
                wc.noise_frame([(k, r, run) for (k, r, _), run in zip(c_cfg.points(), rs)]), table.task,
                f"Score as useless columns are added: {SHORT[dataset]}"), final),
            lambda pt: f"{wtu.LABELS[pt[2]]}, k = {pt[0]}{', rotated' if pt[1] else ''}")
        pts = [(k, r, run) for (k, r, _), run in zip(c_cfg.points(), done)]
        say.lessons(wtu.noise_notes(pts), "caption")
        links.try_next("when-to-use.noise", "when-to-use", TABS)

# ---- 4. data hunger ------------------------------------------------------------------------------------------
with tab_d:
    if tab_d.open:
        st.markdown("Learning curves: a seeded quarter of the rows is held out; each model trains on a growing "
                    "(stratified) share of the rest. Neural networks are said to be data-hungry: here is how each "
                    "model's score grows with the rows it sees.", help=tip("learning curve", "held-out", "stratified"))
        a, b, c = st.columns([2, 3, 1])
        field_widget(CU, "dataset", label="Data", key="c_dataset", value=url_d.dataset, container=a,
                     format_func=DATA_LABELS.get)
        field_widget(CU, "fractions", label="Shares of the training rows", key="c_fractions", value=url_d.fractions,
                     container=b, help="comma-separated, 0.01 to 1")
        field_widget(CU, "seed", label="Seed", key="c_seed", value=url_d.seed, container=c, help=tip("seed"))
        if models_chosen(CU, url_d, "c_models",
                         help="Gradient boosting and scikit-learn's MLP take several seconds each on the digits"):
            d_cfg = widget_config(lambda: wtu.CurveConfig(
                dataset=ss.c_dataset, fractions=parse_numbers(ss.c_fractions, float), models=tuple(ss.c_models),
                seed=int(ss.c_seed)), url_d)
        dataset = choose_data("c_dataset", "digits") if d_cfg.dataset == "csv" else d_cfg.dataset
        table = table_for(dataset, csv_bytes, target)
        st.caption(f"{DATA_LABELS[dataset]}: {table.describe()}.")
        # hosted: the whole request priced from the table's shape before any fit; over budget, one line
        check_request(d_cfg.replace(dataset=dataset), table)
        box = st.empty()
        cps = progressive(
            d_cfg.points(), lambda pt: curve_point(dataset, csv_bytes, target, pt[0], pt[1], d_cfg.seed),
            lambda rs, final: show(box, chart_key("curve", d_cfg, dataset, rs), lambda: wc.curve_chart(
                wc.curve_frame(rs), table.task, f"Held-out score against training rows: {SHORT[dataset]}"), final),
            lambda pt: f"{wtu.LABELS[pt[1]]} on {pt[0]:.0%} of the training rows")
        say.lessons(wtu.curve_notes(cps, table.task), "caption")
        links.try_next("when-to-use.curve", "when-to-use", TABS)

# ---- the URL holds every control -------------------------------------------------------------------------------
params = {**a_cfg.to_query("d_"), **b_cfg.to_query("s_"), **c_cfg.to_query("n_"), **d_cfg.to_query("c_")}
if open_tab != "duel":
    params["tab"] = open_tab
show_exercise("when-to-use", open_tab)  # predict, then run (core.exercises)
sync_url(params)
share_link()
