"""Every hidden activation and the binary output stack exactly: a model's numbers are its own at any place of
any stack, as alone (what a merged run of several visitors' models needs, core.serve.merge)."""

import numpy as np
import pytest
import torch

from core.datasets import gate, make_dataset
from core.engine import TrainConfig, activations, fit
from core.engine.conv import CnnConfig
from core.engine.stack import GRAIN, ROOM, STEP, TAIL_EXACT, elementwise, padded_buffer, stacks_exactly, vector_pieces
from core.serve import merge
from core.xor.jobs import SeedStudyConfig
from tests.test_merge import digest  # one definition of 'every number a visitor gets'


def merged_with(mine: list[TrainConfig], others: list[TrainConfig], at: int, data) -> str:
    """The digest of request ``mine`` trained in one merged run with one-model requests ``others``, placed
    before the others' model ``at``."""
    reqs = [[c] for c in others[:at]] + [mine] + [[c] for c in others[at:]]
    owners, lo = [], 0
    for r in reqs:
        owners.append((lo, lo + len(r)))
        lo += len(r)
    res = fit([c for r in reqs for c in r], data, owners=owners)
    return digest(res[at:at + len(mine)])


def xor_data(task: str = "binary"):
    X, y = gate("XOR")
    return make_dataset(X, y.astype("float32"), task=task)


# ---- the kernels: calls of whole steps give an element the same bits anywhere -------------------------------

KERNEL_CASES = [(n, at) for n in (1, 2, 7, 8, 31, 33, 63, 100, 257, 1000) for at in (0, 1, 5, 17, 40)]


@pytest.mark.parametrize("threads", [1, 2])
@pytest.mark.parametrize("name", activations.HIDDEN)
def test_every_hidden_kernel_gives_an_element_its_bits_at_any_place_of_any_tensor(name, threads):
    """Forward and backward kernels on vector_pieces of padded buffers, as the trainer calls them: a block of n
    elements at place ``at`` of a longer tensor gets the bits it gets alone (torch's own sigmoid, silu, softplus,
    elu, selu and mish do not: their last elements take a scalar path)."""
    k = activations.REGISTRY[name].kernels
    gen = torch.Generator().manual_seed(1)
    total = 3000
    z_all = torch.randn(total, generator=gen) * 4
    g_all = torch.randn(total, generator=gen)
    prev = torch.get_num_threads()
    torch.set_num_threads(threads)
    try:
        def run(z, g):
            """(f(z), g * f'(z)) of a block: padded buffers and calls of whole steps, as the trainer makes them."""
            n = len(z)
            zb, _ = padded_buffer((n,))
            ab, _ = padded_buffer((n,))
            gb, _ = padded_buffer((n,))
            ob, _ = padded_buffer((n,))
            zb[:n], gb[:n] = z, g
            for b, e in vector_pieces(0, n):
                k.forward(zb[b:e], ab[b:e])
                k.backward(gb[b:e], zb[b:e], ab[b:e], ob[b:e])
            return ab[:n].clone(), ob[:n].clone()

        for n, at in KERNEL_CASES:
            a_alone, d_alone = run(z_all[at:at + n], g_all[at:at + n])
            a_in, d_in = run(z_all[:at + n + 50], g_all[:at + n + 50])
            assert torch.equal(a_alone, a_in[at:at + n]), (name, n, at)
            assert torch.equal(d_alone, d_in[at:at + n]), (name, n, at)
    finally:
        torch.set_num_threads(prev)


@pytest.mark.parametrize("name", sorted(TAIL_EXACT))
def test_tail_exact_kernels_give_an_element_its_bits_at_any_place_in_one_plain_call(name):
    """What lets the trainer call these on a group's part as it is: no scalar tail of their own."""
    k = activations.REGISTRY[name].kernels
    gen = torch.Generator().manual_seed(3)
    z_all, g_all = torch.randn(3000, generator=gen) * 4, torch.randn(3000, generator=gen)

    def run(z, g):
        a, d = torch.empty_like(z), torch.empty_like(z)
        k.forward(z, a)
        k.backward(g, z, a, d)
        return a, d

    for n, at in KERNEL_CASES:
        a_alone, d_alone = run(z_all[at:at + n].clone(), g_all[at:at + n].clone())
        a_in, d_in = run(z_all[:at + n + 50].clone(), g_all[:at + n + 50].clone())
        assert torch.equal(a_alone, a_in[at:at + n]) and torch.equal(d_alone, d_in[at:at + n]), (name, n, at)


@pytest.mark.parametrize("threads", [1, 2])
def test_elementwise_gives_each_element_its_bits_on_long_tensors_and_through_autograd(threads):
    """Longer than torch's grain (where it would split a call over threads at places of its own) and with
    gradients: each block's sigmoid and its gradient are the same bits alone and inside the long tensor."""
    prev = torch.get_num_threads()
    torch.set_num_threads(threads)
    try:
        z = torch.randn(2 * GRAIN + 999, generator=torch.Generator().manual_seed(2)) * 5
        whole = elementwise(torch.sigmoid, z)
        zg = z.clone().requires_grad_(True)
        (grad_whole,) = torch.autograd.grad(elementwise(torch.sigmoid, zg).pow(2).sum(), zg)
        for at, n in ((0, 5), (GRAIN - 3, 40), (GRAIN + 17, GRAIN + 100), (len(z) - 33, 33)):
            assert torch.equal(elementwise(torch.sigmoid, z[at:at + n]), whole[at:at + n])
            part = z[at:at + n].clone().requires_grad_(True)
            (g,) = torch.autograd.grad(elementwise(torch.sigmoid, part).pow(2).sum(), part)
            assert torch.equal(g, grad_whole[at:at + n])
    finally:
        torch.set_num_threads(prev)
    n = 3 * GRAIN + 5
    for threads in (1, 2, 3, 64):  # one call whose every thread's share is whole steps, or calls of one thread each
        calls = vector_pieces(13, n, threads)
        assert calls[0][0] == 13 and 0 <= calls[-1][1] - (13 + n) < ROOM
        assert all(e == b2 for (_, e), (b2, _) in zip(calls, calls[1:]))
        if len(calls) == 1:
            used = min(threads, -(-(calls[0][1] - 13) // GRAIN))
            assert (calls[0][1] - 13) % (STEP * used) == 0
        else:
            assert all((e - b) % STEP == 0 and e - b <= GRAIN for b, e in calls)
    assert len(vector_pieces(13, n, 64)) == 4


# ---- whole runs: merged vs alone, bit for bit ------------------------------------------------------------------

@pytest.mark.parametrize("K", [1, 3, 37, 100])
def test_xor_sigmoid_nets_with_their_own_lr_epochs_and_seeds_merge_bit_for_bit_at_any_place(K):
    """The XOR Lab's seeds class: 2-2-1 sigmoid nets, binary task (BCE on the output's sigmoid), each
    visitor's own lr, epochs and seed, at the first, a middle and the last place of stacks of K models."""
    data = xor_data()
    mine = [TrainConfig(hidden=(2,), activation="sigmoid", lr=0.3, epochs=240, seed=7),
            TrainConfig(hidden=(2,), activation="sigmoid", lr=0.05, epochs=180, seed=8)]
    alone = digest(fit(mine, data))
    others = [TrainConfig(hidden=(2,), activation="sigmoid", lr=0.01 + 0.004 * k, epochs=150 + 3 * k, seed=100 + k)
              for k in range(K - 1)]
    for at in sorted({0, (K - 1) // 2, K - 1}):
        assert merged_with(mine, others, at, data) == alone, (K, at)


def test_sigmoid_seed_studies_of_a_whole_class_each_get_their_own_result():
    """Ten visitors of the XOR Lab's seed study (100 seeds each, their own lr or epochs) as one stack of 1,000."""
    data = xor_data()
    reqs = [SeedStudyConfig(hidden=(2,), lr=0.05 + 0.01 * v, epochs=100 + 20 * v, first_seed=v).train_configs()
            for v in range(10)]
    assert merge.mergeable(reqs[0], data)
    owners = [(100 * v, 100 * v + 100) for v in range(10)]
    merged = fit([c for r in reqs for c in r], data, owners=owners)
    for v in (0, 4, 9):
        assert digest(merged[100 * v:100 * v + 100]) == digest(fit(reqs[v], data)), v


@pytest.mark.parametrize("loss", ["ce", "mse"])
def test_the_binary_output_merges_bit_for_bit_under_either_loss_with_tanh_and_relu_hidden(loss):
    data = xor_data()
    mine = [TrainConfig(hidden=(3,), activation="tanh", lr=0.1, epochs=120, seed=3, loss=loss)]
    others = [TrainConfig(hidden=(3,), activation=a, lr=0.02 * (k + 1), epochs=100 + k, seed=k, loss=loss)
              for k, a in enumerate(["relu", "sigmoid", "tanh", "relu"] * 5)]
    alone = digest(fit(mine, data))
    for at in (0, 9, 20):
        assert merged_with(mine, others, at, data) == alone


@pytest.mark.parametrize("act", ["sigmoid", "silu", "softplus", "elu", "selu", "mish", "gelu"])
def test_every_hidden_activation_merges_with_other_activations_in_minibatches_with_dropout(act):
    """Minibatches (each model its own rows), dropout, two hidden layers, a stack of several activations (the
    kernels' calls of one group reach into the next's part) and multiclass or regression outputs."""
    rng = np.random.default_rng(0)
    X = rng.normal(size=(120, 5)).astype("float32")
    for task, y in (("multiclass", rng.integers(0, 3, 120)), ("regression", X[:, 0] * X[:, 1])):
        data = make_dataset(X, y, task=task, n_classes=3)
        base = TrainConfig(hidden=(9, 5), activation=act, batch_size=16, epochs=4, dropout=0.2)
        mine = [base.replace(lr=0.01, seed=5), base.replace(lr=0.003, seed=6, dropout=0.0)]
        others = [base.replace(activation=a, lr=0.001 * (k + 1), seed=k) for k, a in
                  enumerate(["relu", act, "tanh", "sigmoid", act, "gelu", "silu"])]
        alone = digest(fit(mine, data))
        for at in (0, 3, 7):
            assert merged_with(mine, others, at, data) == alone, (task, at)


def test_every_mlp_request_is_mergeable_now_and_cnns_are_not():
    data = xor_data()
    assert merge.mergeable(SeedStudyConfig().train_configs(), data)
    assert all(stacks_exactly([TrainConfig(activation=a)], t) for a in activations.HIDDEN
               for t in ("binary", "multiclass", "regression"))
    assert not merge.mergeable([CnnConfig()], data) and not merge.mergeable([], data)


# ---- matrix products: a model's columns and batches get the same bits in any stack -------------------------------

def test_mkl_runs_in_its_reproducible_mode():
    """core sets MKL_CBWR before MKL's first call (a product in a batch of several got other bits than alone)."""
    import os

    import core  # noqa: F401

    assert os.environ.get("MKL_CBWR")


@pytest.mark.parametrize("B,F,H", [(4, 2, 4), (120, 5, 9), (1000, 2, 4), (256, 64, 10), (16, 5, 3)])
def test_a_models_first_layer_columns_are_its_own_in_any_stack(B, F, H):
    """shared_gemm: model k's H columns of K models' first layers (K x H columns, as few as 3) are the bits of
    that model alone, at any place (torch's GEMM rounds otherwise below 12 columns)."""
    from core.engine.stack import shared_gemm

    gen = torch.Generator().manual_seed(B * F + H)
    X = torch.randn(B, F, generator=gen)
    W = torch.randn(1000 * H, F, generator=gen)
    for K in (1, 2, 3, 17, 1000):
        full = shared_gemm(X, W[:K * H].t())
        for k in sorted({0, K // 2, K - 1}):
            assert torch.equal(full[:, k * H:(k + 1) * H], shared_gemm(X, W[k * H:(k + 1) * H].t())), (K, k)


@pytest.mark.parametrize("B,H,n_out", [(1293, 100, 10), (256, 50, 10), (64, 64, 10), (4, 4, 1)])
def test_a_batched_product_is_the_product_alone(B, H, n_out):
    """The last layer's gradient (bmm of [n_out, B] x [B, H]) of model 1 of three is its product alone."""
    gen = torch.Generator().manual_seed(B + H + n_out)
    dz, h = torch.randn(3, B, n_out, generator=gen), torch.randn(3, B, H, generator=gen)
    assert torch.equal(torch.bmm(dz.transpose(1, 2), h)[1], torch.bmm(dz[1:2].transpose(1, 2), h[1:2])[0])


@pytest.mark.parametrize("batch", [0, 16])
def test_one_narrow_model_alone_merges_exactly(batch):
    """A request of one model whose first layer is narrow (9 units: 9 columns alone, 27 in a stack of three)."""
    rng = np.random.default_rng(0)
    X = rng.normal(size=(120, 5)).astype("float32")
    data = make_dataset(X, rng.integers(0, 3, 120), task="multiclass", n_classes=3)
    base = TrainConfig(hidden=(9,), batch_size=batch, epochs=4)
    mine = [base.replace(lr=0.01, seed=5)]
    others = [base.replace(lr=0.002, seed=1), base.replace(lr=0.003, seed=2)]
    alone = digest(fit(mine, data))
    for at in (0, 1, 2):
        assert merged_with(mine, others, at, data) == alone, at
