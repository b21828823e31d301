"""Hyperparameter Tuner: an Optuna search over the tutorial's table, run by worker processes, watched live."""

from __future__ import annotations

import os

import streamlit as st
from streamlit.runtime.scriptrunner import get_script_run_ctx

from core import tuning
from core.config import ConfigError
from core.engine.activations import REGISTRY
from core.plotting import fit_width
from core.serve import check_study
from core.serve.queue import training_queue
from core.settings import hosted
from core.tuning import charts
from core.tuning import claims as verdicts
from ui import links, say
from ui.common import share_link
from ui.glossary import tip
from ui.tuner import read, show, trial_filter
from ui.widgets import bounds, field_widget, page_params, url_config

VIEWS = ("History", "Trials", "Parallel coordinates", "Importance", "Slices", "Contour", "Rank", "Distribution",
         "Pareto front", "Notes", "Learning curves", "Timeline")
SP, SS = tuning.SearchSpace, tuning.StudySettings
SETTING_W, NUMBER_W = 215, 150  # px of a study setting's box (text, select) and of a number box


# ---- worker processes this server started (shared by every session) ----------------------------
@st.cache_resource
def pool() -> dict[str, list]:
    return {}


def live_workers(name: str | None = None) -> int:
    """Workers this server started that are still running (for one study, or all)."""
    p = pool()
    for k in list(p):
        p[k] = [w for w in p[k] if w.poll() is None]
    return len(p.get(name, [])) if name else sum(len(v) for v in p.values())


def session_token() -> str | None:
    """This browser session's owner token (a hash of Streamlit's session id; None outside a session)."""
    ctx = get_script_run_ctx(suppress_warning=True)
    return tuning.owner_token(ctx.session_id) if ctx is not None else None


def auto_name(dataset: str, sampler: str, taken: list[str]) -> str:
    """The default study name: data set, the sampler actually chosen, and the first free number."""
    n = len(taken) + 1
    while f"{dataset}-{sampler}-{n}" in taken:
        n += 1
    return f"{dataset}-{sampler}-{n}"


class AlreadyStarted(Exception):
    """The form was sent again with what started a study this session (pressing Enter, then the button)."""

    def __init__(self, name: str) -> None:
        super().__init__(name)
        self.name = name


def submission_key(space: tuning.SearchSpace, sts: tuning.StudySettings, name: str, workers: int) -> str:
    """What one press of Start asked for: the same key twice means the same form sent twice."""
    return repr(sorted({**space.to_query("s_"), **sts.to_query("t_"), "name": name.strip(),
                        "workers": str(workers)}.items()))


def start(url: str, name: str, n: int) -> int:
    """Start up to n worker processes; hosted, each takes one of the server's training slots while it lives."""
    room = tuning.max_workers() - live_workers()
    n = max(0, min(n, room))
    procs = []
    for i in range(n):
        spawn = lambda: tuning.start_workers(url, name, 1, parent=os.getpid())[0]  # noqa: E731
        proc = training_queue().hold_process(f"worker:{name}:{os.getpid()}:{i}", spawn) if hosted() else spawn()
        if proc is None:
            break  # every training slot is busy: fewer workers now (the study runs on the ones it has)
        procs.append(proc)
    pool().setdefault(name, []).extend(procs)
    return len(procs)


# ---- page ---------------------------------------------------------------------------------------
st.title("Hyperparameter Tuner",
         help=tip("hyperparameter", "optuna", "search space", "study", "trial", "worker", "pruner"))
st.markdown(
    "Find the best network for handwritten digits systematically. Optuna proposes settings from the "
    "ranges below, worker processes train each proposal with NN Lab's training loop, and unpromising "
    "trials are stopped early (pruned). Trials are stored in a database, so a reload, another tab or "
    "another machine sees the same study.")

url = tuning.default_storage()
try:
    studies = tuning.list_studies(url)
except tuning.TuningError as e:
    say.status(f"{e}. Set NNLAB_STORAGE to a reachable database (or unset it to use the local SQLite file).",
               "error", icon=":material/database:")
    st.stop()

space0 = url_config(SP, "s_")
set0 = url_config(SS, "t_")
wanted = page_params("tuner").study or None
if wanted and wanted not in studies:
    say.status(f"There is no study named {wanted[:64]!r} in this storage; showing the others.", "warning",
               icon=":material/link_off:")
    wanted = None

with st.expander("New study: search space and budget", expanded=not studies, icon=":material/tune:"):
    with st.form("new_study", enter_to_submit=False):  # Enter keeps the value; Start starts
        st.markdown("**Search space** (the tutorial's key hyperparameters; set low = high to fix one)")
        h = st.columns([1.2, 1, 1, 2.2])
        h[0].caption("hyperparameter")
        h[1].caption("low")
        h[2].caption("high")
        h[3].caption("tutorial's starting point")
        hint = {k: v for k, _, v in tuning.TUTORIAL_TABLE}
        range_inputs: dict[str, float] = {}
        terms = {"lr": tip("learning rate", "adam", "sgd"), "layers": tip("hidden layer"), "width": tip("neuron"),
                 "dropout": tip("dropout")}
        for title, low, high, hint_key, fmt in (("Learning rate (log)", "lr_low", "lr_high", "lr", "%.1e"),
                                                ("Hidden layers", "layers_min", "layers_max", "layers", None),
                                                ("Neurons per layer (log)", "width_min", "width_max", "width", None),
                                                ("Dropout rate", "dropout_low", "dropout_high", "dropout", None)):
            r = st.columns([1.2, 1, 1, 2.2])
            r[0].markdown(title, help=terms[hint_key])
            extra = {"format": fmt} if fmt else {"step": 0.05} if hint_key == "dropout" else {}
            for col, field in ((r[1], low), (r[2], high)):
                range_inputs[field] = field_widget(SP, field, label=field.replace("_", " "),
                                                   value=getattr(space0, field), container=col, help=None,
                                                   label_visibility="collapsed", **extra)
            r[3].caption(f"{hint[hint_key]} · {links.sweep_link(hint_key)}")
        # two short lists side by side, the activations (the longest chips) under them: in three columns at
        # 1024 px the chips were cut to "Ta", "Leak..." and "a..."
        c1, c3 = st.columns(2)
        batch_sizes = field_widget(SP, "batch_sizes", label="Batch sizes", value=space0.batch_sizes, container=c1,
                                   help=tip("batch", before=f"{hint['batch_size']}; {links.sweep_link('batch_size')}"),
                                   wrap=True)
        opts = field_widget(SP, "optimizers", label="Optimisers", value=space0.optimizers, container=c3,
                            help=tip("optimizer", "momentum"), wrap=True)
        acts = field_widget(SP, "activations", label="Activations", value=space0.activations,
                            format_func=lambda a: REGISTRY[a].label, wrap=True,
                            help=tip("activation", "relu", "tanh", "leaky relu",
                                     before=f"{hint['activation']}; {links.sweep_link('activation')}"))
        st.markdown("**Study**", help=tip("study", "trial"))
        # rows of fixed-width boxes that wrap: four (five) in a row on a wide screen, two (three) at 1024 px,
        # where four columns cut the sampler to "TPE (Bayes" and five wrapped labels onto two lines
        row = st.container(horizontal=True)
        name = row.text_input("Study name", value="", placeholder="automatic", width=SETTING_W,
                              help="leave empty for a name made from the data set and sampler you choose, "
                                   "for example digits-random-3")
        dataset = field_widget(SS, "dataset", label="Data set", value=set0.dataset, container=row, width=SETTING_W,
                               help=tip("mnist", before="digits: sklearn's 8x8 digits (1,797 images). mnist: where "
                                        f"it is downloaded already (a seeded {tuning.MNIST_MAX_TRAIN:,}-image "
                                        "sample)."))
        sampler = field_widget(SS, "sampler", label="Sampler", value=set0.sampler, container=row, width=SETTING_W,
                               format_func=tuning.SAMPLER_LABELS.get,
                               help=tip("sampler", "tpe", "random search", "grid search"))
        pruner = field_widget(SS, "pruner", label="Pruner", value=set0.pruner, container=row, width=SETTING_W,
                              format_func=tuning.PRUNER_LABELS.get,
                              help=tip("pruner", "median pruner", "successive halving", "hyperband",
                                       before="stops trials whose "
                                       "validation accuracy lags the others' at the same epoch"))
        objective = field_widget(SS, "objective", label="Objectives", value=set0.objective, container=row,
                                 width=SETTING_W, format_func=tuning.OBJECTIVE_LABELS.get,
                                 help=tip("objective", "accuracy", "pareto front",
                                          before="two objectives: accuracy up, the cost down; no pruner then"))
        row = st.container(horizontal=True)
        cap = bounds(SS, "n_trials", tuning.nn_settings.limits()).hi
        n_trials = field_widget(SS, "n_trials", label="Trials", value=set0.n_trials, container=row, step=10,
                                width=NUMBER_W, help=tip("trial", before=f"finished trials to run (limit here: "
                                                                     f"{cap:,})"))
        epochs = field_widget(SS, "epochs", label="Epochs per trial", value=set0.epochs, container=row, step=5,
                              width=NUMBER_W, help=tip("epoch"))
        timeout = field_widget(SS, "timeout_min", label="Time limit (min)", value=set0.timeout_min, container=row,
                               step=5.0, width=NUMBER_W, help="0 means no limit; running trials finish")
        seed = field_widget(SS, "seed", label="Seed", value=set0.seed, container=row, width=NUMBER_W,
                            help=tip("seed"))
        workers = row.number_input("Workers", 1, tuning.max_workers(), min(2, tuning.max_workers()), width=NUMBER_W,
                                   help=tip("worker", before=f"at most {tuning.max_workers()} on this machine"))
        st.caption("Objective: validation accuracy (a seeded 20% of the training images), reported after "
                   "every epoch. Every trial starts from the same seed, so trials differ only in settings.",
                   help=tip("objective", "validation set", "accuracy", "training set", "test set"))
        submitted = st.form_submit_button("Start study", type="primary", icon=":material/play_arrow:")
    if submitted:
        try:
            space = tuning.SearchSpace(**range_inputs, batch_sizes=tuple(int(b) for b in batch_sizes),
                                       activations=tuple(acts), optimizers=tuple(opts))
            sts = tuning.StudySettings(dataset=dataset, sampler=sampler, pruner=pruner, n_trials=int(n_trials),
                                       timeout_min=float(timeout), epochs=int(epochs), seed=int(seed),
                                       objective=objective)
            form_key = submission_key(space, sts, name, int(workers))
            again = st.session_state.setdefault("tuner_started", {}).get(form_key)
            if again in studies:  # the same form sent twice (Enter, then the button): one study, not two
                raise AlreadyStarted(again)
            name = name.strip() or auto_name(dataset, sampler, studies)
            token = session_token()
            if name in studies and not tuning.may_control(tuning.owner_of(url, name), token):
                raise tuning.NotOwner(f"a study named {name!r} belongs to another session; pick a new name")
            too_much = check_study(space, sts) if hosted() else None  # priced as all its trials
            if too_much:
                raise tuning.TuningError(too_much)
            if live_workers() >= tuning.max_workers():  # a study no worker would run is not started
                raise tuning.TuningError(f"the {tuning.max_workers()} workers this machine runs are busy with "
                                         "other studies; stop one or wait for it to finish")
            new = name not in studies
            tuning.create_study(name, space, sts, url)
            if token:
                tuning.claim(url, name, token)  # hosted: only this session may stop, resume or delete it
        except AlreadyStarted as e:
            wanted = e.name
            say.status(f"Study {e.name!r} is already running these settings: the same form sent again starts "
                       "nothing more (change the name or the seed for another study; Resume adds workers).",
                       icon=":material/info:")
        except (ConfigError, tuning.TuningError) as e:
            say.status(f"Not started: {e}", "error", icon=":material/error:")
        else:
            got = start(url, name, int(workers))
            if got == 0 and new:  # every training slot was taken meanwhile: no workerless study is left behind
                tuning.delete_study(url, name)
                say.status("Not started: the server's training slots are all busy (workers share them with every "
                           "visitor's training); try again in a minute.", "error", icon=":material/error:")
            else:
                st.session_state["tuner_started"][form_key] = name
                st.query_params.update({**space.to_query("s_"), **sts.to_query("t_"), "study": name})
                wanted = name
                if got < int(workers):
                    why = ("the server's training slots are busy (workers share them with every visitor's "
                           "training)" if hosted() else f"this machine runs at most {tuning.max_workers()} at once")
                    say.status(f"Started {got} of {int(workers)} workers: {why}. Resume adds workers later.")
            studies = tuning.list_studies(url)

gone = st.session_state.pop("tuner_deleted", None)
if gone:
    say.status(f"Deleted study {gone!r} and its trials.", "success", icon=":material/delete:")

if not studies:
    say.status("No study yet: set up the search above and press **Start study**.", icon=":material/info:")
    st.stop()

chosen = st.selectbox("Study", studies, index=studies.index(wanted) if wanted in studies else 0,
                      help=f"studies in {tuning.mask_url(url)}")
if st.query_params.get("study") != chosen:
    st.query_params["study"] = chosen


def study_status(frame: tuning.StudyFrame, alive: int) -> bool:
    """The study's counts, progress and state line; True while it is going."""
    c, info = frame.counts, frame.info
    total = info.settings.n_trials if info else 0
    done = c["COMPLETE"] + c["PRUNED"]
    active = tuning.is_active(frame, alive)
    m = st.columns(4)  # four fit a 1024-px window; the other counts go on the line below
    # the value stays short (a 1024-px window cut "100 / 100" to "100 / ..."): the label says out of what
    m[0].metric(f"Finished (of {total:,})", f"{done:,}", help="completed and pruned trials, of the study's budget")
    best = frame.best()
    m[1].metric("Best val. acc.", f"{best['value']:.4f}" if best is not None else "–",
                help=tip("validation set", before="the best completed trial's validation accuracy: what the search "
                                                  "chooses on"))
    m[2].metric("Running", c["RUNNING"])
    m[3].metric("Workers here", alive, help=tip("worker", before="worker processes this server runs on the study"))
    st.progress(min(1.0, done / total) if total else 0.0)
    counts = f"{c['PRUNED']} pruned · {c['INTERRUPTED']} interrupted · {c['FAIL']} failed"
    if c["INTERRUPTED"]:
        counts += (" · interrupted trials were ended by Stop after an epoch, not by an error: their settings "
                   "run first when the study resumes")
    st.caption(counts)
    if info is not None:
        s = info.settings
        state = ("stopping: running trials end after their epoch" if active and info.stop else "running" if active
                 else "stopped" if info.stop else "finished" if done >= total else "paused: no worker is running")
        st.caption(f"**{state}** · {tuning.SAMPLER_LABELS[s.sampler]} sampler, {tuning.PRUNER_LABELS[s.pruner]} "
                   f"pruner, seed {s.seed}, {s.epochs} epochs per trial, {s.dataset} · space varies "
                   f"{', '.join(info.space.varying())}")
    return active


def delete(name: str) -> None:
    """Delete a study (its owner only, in hosted mode): stop its workers here, then remove it."""
    token = session_token()
    try:
        tuning.stop_as(url, name, token)
        tuning.stop_workers(pool().pop(name, []), timeout=5.0)
        tuning.delete_as(url, name, token)
    except tuning.TuningError as e:
        say.status(f"Not deleted: {e}", "error", icon=":material/error:")
        return
    read.clear()
    st.query_params.pop("study", None)
    st.session_state["tuner_deleted"] = name
    st.rerun()


def controls(name: str, frame: tuning.StudyFrame, alive: int, active: bool) -> None:
    info = frame.info
    mine = tuning.may_control(frame.owner, session_token())
    c1, c2, c3 = st.columns([1, 1, 3])
    if not mine:
        c1.caption(":material/visibility: **Read only**: another session started this study; only it can stop, "
                   "resume or delete it (a reloaded tab is a new session).")
    elif active and c1.button("Stop", icon=":material/stop:", help="workers stop after their current epoch; "
                              "interrupted trials are queued again for a resume"):
        try:
            tuning.stop_as(url, name, session_token())
        except tuning.TuningError as e:  # the database is away: one line, the page stays
            say.status(f"Not stopped: {e}", "error", icon=":material/database:")
        else:
            # this server's workers hear it at once (one still loading PyTorch exits there); workers on other
            # machines read the stop flag between epochs
            tuning.signal_workers(pool().get(name, []))
            read.clear()
            st.rerun()
    if mine and not active and info is not None:
        cap = bounds(SS, "n_trials", tuning.nn_settings.limits()).hi  # the field's cap, even on a laptop
        done = frame.counts["COMPLETE"] + frame.counts["PRUNED"]
        budget = info.settings.n_trials if done < info.settings.n_trials else done + 10  # finished: offer 10 more
        more = c2.number_input("Trials in all", 1, cap, min(cap, budget), key=f"more_{name}",
                               help=f"the study's budget after resuming (limit here: {cap:,})")
        if c1.button("Resume", icon=":material/play_arrow:", type="primary"):
            try:
                tuning.resume_as(url, name, session_token(), n_trials=int(more))
            except (ConfigError, tuning.TuningError) as e:
                say.status(f"Not resumed: {e}", "error")
            else:
                if start(url, name, 2):
                    st.rerun()
                say.status(f"No worker could start here: this machine already runs {tuning.max_workers()}; "
                           "workers on other machines can still join.", "warning")
    if mine:
        with c1.popover("Delete", icon=":material/delete:", help="remove this study and all its trials "
                        "(its workers here stop first)"):
            st.markdown(f"Delete **{name}** and its {len(frame.trials):,} trials? This cannot be undone.")
            if st.button("Delete for good", type="primary", key=f"delete_{name}"):
                delete(name)
    best = frame.best_params()
    if best and info is not None:
        q = tuning.digits_query(best, info.settings)
        with c3:
            links.page_link("digits", "Train this configuration", icon=":material/draw:", query=q)
            say.lesson(verdicts.best_trial(frame), "caption")
            say.lesson(verdicts.test_estimate(frame), "caption")


def watch(name: str, polling: float) -> None:
    """The study's status, controls, filter and chosen view; refreshed every ``polling`` seconds."""
    try:
        tuning.reap_stale(url, name)  # trials of dead workers become FAIL after the grace period
        frame = read(url, name)
    except tuning.TuningError as e:
        say.status(f"{e}", "error")
        return
    alive = live_workers(name)
    active = study_status(frame, alive)
    if tuning.poll_seconds(frame, alive) != polling:  # started, or its workers here all ended: switch the rate
        st.rerun()
    controls(name, frame, alive, active)
    varying = frame.info.space.varying() if frame.info else frame.params
    params = [p for p in frame.params if p in varying]
    flt = trial_filter(frame, params)
    shown = tuning.apply_filter(frame, flt)
    if not flt.is_empty():
        st.caption(f":material/filter_alt: showing {len(shown.trials):,} of {len(frame.trials):,} trials: "
                   f"{flt.describe()}")
    view = st.segmented_control("View", VIEWS, default=st.session_state.get("tuner_view", "History"),
                                key=f"view_{name}",  # the label shows, so its tooltip of terms does
                                help=tip("trial", "parallel coordinates", "parameter importance", "ped-anova",
                                         "slice plot", "contour plot", "rank plot", "edf", "pareto front"))
    st.session_state["tuner_view"] = view or "History"
    show(shown, view or "History", flt, url, alive=alive, total=len(frame.trials))
    if frame.read_seconds > 1.0:
        st.caption(f"read {len(frame.trials):,} trials in {frame.read_seconds:.2f} s")


# refresh every 2 s while the study runs or its workers here are ending; slowly otherwise (it may be started
# from another tab or machine)
try:
    polling = tuning.poll_seconds(read(url, chosen), live_workers(chosen))
except tuning.TuningError:
    polling = tuning.SLOW_POLL_S
st.fragment(run_every=polling)(watch)(chosen, polling)

# ---- compare two studies -------------------------------------------------------------------------
with st.expander("Compare two studies", icon=":material/compare_arrows:"):
    if len(studies) < 2:
        st.caption("Run a second study (for example random search on the same budget) to compare.")
    else:
        c1, c2 = st.columns(2)
        a = c1.selectbox("Study A", studies, index=0, key="cmp_a")
        b = c2.selectbox("Study B", studies, index=1, key="cmp_b")
        try:
            fa, fb = read(url, a), read(url, b)
            st.dataframe(charts.compare_table({a: fa.trials, b: fb.trials}), hide_index=True, width="stretch",
                         column_config={"best validation accuracy": st.column_config.NumberColumn(format="%.4f"),
                                        "median seconds per trial": st.column_config.NumberColumn(format="%.1f")})
            if fa.trials.empty or fb.trials.empty:
                st.caption("A study with no trials has nothing to draw yet.")
            else:
                left, right = charts.compare_charts(fa.trials, fb.trials, a, b)
                c1, c2 = st.columns([2, 1])
                c1.altair_chart(fit_width(left), width="stretch")
                c2.altair_chart(fit_width(right), width="stretch")
                st.altair_chart(fit_width(charts.edf({a: fa.trials, b: fb.trials})), width="stretch")
                say.lesson(verdicts.compare_overall(a, fa.trials, b, fb.trials), "caption")
        except tuning.TuningError as e:
            say.status(f"{e}", "error")

with st.expander("Run workers on other machines", icon=":material/dns:"):
    st.markdown(
        "Point every machine at one database (PostgreSQL), then on each one run (the URL goes in the "
        "environment, so it never shows in the process list):")
    st.code(f"NNLAB_STORAGE='{tuning.mask_url(url)}' python -m core.tuning worker --study '{chosen}'",
            language="bash", wrap_lines=True)  # the copy button still copies one line
    if "***" in tuning.mask_url(url):
        st.caption("Replace `***` with the database password (it is never shown here).")
    st.caption("Workers stop by themselves when the study's budget is done or someone presses Stop. "
               "A worker that dies mid-trial has that trial marked failed after the heartbeat grace period.")

links.try_next("tuner")
share_link()
