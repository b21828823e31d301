"""What a page does with a link's config before training (data, split, models), for tests/test_links_pairwise.py:
one setup function per kind of config, and the configs a page derives from a link's."""

from __future__ import annotations

from core import architectures, explorer, hyperparameters, tuning, when_to_use, xor
from core.config import Config
from core.digits import DigitsConfig
from core.xor.playground import PlaygroundConfig
from tests.conftest import MNIST_SAMPLE


# ---- the job's setup: what a page does with a config before training (data, split, models) --------
def _trainer(cfgs, data) -> None:
    """The stack's checks (one shape, a loss the task allows) for every link; the Trainer itself (weights,
    optimizer, evaluator) where it is small, so 2,000+ links stay within seconds."""
    from core.engine import Trainer
    from core.engine.config import check_stack, loss_kind

    check_stack(cfgs)
    for c in cfgs:
        loss_kind(c, data.task)
    widths = [data.X_train.shape[1], *cfgs[0].hidden, 1]
    if len(cfgs) * sum(a * b for a, b in zip(widths, widths[1:])) <= 20_000:
        Trainer(cfgs, data)


def _setup_playground(cfg: PlaygroundConfig) -> None:
    from core.xor import playground as pg

    if cfg.dataset == "csv":
        return  # its points come from an upload (tested with the upload)
    pts = pg.make_points(cfg)
    pg.new_trainer(cfg, pts)


def _setup_digits(cfg: DigitsConfig) -> None:
    from core.digits import jobs

    small = cfg.replace(augment_copies=0)  # the augmenter is work, not setup
    folder = MNIST_SAMPLE if cfg.dataset == "mnist" and MNIST_SAMPLE.is_dir() else None
    if cfg.dataset == "mnist" and folder is None:
        return
    data = jobs.load_data(small, folder)
    _trainer([jobs.net_config(cfg)], data)  # model=cnn: the CNN the engine builds, not the MLP's fields


def _setup_conv(cfg) -> None:
    from core.convolutions import jobs as conv

    data = conv.data(cfg)
    for model in cfg.models():  # the MLP and the CNN train one after the other, each its own stack
        _trainer([model], data)


def _setup_sweep(cfg) -> None:
    for derived in derived_configs(cfg):
        _check_price(derived)
    for stack in cfg.stacks():
        _trainer([c for _, c in stack], hyperparameters.jobs.digits_data())


def _setup_compare(cfg) -> None:
    _trainer(cfg.train_configs(), explorer.jobs.compare_data(cfg.dataset, cfg.noise))


def _setup_depth(cfg) -> None:
    _trainer(cfg.train_configs(), hyperparameters.jobs.digits_data())


def _setup_seeds(cfg) -> None:
    from core import datasets

    X, y = datasets.gate("XOR")
    _trainer(cfg.train_configs(), datasets.make_dataset(X, y, task="binary"))


def _setup_shapes(cfg) -> None:
    data = architectures.jobs.shapes_data(cfg.dataset)
    for s in architectures.jobs.SHAPES:
        _trainer(cfg.shape_configs(s), data)


def _setup_approx(cfg) -> None:
    aj = architectures.jobs
    data = aj.approx_data(aj.target(cfg))
    for h in [(w,) for w in cfg.widths] + [h for _, h in cfg.deep_shapes()]:
        _trainer(cfg.net_configs(h), data)


def _setup_curves(cfg) -> None:
    explorer.jobs.curves(cfg, n=21)


def _setup_backprop(cfg) -> None:
    from core.backprop import jobs as bj

    bj.initial_params(cfg.seed)


def _setup_scratch(cfg) -> None:
    from core import datasets
    from core.scratch import jobs as sj
    from core.scratch import net

    net.init(cfg.sizes, cfg.seed)
    Xtr, ytr, Xte, yte = datasets.digits_arrays()
    _trainer([sj.engine_config(cfg)], datasets.make_dataset(Xtr, ytr, Xte, yte, task="multiclass",
                                                             n_classes=sj.CLASSES))


def _setup_neuron(cfg) -> None:
    from core.neuron import jobs as nj

    nj.formula(nj.evaluate(cfg))
    nj.truth_table(cfg)


def _setup_table(cfg) -> None:
    from core.when_to_use import data as wd
    from core.when_to_use import models as wj

    cfg.fits(cfg.table_shape())
    if cfg.dataset == "csv":
        return  # its table comes from an upload
    table = wd.load_table(cfg.dataset)
    for derived in derived_configs(cfg):
        derived.fits(derived.table_shape())
    if isinstance(cfg, when_to_use.CurveConfig):
        for f in cfg.fractions:
            wj.curve_split(table, f, cfg.seed)
    else:
        wj.folds_of(table, cfg.folds, cfg.seed)


def _setup_space(cfg) -> None:
    from core.serve import price

    cfg.distributions()
    price.check_study(cfg, tuning.StudySettings())


def _setup_study(cfg) -> None:
    from core.serve import price

    price.check_study(tuning.SearchSpace(), cfg)


def _setup_xor_compare(cfg) -> None:
    xor.jobs.xor_torch_config(cfg)


def _none(cfg) -> None:
    return None


def _check_price(cfg: Config) -> None:
    from core.serve import price

    msg = price.check(cfg)
    assert msg is None or (isinstance(msg, str) and msg)


# Configs a page builds from a link's config rather than reading them from the URL themselves (the rule of
# thumb takes the duel's data, folds and seed; the tutorial's dropout network is fixed and runs in the
# Dropout tab): each link's setup checks them too.
def derived_configs(cfg: Config) -> list[Config]:
    """The other configs a page runs beside ``cfg``, built as the page builds them."""
    if isinstance(cfg, when_to_use.DuelConfig):
        return [when_to_use.RuleConfig(dataset=cfg.dataset, folds=cfg.folds, seed=cfg.seed)]
    if isinstance(cfg, hyperparameters.DropoutSweep):
        return [hyperparameters.TUTORIAL_NET]
    return []


# (config class, URL prefix, setup) per page
