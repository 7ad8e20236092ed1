"""MNIST and Fashion-MNIST from their IDX files: download once, check SHA-256, cache, parse.

The book's chapters train on scikit-learn's bundled 8×8 digits (:func:`adamlab.problems.data.digits`),
which needs no network. This module is the step up: the 28×28 MNIST (LeCun et al., 1998)
or Fashion-MNIST (Xiao et al., 2017), 60,000 training and 10,000 test images each.

- Each file is fetched from the first mirror that answers, checked against its published
  SHA-256 and only then moved into the cache (``$ADAMLAB_CACHE``, else ``~/.cache/adamlab``),
  so a cached file is always a verified one. Later calls read the cache and need no network.
- :func:`parse_idx` reads the IDX format, gzip-compressed or raw.
- Without a network, put the four files in ``cache_dir() / name`` by hand.

Example::

    from adamlab.problems import mnist
    data = mnist.load("fashion-mnist")         # a Split, like adamlab.problems.data.digits()
    data.x_train.shape                          # torch.Size([60000, 784])

The opener that fetches a URL can be replaced (``load(..., opener=...)``): the tests use
that to run offline on tiny IDX files they write themselves.
"""

from __future__ import annotations

import gzip
import hashlib
import os
import struct
import tempfile
import urllib.request
import zlib
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:  # torch is imported only when data are loaded
    import torch

    from .data import Split

ROLES = ("train_images", "train_labels", "test_images", "test_labels")
Opener = Callable[[str, float], bytes]


@dataclass(frozen=True)
class Source:
    """Where a data set's four IDX files come from: base URLs and ``{role: (file name, SHA-256)}``."""

    mirrors: tuple[str, ...]
    files: Mapping[str, tuple[str, str]]


SOURCES: dict[str, Source] = {
    "mnist": Source(
        mirrors=(
            "https://ossci-datasets.s3.amazonaws.com/mnist/",
            "https://storage.googleapis.com/cvdf-datasets/mnist/",
        ),
        files={
            "train_images": (
                "train-images-idx3-ubyte.gz",
                "440fcabf73cc546fa21475e81ea370265605f56be210a4024d2ca8f203523609",
            ),
            "train_labels": (
                "train-labels-idx1-ubyte.gz",
                "3552534a0a558bbed6aed32b30c495cca23d567ec52cac8be1a0730e8010255c",
            ),
            "test_images": (
                "t10k-images-idx3-ubyte.gz",
                "8d422c7b0a1c1c79245a5bcf07fe86e33eeafee792b84584aec276f5a2dbc4e6",
            ),
            "test_labels": (
                "t10k-labels-idx1-ubyte.gz",
                "f7ae60f92e00ec6debd23a6088c31dbd2371eca3ffa0defaefb259924204aec6",
            ),
        },
    ),
    "fashion-mnist": Source(
        mirrors=(
            "https://fashion-mnist.s3.eu-central-1.amazonaws.com/",
            "https://raw.githubusercontent.com/zalandoresearch/fashion-mnist/master/data/fashion/",
        ),
        files={
            "train_images": (
                "train-images-idx3-ubyte.gz",
                "3aede38d61863908ad78613f6a32ed271626dd12800ba2636569512369268a84",
            ),
            "train_labels": (
                "train-labels-idx1-ubyte.gz",
                "a04f17134ac03560a47e3764e11b92fc97de4d1bfaf8ba1a3aa29af54cc90845",
            ),
            "test_images": (
                "t10k-images-idx3-ubyte.gz",
                "346e55b948d973a97e58d2351dde16a484bd415d4595297633bb08f03db6a073",
            ),
            "test_labels": (
                "t10k-labels-idx1-ubyte.gz",
                "67da17c76eaffca5446c3361aaab5c3cd6d1c2608764d35dfb1850b086bf8dd5",
            ),
        },
    ),
}


class DownloadError(RuntimeError):
    """No mirror delivered a file (no network, or every mirror failed)."""


class ChecksumError(RuntimeError):
    """A file's SHA-256 is not the published one: it is corrupt, truncated or not the expected file."""


def cache_dir() -> Path:
    """``$ADAMLAB_CACHE`` if set, else ``~/.cache/adamlab`` (not created here)."""
    env = os.environ.get("ADAMLAB_CACHE", "").strip()
    return Path(env).expanduser() if env else Path.home() / ".cache" / "adamlab"


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _urlopen(url: str, timeout: float) -> bytes:
    with urllib.request.urlopen(url, timeout=timeout) as response:  # https mirrors only
        return response.read()


def fetch(
    name: str,
    role: str,
    *,
    source: Source | None = None,
    cache: Path | str | None = None,
    download: bool = True,
    opener: Opener | None = None,
    timeout: float = 60.0,
) -> Path:
    """Path of ``role``'s verified file for data set ``name``, downloading it into the cache if needed.

    Raises :class:`ChecksumError` if a cached or downloaded file has the wrong SHA-256, and
    :class:`DownloadError` if no mirror delivers it (or ``download`` is False and it is not cached).
    """
    source = source or _source(name)
    filename, expected = source.files[role]
    folder = Path(cache) if cache is not None else cache_dir()
    path = folder / name / filename
    if path.exists():
        got = sha256(path.read_bytes())
        if got != expected:
            raise ChecksumError(
                f"{path} has SHA-256 {got}, expected {expected}: the cached file is corrupt or "
                "not the published one. Delete it and call again to download a fresh copy."
            )
        return path
    if not download:
        raise DownloadError(
            f"{path} is not in the cache and download=False. Put {filename} there by hand "
            f"(from {source.mirrors[0]}{filename}) or call with download=True."
        )
    opener = opener or _urlopen
    unreachable, corrupt = [], []
    for mirror in source.mirrors:
        url = mirror + filename
        try:
            data = opener(url, timeout)
        except Exception as exc:  # no network, HTTP error, timeout: try the next mirror
            unreachable.append(f"  {url}: {type(exc).__name__}: {exc}")
            continue
        got = sha256(data)
        if got != expected:
            corrupt.append(f"  {url}: SHA-256 {got}, expected {expected}")
            continue
        _write_atomically(path, data)
        return path
    if corrupt:
        raise ChecksumError(
            f"{filename} arrived with the wrong SHA-256, so nothing was cached:\n" + "\n".join(corrupt + unreachable)
        )
    raise DownloadError(
        f"could not download {filename} for {name!r} (no network?). Tried:\n"
        + "\n".join(unreachable)
        + f"\nWithout a network, copy the file to {path} by hand; it is checked against its SHA-256."
    )


def parse_idx(data: bytes) -> np.ndarray:
    """Decode an IDX file (gzip-compressed or raw) into a NumPy array of its shape and type.

    IDX: two zero bytes, a type code (0x08 = uint8), the number of dimensions, each dimension
    as a big-endian uint32, then the values in C order.
    """
    if data[:2] == b"\x1f\x8b":
        try:
            data = gzip.decompress(data)
        except (OSError, EOFError, zlib.error) as exc:
            raise ValueError(f"the gzip-compressed IDX file is corrupt or truncated ({exc})") from None
    if len(data) < 4 or data[:2] != b"\x00\x00":
        raise ValueError("not an IDX file: it must start with two zero bytes")
    dtypes = {0x08: ">u1", 0x09: ">i1", 0x0B: ">i2", 0x0C: ">i4", 0x0D: ">f4", 0x0E: ">f8"}
    code, ndim = data[2], data[3]
    if code not in dtypes:
        raise ValueError(f"not an IDX file: unknown type code {code:#04x}")
    header = 4 + 4 * ndim
    if len(data) < header:
        raise ValueError(f"IDX header truncated: {ndim} dimensions need {header} bytes, the file has {len(data)}")
    shape = struct.unpack(f">{ndim}I", data[4:header])
    dtype = np.dtype(dtypes[code])
    expected = int(np.prod(shape, dtype=np.int64)) * dtype.itemsize
    if len(data) - header != expected:
        raise ValueError(
            f"IDX data of shape {shape} needs {expected} bytes after the header, the file has "
            f"{len(data) - header}: truncated or corrupt"
        )
    return np.frombuffer(data, dtype=dtype, offset=header).reshape(shape).astype(dtype.newbyteorder("="))


def load(
    name: str = "mnist",
    *,
    source: Source | None = None,
    cache: Path | str | None = None,
    download: bool = True,
    opener: Opener | None = None,
    train_size: int | None = None,
    dtype: torch.dtype | None = None,
) -> Split:
    """MNIST (``"mnist"``) or Fashion-MNIST (``"fashion-mnist"``) as an :class:`adamlab.problems.data.Split`.

    Images are flattened to 784 features scaled to [0, 1] (``dtype``, default float32) and labels
    are int64, exactly like :func:`adamlab.problems.data.digits`, so either can be passed to
    :func:`adamlab.lab.training.train`. ``train_size`` keeps only the first images of the training set.
    """
    import torch

    from .data import Split

    source = source or _source(name)
    arrays = {
        role: parse_idx(fetch(name, role, source=source, cache=cache, download=download, opener=opener).read_bytes())
        for role in ROLES
    }
    for split in ("train", "test"):
        images, labels = arrays[f"{split}_images"], arrays[f"{split}_labels"]
        if images.ndim != 3 or labels.ndim != 1 or len(images) != len(labels):
            raise ValueError(
                f"{name}: {split} images of shape {images.shape} do not match labels of shape {labels.shape}"
            )
    limit = slice(None, train_size)

    def as_x(a):  # flattened images, pixels scaled to [0, 1]
        return torch.as_tensor(a.reshape(len(a), -1) / 255.0, dtype=dtype or torch.float32)

    def as_y(a):
        return torch.as_tensor(a.astype(np.int64))

    return Split(
        as_x(arrays["train_images"][limit]),
        as_y(arrays["train_labels"][limit]),
        as_x(arrays["test_images"]),
        as_y(arrays["test_labels"]),
    )


def is_cached(name: str = "mnist", *, source: Source | None = None, cache: Path | str | None = None) -> bool:
    """Whether all four files of ``name`` are in the cache (their checksums are checked when loaded)."""
    folder = Path(cache) if cache is not None else cache_dir()
    files = (source or _source(name)).files.values()
    return all((folder / name / filename).exists() for filename, _ in files)


def _source(name: str) -> Source:
    try:
        return SOURCES[name]
    except KeyError:
        raise KeyError(f"unknown data set {name!r}; known: {sorted(SOURCES)}") from None


def _write_atomically(path: Path, data: bytes) -> None:
    """Write to a temporary file in the same folder, then rename: the cache never holds half a file."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=path.name, suffix=".part")
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
