"""Links between the app's pages: one table of page files and URL paths, the beginner's path through
them in the tutorial's order, and a link that degrades to a copyable address when the page is not part
of this app."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import ClassVar
from urllib.parse import urlencode

import streamlit as st

from core.config import Config, param

ROOT = Path(__file__).resolve().parents[1]

# url path -> page file (app.py's navigation uses the same url paths)
PAGES = {
    "home": "app_pages/home.py",
    "xor": "app_pages/xor_lab.py",
    "activations": "app_pages/activation_explorer.py",
    "backprop": "app_pages/backprop.py",
    "architectures": "app_pages/architectures.py",
    "digits": "app_pages/digit_recognizer.py",
    "convolutions": "app_pages/convolutions.py",
    "hyperparameters": "app_pages/hyperparameters.py",
    "optimizers": "app_pages/optimizers.py",
    "when-to-use": "app_pages/when_to_use.py",
    "tuner": "app_pages/hyperparameter_tuner.py",
    "recap": "app_pages/recap.py",
}

# a page's st.tabs key (its value is the open tab's label; setting it opens another tab)
TAB_KEYS = {"xor": "xor_tab", "activations": "act_tab", "architectures": "arch_tab", "digits": "d_tab",
            "convolutions": "conv_tab", "hyperparameters": "hp_tab", "when-to-use": "wtu_tab", "backprop": "bp_tab"}
# the query param a page reads its open tab from (default "tab")
TAB_PARAM = {"hyperparameters": "sweep"}


# ---- a page's own link params (not a job's settings), declared like a config's fields --------------
# Each page reads them through the one URL reader (Config.from_query, ui.widgets.url_config): a hostile
# value gets a notice and the default, never a traceback. Job settings stay on the jobs' configs.
DIGIT_CMP_EPOCHS = 150  # core.digits.lessons.CMP_EPOCHS (not imported: it loads torch; a test pins them equal)
BACKPROP_WEIGHTS = tuple([f"W1[{i + 1},{j + 1}]" for i in range(2) for j in range(4)]
                         + [f"b1[{j + 1}]" for j in range(4)] + [f"W2[{j + 1}]" for j in range(4)] + ["b2"])


@dataclass(frozen=True)
class XorLink(Config):
    """The XOR Lab's page params: the open tab; cmp=1 opens the Playground comparing two settings; disc and
    show_test, the Playground view's switches."""

    kind: ClassVar[str] = "link-xor"
    tab: str = param("perceptron", choices=("perceptron", "compare", "seeds", "playground"))
    cmp: bool = param(False, help="the Playground's second setting is shown")
    disc: bool = param(False, help="the Playground draws its output as two classes")
    show_test: bool = param(True, help="the Playground draws the test points")


@dataclass(frozen=True)
class ActivationsLink(Config):
    """The Activation Explorer's page params: the open tab; d_show, the depth tab's histogram (a label)."""

    kind: ClassVar[str] = "link-activations"
    tab: str = param("shapes", choices=("shapes", "softmax", "learn", "depth"))
    d_show: str = param("", help="the function whose pre-activations the depth tab shows (its label)")


@dataclass(frozen=True)
class ArchitecturesLink(Config):
    """Network Shapes' page params: the open tab; u_show, the width taken apart."""

    kind: ClassVar[str] = "link-architectures"
    tab: str = param("shapes", choices=("shapes", "approx"))
    u_show: int = param(8, lo=1, hi=256, help="the width taken apart")


@dataclass(frozen=True)
class BackpropLink(Config):
    """Backprop's page params: w, the weight whose chain of derivatives is shown; the open tab."""

    kind: ClassVar[str] = "link-backprop"
    w: str = param("W1[2,1]", choices=BACKPROP_WEIGHTS)
    tab: str = param("step", choices=("step", "scratch"), help="step: the XOR walk-through; scratch: NumPy digits")


@dataclass(frozen=True)
class DigitsLink(Config):
    """The Digit Recognizer's page params: the open tab, the MNIST folder (a laptop only), the epochs of ④."""

    kind: ClassVar[str] = "link-digits"
    tab: str = param("train", choices=("train", "evaluate", "read", "compare"))
    mnist_dir: str = param("", local_only=True,
                           help="a folder on this machine with MNIST's four files; ignored on a hosted server")
    cmp_epochs: int = param(DIGIT_CMP_EPOCHS, lo=1, hi=100_000, cap="epochs")


@dataclass(frozen=True)
class ConvolutionsLink(Config):
    """Images and Convolutions' page param: the open tab."""

    kind: ClassVar[str] = "link-convolutions"
    tab: str = param("compare", choices=("compare", "move", "inside"))


@dataclass(frozen=True)
class HyperparametersLink(Config):
    """Hyperparameter Effects' page param: sweep, the open tab."""

    kind: ClassVar[str] = "link-hyperparameters"
    sweep: str = param("lr", choices=("lr", "batch", "capacity", "activation", "dropout"))


@dataclass(frozen=True)
class OptimizersLink(Config):
    """Optimizers' page param: step, the step the paths are drawn up to."""

    kind: ClassVar[str] = "link-optimizers"
    step: int = param(2000, lo=0, hi=2000, help="the step the paths are drawn up to (past the last: the whole paths)")


@dataclass(frozen=True)
class WhenToUseLink(Config):
    """When to Use's page param: the open tab."""

    kind: ClassVar[str] = "link-when-to-use"
    tab: str = param("duel", choices=("duel", "scaling", "noise", "curve"))


@dataclass(frozen=True)
class TunerLink(Config):
    """The Tuner's page param: study, the study shown (a name in this storage)."""

    kind: ClassVar[str] = "link-tuner"
    study: str = param("", help="a study's name")


# url path -> its page params (a page without any has none here)
PAGE_PARAMS: dict[str, type[Config]] = {
    "xor": XorLink, "activations": ActivationsLink, "architectures": ArchitecturesLink, "backprop": BackpropLink,
    "digits": DigitsLink, "convolutions": ConvolutionsLink, "hyperparameters": HyperparametersLink,
    "optimizers": OptimizersLink, "when-to-use": WhenToUseLink, "tuner": TunerLink}


@dataclass(frozen=True)
class Step:
    """One stop on the beginner's path: a page (and a tab of it) and what it shows, in a few words."""

    page: str
    tab: str | None
    title: str
    what: str

    @property
    def id(self) -> str:
        return self.page if self.tab is None else f"{self.page}.{self.tab}"

    def query(self) -> dict[str, str] | None:
        """The query params that open the page on this step's tab."""
        return {TAB_PARAM.get(self.page, "tab"): self.tab} if self.tab else None


# The tutorial's order: perceptron and XOR, activations, a network from scratch (NumPy) and in PyTorch,
# backprop, network shapes, digits, dropout and early stopping, hyperparameter effects, when to use
# neural networks, the tuner. Steps whose page is not in this app are skipped.
PATH: tuple[Step, ...] = (
    Step("xor", "perceptron", "XOR Lab ① Perceptron", "one neuron learns AND but can never learn XOR"),
    Step("activations", "shapes", "Activation Explorer ① Shapes and slopes",
         "the common activation functions and their slopes"),
    Step("activations", "softmax", "Activation Explorer ② Softmax", "scores turned into probabilities"),
    Step("activations", "learn", "Activation Explorer ③ Effect on learning",
         "the same network trained with each activation"),
    Step("activations", "depth", "Activation Explorer ④ Depth", "deep networks: vanishing gradients, dead ReLUs"),
    Step("xor", "compare", "XOR Lab ② NumPy vs PyTorch",
         "a network written from scratch in NumPy, and the same one in PyTorch"),
    Step("xor", "seeds", "XOR Lab ③ 100 seeds", "is solving XOR luck? 100 starts at once"),
    Step("xor", "playground", "XOR Lab ④ Playground", "build your own network on 2-D data"),
    Step("backprop", None, "Backprop Step by Step", "the chain rule, one weight at a time, checked by autograd"),
    Step("architectures", "shapes", "Network Shapes ① Four shapes", "shallow, deep, wide, deep and narrow"),
    Step("architectures", "approx", "Network Shapes ② Universal approximation",
         "one hidden layer fitting any curve"),
    Step("digits", "train", "Digit Recognizer ① Train", "an MLP learns handwritten digits"),
    Step("digits", "evaluate", "Digit Recognizer ② Evaluate", "which digits it confuses"),
    Step("digits", "read", "Digit Recognizer ③ Read my digits", "draw or upload a digit"),
    Step("digits", "compare", "Digit Recognizer ④ Compare", "dropout and early stopping against overfitting"),
    Step("convolutions", "compare", "Images and Convolutions ① MLP vs CNN",
         "a convolutional network against an MLP of the same size"),
    Step("convolutions", "move", "Images and Convolutions ② Shift and rotate",
         "move or turn the test digits: which network still reads them"),
    Step("convolutions", "inside", "Images and Convolutions ③ Inside the CNN",
         "filters, feature maps, which pixels mattered, what one unit sees"),
    Step("hyperparameters", "lr", "Hyperparameter Effects: learning rate", "too high diverges, too low crawls"),
    Step("hyperparameters", "batch", "Hyperparameter Effects: batch size", "noisy small batches, smooth large ones"),
    Step("hyperparameters", "capacity", "Hyperparameter Effects: layers and neurons",
         "more capacity fits more patterns, and can overfit"),
    Step("hyperparameters", "activation", "Hyperparameter Effects: activation", "one network, each activation"),
    Step("hyperparameters", "dropout", "Hyperparameter Effects: dropout", "more dropout, more regularisation"),
    Step("optimizers", None, "Optimizers", "SGD, momentum and Adam side by side down a narrow valley"),
    Step("when-to-use", "duel", "When to Use Neural Networks ① Head to head",
         "a network against tree ensembles on small tables"),
    Step("when-to-use", "scaling", "When to Use Neural Networks ② Scaling",
         "raw against standardised features, model by model"),
    Step("when-to-use", "noise", "When to Use Neural Networks ③ Useless features and rotation",
         "what noise columns and a rotated table do to each model"),
    Step("when-to-use", "curve", "When to Use Neural Networks ④ Data hunger",
         "how each model's score grows with the rows it sees"),
    Step("tuner", None, "Hyperparameter Tuner", "an Optuna search, watched live"),
    Step("recap", None, "Recap", "the four takeaways, each with the chart and the live number that show it"),
)


def exists(page: str) -> bool:
    """Whether the page's script is in this app."""
    return page in PAGES and (ROOT / PAGES[page]).exists()


def path() -> list[Step]:
    """The beginner's path: the steps whose page is in this app, in order."""
    return [s for s in PATH if exists(s.page)]


PAGE_TITLES = {"xor": "XOR Lab", "activations": "Activation Explorer", "backprop": "Backprop Step by Step",
               "architectures": "Network Shapes", "digits": "Digit Recognizer",
               "convolutions": "Images and Convolutions",
               "hyperparameters": "Hyperparameter Effects", "optimizers": "Optimizers",
               "when-to-use": "When to Use Neural Networks",
               "tuner": "Hyperparameter Tuner", "recap": "Recap"}


@dataclass(frozen=True)
class Stop:
    """Consecutive steps on one page: Home lists the path as these (nine stops instead of two dozen tabs)."""

    steps: tuple[Step, ...]

    @property
    def first(self) -> Step:
        return self.steps[0]

    @property
    def label(self) -> str:
        """'XOR Lab ① Perceptron' for one step, 'Activation Explorer: 4 tabs' for several."""
        if len(self.steps) == 1:
            return self.first.title
        first = " more" if any(s.page == self.first.page for s in path()[:path().index(self.first)]) else ""
        return f"{PAGE_TITLES[self.first.page]}: {len(self.steps)}{first} tabs"

    @property
    def what(self) -> str:
        """What the stop shows, one clause per step."""
        text = "; ".join(s.what for s in self.steps)
        return text[0].upper() + text[1:] + "."


def stops() -> list[Stop]:
    """The path grouped into runs of consecutive steps on the same page, in order."""
    out: list[list[Step]] = []
    for s in path():
        if out and out[-1][0].page == s.page:
            out[-1].append(s)
        else:
            out.append([s])
    return [Stop(tuple(g)) for g in out]


def next_step(step_id: str) -> Step | None:
    """The step after ``step_id`` ('xor.perceptron', 'backprop') on the path; None after the last."""
    ids = [s.id for s in PATH]
    if step_id not in ids:
        raise KeyError(f"{step_id!r} is not a step of the path")
    later = [s for s in PATH[ids.index(step_id) + 1:] if exists(s.page)]
    return later[0] if later else None


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


def _open_tab(key: str, label: str) -> None:
    st.session_state[key] = label


def step_link(step: Step, label: str, here: str | None = None, tabs: dict[str, str] | None = None,
              container=None, help: str | None = None) -> None:
    """A link to ``step``: on the page ``here`` (whose tab names and labels are ``tabs``), a button that
    opens that tab; elsewhere a page link that opens the page on it. ``help``: its tooltip."""
    target = container if container is not None else st
    if step.page == here and step.tab and tabs and step.tab in tabs:
        target.button(label, icon=":material/arrow_forward:", type="tertiary", key=f"next-{step.id}",
                      on_click=_open_tab, args=(TAB_KEYS[here], tabs[step.tab]), help=help)
    elif exists(step.page):
        try:
            target.page_link(PAGES[step.page], label=label, icon=":material/arrow_forward:", help=help,
                             query_params=step.query())
        except Exception:  # not registered with st.navigation (a page run on its own)
            target.markdown(f"{label}: `{url(step.page, step.query())}`")


def try_next(step_id: str, here: str | None = None, tabs: dict[str, str] | None = None) -> Step | None:
    """The one 'Try next' line at the end of a tab or page: a link to the next step on the path (Home
    after the last). ``here``/``tabs``: the current page and its tabs, so a step on the same page opens
    its tab. Returns the step linked to (None for Home)."""
    step = next_step(step_id)
    if step is None:
        page_link("home", "Back to the start: Home and the whole path", icon=":material/home:")
        return None
    # what the step shows goes in the tooltip: a longer label wrapped (a button) or was cut (a link) at 1024 px
    step_link(step, f"Try next: **{step.title}**", here, tabs, help=step.what[0].upper() + step.what[1:] + ".")
    return step


# the Hyperparameter Effects sweep that shows what each tuned setting does (the Tuner's range hints link here)
SWEEP_OF = {"lr": "lr", "layers": "capacity", "width": "capacity", "batch_size": "batch", "activation": "activation",
            "dropout": "dropout"}


def sweep_link(setting: str) -> str:
    """Markdown: a link to the sweep of one tuned setting on the Hyperparameter Effects page ('' if none)."""
    sweep = SWEEP_OF.get(setting)
    if sweep is None or not exists("hyperparameters"):
        return ""
    return f"[see what it does]({url('hyperparameters', {'sweep': sweep})})"
