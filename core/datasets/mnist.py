"""MNIST: read the four official IDX files from a folder, or download them from public mirrors.

Downloads are verified against the official files' MD5 checksums (the values torchvision lists in
``torchvision.datasets.MNIST.resources``) and cached in ``settings.data_dir() / "mnist"``. A local
folder is accepted after its IDX headers, shapes and counts check out. Nothing here can hang: every
request has a timeout and the mirrors are tried in turn, each failure collected into one reason.
"""

from __future__ import annotations

import hashlib
import os
import struct
import tempfile
import urllib.error
import urllib.parse
import urllib.request
import zlib
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from core import settings

# name -> (official MD5 of the .gz, expected IDX magic, item shape)
FILES: dict[str, tuple[str, int, tuple[int, ...]]] = {
    "train-images-idx3-ubyte": ("f68b3c2dcbeaaa9fbdd348bbdeb94873", 2051, (28, 28)),
    "train-labels-idx1-ubyte": ("d53e105ee54ea40749a09fcbcd1e9432", 2049, ()),
    "t10k-images-idx3-ubyte": ("9fb629c4189551a2d022fa330f9573f3", 2051, (28, 28)),
    "t10k-labels-idx1-ubyte": ("ec29112dd5afa0611ce80d1b7f02629c", 2049, ()),
}
ORDER = ("train-images-idx3-ubyte", "train-labels-idx1-ubyte", "t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte")
MIRRORS: tuple[str, ...] = (
    "https://ossci-datasets.s3.amazonaws.com/mnist/",
    "https://storage.googleapis.com/cvdf-datasets/mnist/",
    "http://yann.lecun.com/exdb/mnist/",
)
TRAIN_ROWS, TEST_ROWS, FEATURES = 60_000, 10_000, 784  # the official files: training and t10k images, pixels
MAX_FILE_BYTES = 60_000_000  # the biggest official file is 47 MB uncompressed
# The MNIST sample this repository ships (the first 5,000 t10k digits; CC BY-SA 3.0, see its README.md):
# the official layout, 4,000 "train" and 1,000 "t10k" digits, checked against its own SHA256SUMS.
SAMPLE_DIR = Path(__file__).resolve().parent / "data" / "mnist-sample"
SAMPLE_ROWS = (4_000, 1_000)
LOCAL_HINT = ("use a local folder holding the four official idx files instead "
              "(--data-dir on the command line, the MNIST folder box on the page)")


class MnistUnavailable(Exception):
    """MNIST could not be loaded; the message is one line and names the local-folder option."""


class IdxError(ValueError):
    """An IDX file is malformed: wrong magic, wrong shape, truncated, or not gzip when it says so."""


def parse_idx(raw: bytes, expect_magic: int | None = None, item_shape: tuple[int, ...] | None = None,
              name: str = "file") -> np.ndarray:
    """One IDX file's bytes (gzip'd or not) -> uint8 array [N, *item_shape]; raises IdxError."""
    if raw[:2] == b"\x1f\x8b":
        try:
            raw = _gunzip(raw)
        except (OSError, EOFError, zlib.error) as e:
            raise IdxError(f"{name}: not a readable gzip file ({e})") from None
    if len(raw) < 8:
        raise IdxError(f"{name}: too short to be an IDX file ({len(raw)} bytes)")
    zero, dtype_code, ndim = raw[0] << 8 | raw[1], raw[2], raw[3]
    magic = struct.unpack(">I", raw[:4])[0]
    if zero != 0 or dtype_code != 0x08:
        raise IdxError(f"{name}: not an unsigned-byte IDX file (magic {magic:#010x})")
    if expect_magic is not None and magic != expect_magic:
        raise IdxError(f"{name}: magic number {magic} where {expect_magic} was expected")
    header = 4 + 4 * ndim
    if len(raw) < header:
        raise IdxError(f"{name}: header truncated")
    dims = struct.unpack(f">{ndim}I", raw[4:header])
    if item_shape is not None and tuple(dims[1:]) != tuple(item_shape):
        raise IdxError(f"{name}: items are {'x'.join(map(str, dims[1:])) or 'scalars'}, "
                       f"expected {'x'.join(map(str, item_shape)) or 'scalars'}")
    n = int(np.prod(dims)) if dims else 0
    body = len(raw) - header
    if body != n:
        what = "truncated" if body < n else "has trailing bytes"
        raise IdxError(f"{name}: {what}: header says {n} bytes of data, file holds {body}")
    return np.frombuffer(raw, dtype=np.uint8, offset=header).reshape(dims).copy()


def _gunzip(raw: bytes) -> bytes:
    # bounded decompression: a gzip bomb cannot blow past MAX_FILE_BYTES
    d = zlib.decompressobj(16 + zlib.MAX_WBITS)
    out = d.decompress(raw, MAX_FILE_BYTES + 1)
    if len(out) > MAX_FILE_BYTES:
        raise OSError("decompresses to more than the largest MNIST file")
    if not d.eof:
        raise EOFError("compressed data ends early")
    return out


def _find(folder: Path, stem: str) -> Path | None:
    for cand in (stem + ".gz", stem, stem.replace("-idx", ".idx") + ".gz", stem.replace("-idx", ".idx")):
        p = folder / cand
        if p.is_file():
            return p
    return None


def local_folder(folder: str | Path) -> Path:
    """A typed folder as a Path, ``~`` expanded; raises MnistUnavailable for text no folder can be
    ("~someone/x" for an unknown user, a NUL byte) instead of RuntimeError/ValueError."""
    try:
        p = Path(folder).expanduser()
        p.is_dir()  # a NUL byte raises here
    except (RuntimeError, ValueError, OSError) as e:
        raise MnistUnavailable(f"{str(folder)[:80]!r} is not a folder name this machine can read ({e})") from None
    return p


def read_folder(folder: str | Path) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """The four official files from a folder (``.gz`` or not) as raw uint8 arrays.

    Returns train images [N, 28, 28], train labels [N], test images [M, 28, 28], test labels [M];
    raises MnistUnavailable with the reason (missing file, bad header, counts that disagree, ...).
    """
    folder = local_folder(folder)
    if not folder.is_dir():
        raise MnistUnavailable(f"MNIST folder {folder} does not exist")
    arrays = []
    for stem in ORDER:
        p = _find(folder, stem)
        if p is None:
            raise MnistUnavailable(f"MNIST folder {folder} has no {stem}(.gz); it needs the four official idx files")
        if p.stat().st_size > MAX_FILE_BYTES:
            raise MnistUnavailable(f"{p.name} is larger than any MNIST file; not read")
        _, magic, shape = FILES[stem]
        try:
            arrays.append(parse_idx(p.read_bytes(), magic, shape, p.name))
        except IdxError as e:
            raise MnistUnavailable(f"MNIST folder {folder}: {e}") from None
    tri, trl, tei, tel = arrays
    for imgs, labels, which in ((tri, trl, "train"), (tei, tel, "t10k")):
        if len(imgs) != len(labels):
            raise MnistUnavailable(f"MNIST folder {folder}: {which} has {len(imgs)} images but {len(labels)} labels")
        if len(imgs) == 0:
            raise MnistUnavailable(f"MNIST folder {folder}: {which} holds no images")
        if labels.max() > 9:
            raise MnistUnavailable(f"MNIST folder {folder}: {which} labels go up to {labels.max()}, not 0-9")
    return tri, trl, tei, tel


def verify_sample(folder: str | Path = SAMPLE_DIR) -> None:
    """Check a shipped sample folder: every file SHA256SUMS lists has its checksum, the four IDX files are
    there with valid headers and the counts of :data:`SAMPLE_ROWS`; raises MnistUnavailable with why."""
    folder = Path(folder)
    sums = folder / "SHA256SUMS"
    if not sums.is_file():
        raise MnistUnavailable(f"the MNIST sample in {folder} has no SHA256SUMS")
    for line in sums.read_text().splitlines():
        if not line.strip():
            continue
        digest, name = line.split(maxsplit=1)
        p = folder / name.strip().lstrip("*")
        if not p.is_file() or hashlib.sha256(p.read_bytes()).hexdigest() != digest:
            raise MnistUnavailable(f"the MNIST sample's {p.name} is missing or does not match its SHA256SUMS")
    tri, _, tei, _ = read_folder(folder)
    if (len(tri), len(tei)) != SAMPLE_ROWS:
        raise MnistUnavailable(f"the MNIST sample holds {len(tri)} + {len(tei)} digits, not "
                               f"{SAMPLE_ROWS[0]} + {SAMPLE_ROWS[1]}")


def _get(url: str, timeout: float) -> bytes:
    req = urllib.request.Request(url, headers={"User-Agent": "nnlab/1.0"})
    with urllib.request.urlopen(req, timeout=timeout) as r:  # noqa: S310 (fixed https/http mirrors)
        size = r.headers.get("Content-Length")
        if size is not None and int(size) > MAX_FILE_BYTES:
            raise OSError(f"{size} bytes is more than any MNIST file")
        data = r.read(MAX_FILE_BYTES + 1)
    if len(data) > MAX_FILE_BYTES:
        raise OSError("more bytes than any MNIST file")
    return data


def download(dest: Path, mirrors: Sequence[str] = MIRRORS, timeout: float = 10.0,
             checksums: dict[str, str] | None = None) -> None:
    """Fetch the four ``.gz`` files into dest, each from the first mirror that gives the right MD5.

    Raises MnistUnavailable naming what went wrong at each mirror (one line).
    """
    dest.mkdir(parents=True, exist_ok=True)
    sums = checksums or {k: v[0] for k, v in FILES.items()}
    for stem in ORDER:
        target = dest / f"{stem}.gz"
        if target.is_file() and hashlib.md5(target.read_bytes()).hexdigest() == sums[stem]:
            continue
        errors: list[str] = []
        for base in mirrors:
            url = base.rstrip("/") + f"/{stem}.gz"
            host = urllib.parse.urlsplit(url).netloc or base
            try:
                data = _get(url, timeout)
            except (urllib.error.URLError, OSError, ValueError) as e:
                reason = getattr(e, "reason", e)
                errors.append(f"{host}: {str(reason)[:60]}")
                continue
            digest = hashlib.md5(data).hexdigest()
            if digest != sums[stem]:
                errors.append(f"{host}: checksum mismatch for {stem}.gz")
                continue
            fd, tmp = tempfile.mkstemp(dir=dest, suffix=".part")
            try:  # a full disk (ENOSPC) or any write error: no .part left behind; load_raw says it in one line
                with os.fdopen(fd, "wb") as fh:
                    fh.write(data)
                os.replace(tmp, target)
            except OSError:
                Path(tmp).unlink(missing_ok=True)
                raise
            break
        else:
            raise MnistUnavailable(f"could not download MNIST ({'; '.join(errors) or 'no mirrors'}); {LOCAL_HINT}")


def load_raw(folder: str | Path | None = None, *, download: bool | None = None, data_dir: Path | None = None,
             timeout: float = 10.0, mirrors: Sequence[str] = MIRRORS,
             checksums: dict[str, str] | None = None) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Like :func:`load_mnist` but uint8 images [N, 28, 28] (what the augmenter and the bench want)."""
    if folder is not None:
        return read_folder(folder)
    cache = (data_dir or settings.data_dir()) / "mnist"
    damaged = ""
    if all(_find(cache, s) for s in ORDER):
        try:
            return read_folder(cache)
        except MnistUnavailable as e:
            damaged = f" (the copy there is damaged: {e})"  # fetch again, where downloads are allowed
    if download is None:
        download = settings.downloads_allowed()
    if not download:
        raise MnistUnavailable(f"MNIST is not readable in {cache}{damaged} and downloading is off; {LOCAL_HINT}")
    try:
        _download(cache, mirrors, timeout, checksums)
    except OSError as e:  # the cache folder cannot be written (read-only, full): one line, like the network's
        raise MnistUnavailable(f"could not save MNIST in {cache} ({e}); {LOCAL_HINT}") from None
    return read_folder(cache)


_download = download  # the keyword argument of load_* shadows the function's name


def load_mnist(folder: str | Path | None = None, *, download: bool | None = None, data_dir: Path | None = None,
               timeout: float = 10.0, mirrors: Sequence[str] = MIRRORS,
               checksums: dict[str, str] | None = None) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """MNIST as X_train [N, 784] float32 in [0, 1], y_train [N] int64, X_test [M, 784], y_test [M].

    From ``folder`` (the four official idx files, ``.gz`` or not) when given; else from the cache in
    ``data_dir or settings.data_dir()`` / "mnist", downloading (mirrors in turn, ``timeout`` seconds
    each, MD5-verified) when missing and ``download`` is true (None: where this server allows it,
    :func:`core.settings.downloads_allowed`; never on a hosted server). Raises :class:`MnistUnavailable`.
    """
    tri, trl, tei, tel = load_raw(folder, download=download, data_dir=data_dir, timeout=timeout,
                                  mirrors=mirrors, checksums=checksums)
    f = lambda a: (a.reshape(len(a), -1).astype(np.float32) / 255.0)  # noqa: E731
    return f(tri), trl.astype(np.int64), f(tei), tel.astype(np.int64)


def fingerprint(arrays: Sequence[np.ndarray]) -> str:
    """A short content hash of arrays (the data part of a cache key)."""
    h = hashlib.sha256()
    for a in arrays:
        h.update(str(a.shape).encode())
        h.update(np.ascontiguousarray(a).tobytes())
    return h.hexdigest()[:16]
