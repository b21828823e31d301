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
