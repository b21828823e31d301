"""Hostile model files: every one is refused with ModelFileError (one line) and nothing else escapes."""

from __future__ import annotations

import contextlib
import json
import random

import pytest
import torch
from safetensors.torch import save

from core import digits
from core.digits import DigitsConfig, ModelFileError


@pytest.fixture(scope="module")
def blob() -> bytes:
    cfg = DigitsConfig(hidden=(16,), epochs=2, patience=0, augment_copies=0, dropout=0.2)
    return digits.export_model(digits.compute([cfg])[0])


def parts(data: bytes) -> tuple[dict, dict, dict]:
    from safetensors.torch import load

    n = int.from_bytes(data[:8], "little")
    header = json.loads(data[8:8 + n])
    return load(data), header, json.loads(header["__metadata__"]["nnlab"])


def rebuild(tensors: dict, meta: dict | str) -> bytes:
    return save(tensors, metadata={"nnlab": meta if isinstance(meta, str) else json.dumps(meta)})


def with_item(data: bytes, **changes) -> bytes:
    tensors, _, meta = parts(data)
    meta["results"][0].update(changes)
    return rebuild(tensors, meta)


def refused(data: bytes) -> str:
    with pytest.raises(ModelFileError) as e:
        digits.import_model(data)
    msg = str(e.value)
    assert "\n" not in msg and len(msg) < 300
    return msg


def test_the_round_trip_still_works(blob):
    assert digits.import_model(blob).config.hidden == (16,)


def test_deeply_nested_metadata_is_refused_before_parsing(blob):
    tensors, _, meta = parts(blob)
    deep = "[" * 100_000 + "]" * 100_000  # json.loads would hit RecursionError
    text = json.dumps(meta)[:-1] + ', "x": ' + deep + "}"
    assert "nested" in refused(rebuild(tensors, text))


def test_deeply_nested_header_is_refused(blob):
    body = b'{"__metadata__": {"a": "b"}, "x": ' + b"[" * 50_000 + b"]" * 50_000 + b"}"
    data = len(body).to_bytes(8, "little") + body
    assert "nested" in refused(data)


def test_a_huge_header_length_is_refused(blob):
    assert "header" in refused((2 ** 60).to_bytes(8, "little") + blob[8:])
    big = b'{"__metadata__": {"pad": "' + b"x" * 2_000_000 + b'"}}'
    assert "header" in refused(len(big).to_bytes(8, "little") + big)


@pytest.mark.parametrize("config", [[1, 2, 3], "digits", 7, None])
def test_config_that_is_not_a_mapping(blob, config):
    assert "settings" in refused(with_item(blob, config=config))


@pytest.mark.parametrize("field, value", [("epochs", "abc"), ("epochs", 3.5), ("hidden", "16"), ("hidden", [16.5]),
                                          ("dropout", True), ("activation", ["relu"]), ("lr", -1)])
def test_config_fields_of_the_wrong_type_or_range(blob, field, value):
    _, _, meta = parts(blob)
    cfg = {**meta["results"][0]["config"], field: value}
    assert "settings are invalid" in refused(with_item(blob, config=cfg))


@pytest.mark.parametrize("metrics", [{"final_test_acc": "0.99"}, {"a": [1]}, {"a": {"b": 1}}, ["x"], "x", {"a": True}])
def test_metrics_must_be_numbers(blob, metrics):
    assert "metrics" in refused(with_item(blob, metrics=metrics))


@pytest.mark.parametrize("field, value", [("n_in", "64"), ("stopped_epoch", -1), ("best_epoch", 1e9),
                                          ("diverged", "no"), ("seconds", "fast"), ("columns", ["epoch", 3]),
                                          ("columns", "epoch"), ("extra", {"a": {"b": [1]}}), ("extra", [1])])
def test_every_other_field_is_typed(blob, field, value):
    refused(with_item(blob, **{field: value}))


def test_wrong_shapes_and_dtypes(blob):
    tensors, _, meta = parts(blob)
    for name, t in [("0/state/0.weight", torch.zeros(16, 65)), ("0/state/0.bias", torch.zeros(16, dtype=torch.float64)),
                    ("0/state/9.weight", torch.zeros(3, 3))]:
        assert "layer sizes" in refused(rebuild({**tensors, name: t}, meta))
    extra = {**tensors, "0/hist/loss_extra": torch.zeros(3)}
    assert "tensors" in refused(rebuild(extra, meta))


def test_random_mutations_only_ever_raise_model_file_error(blob):
    """A seeded fuzz of the JSON values and of the bytes: a result or ModelFileError, nothing else."""
    tensors, _, meta = parts(blob)
    rng = random.Random(0)
    weird = [None, True, -1, 1e308, "x" * 300, [], {}, [[[]]], {"a": {"b": {}}}, float("nan"), 2 ** 70]

    def paths(o, pre=()):
        yield pre
        if isinstance(o, dict):
            for k, v in o.items():
                yield from paths(v, (*pre, k))
        elif isinstance(o, list):
            for i, v in enumerate(o):
                yield from paths(v, (*pre, i))

    spots = [p for p in paths(meta) if p]
    for _ in range(150):
        m = json.loads(json.dumps(meta))
        *head, last = rng.choice(spots)
        node = m
        for k in head:
            node = node[k]
        node[last] = rng.choice(weird)
        with contextlib.suppress(ModelFileError):
            digits.import_model(rebuild(tensors, m))
    for _ in range(150):
        data = bytearray(blob)
        for _ in range(rng.randint(1, 4)):
            data[rng.randrange(len(data))] = rng.randrange(256)
        with contextlib.suppress(ModelFileError):
            digits.import_model(bytes(data))


def test_a_header_of_128_bytes_mod_256_is_not_taken_for_a_pickle(blob):
    """A real model file whose header length's low byte is 0x80 (like a pickle's first byte) still loads."""
    tensors, _, meta = parts(blob)
    for pad in range(256):  # find extra metadata that makes the header 128 (mod 256) bytes long
        meta2 = {**meta, "note": "x" * pad}
        data = rebuild(tensors, meta2)
        if data[0] == 0x80:
            break
    assert data[0] == 0x80
    assert digits.import_model(data).config.hidden == (16,)


# ---- CNN files: the config plus its state, held to the same caps ------------------------------------

@pytest.fixture(scope="module")
def cnn_blob() -> bytes:
    from core.digits.jobs import DigitsCnn

    cfg = DigitsCnn(channels=(4, 8), kernel=3, hidden=(16,), epochs=2, patience=0, augment_copies=0, dropout=0.2)
    return digits.export_model(digits.compute([cfg])[0])


def test_a_cnn_round_trips_and_reads_the_same(cnn_blob):
    import numpy as np

    from core import settings
    from core.digits.jobs import DigitsCnn

    r = digits.import_model(cnn_blob, settings.HOSTED)
    assert isinstance(r.config, DigitsCnn) and r.config.channels == (4, 8) and r.config.kernel == 3
    assert r.state["1.weight"].shape == (4, 1, 3, 3)
    X = np.random.default_rng(0).random((5, 64), dtype=np.float32)
    again = digits.import_model(digits.export_model(r))
    assert np.allclose(digits.predict(r, X), digits.predict(again, X))


@pytest.mark.parametrize("change, words", [
    ({"channels": [4, 8, 16, 32]}, "invalid"),  # 8x8 pools to nothing after three layers
    ({"channels": [4, 2000]}, "invalid"), ({"hidden": [5000]}, "invalid"), ({"hidden": [0]}, "invalid"),
    ({"hidden": [16] * 9}, "caps"), ({"kernel": 4}, "invalid"), ({"kernel": "3"}, "wrong type"),
    ({"channels": [4, 8], "kernel": 9, "hidden": [1024]}, "layer sizes"),  # valid, but not these tensors
])
def test_hostile_cnn_configs_are_refused_in_one_line(cnn_blob, change, words):
    tensors, _, meta = parts(cnn_blob)
    meta["results"][0]["config"].update(change)
    assert words in refused(rebuild(tensors, meta))


def test_a_cnn_over_the_hosted_caps_is_refused_there_and_read_on_a_laptop():
    """Channels within the width cap can still make a CNN far costlier than any MLP the caps allow: its
    parameters and multiply-adds per image are capped too (the check is on the config, before any tensor)."""
    from core import settings
    from core.digits import model_file as mf
    from core.digits.jobs import DigitsCnn

    big = DigitsCnn(dataset="mnist", channels=(64, 128), kernel=5, hidden=(256,), epochs=1)
    with pytest.raises(ModelFileError, match="caps"):
        mf._within_caps(big, settings.HOSTED)
    mf._within_caps(big, settings.LAPTOP)
    with pytest.raises(ModelFileError, match="multiply-adds"):  # a billion per image: over even a laptop's
        mf._within_caps(big.replace(channels=(256, 256), kernel=9), settings.LAPTOP)
    mf._within_caps(DigitsCnn(dataset="mnist", channels=(6, 16), kernel=5, hidden=(256,)), settings.HOSTED)


def test_a_config_class_it_does_not_know_is_refused(cnn_blob):
    assert "another kind" in refused(with_item(cnn_blob, config_class="ConvConfig"))
    assert "another kind" in refused(with_item(cnn_blob, config_class=["DigitsCnn"]))


def test_random_mutations_of_a_cnn_file_only_ever_raise_model_file_error(cnn_blob):
    tensors, _, meta = parts(cnn_blob)
    rng = random.Random(1)
    fields = list(meta["results"][0]["config"])
    for _ in range(120):
        m = json.loads(json.dumps(meta))
        m["results"][0]["config"][rng.choice(fields)] = rng.choice(
            [None, -1, 0, 3, 2 ** 40, "x", [], [0], [3, 3, 3, 3, 3, 3], [4096], 1e9, True])
        with contextlib.suppress(ModelFileError):
            digits.import_model(rebuild(tensors, m))
