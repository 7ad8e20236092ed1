"""adamlab.problems.mnist, offline: tiny IDX files written here, served by an injected opener; no network."""

from __future__ import annotations

import gzip
import re
import struct
import urllib.error
import urllib.request

import numpy as np
import pytest
import torch

from adamlab.problems import mnist
from adamlab.problems.data import digits

MIRRORS = ("https://mirror-a.invalid/", "https://mirror-b.invalid/")


@pytest.fixture(autouse=True)
def no_network(monkeypatch):
    """Any attempt to reach the network fails the test."""

    def refuse(*args, **kwargs):
        raise AssertionError("a test tried to use the network")

    monkeypatch.setattr(urllib.request, "urlopen", refuse)


def idx_bytes(array: np.ndarray) -> bytes:
    """An IDX file (uint8) of ``array``: two zero bytes, type 0x08, ndim, big-endian dimensions, data."""
    header = bytes([0, 0, 0x08, array.ndim]) + struct.pack(f">{array.ndim}I", *array.shape)
    return header + array.astype(np.uint8).tobytes()


def tiny_files(seed=0, n_train=6, n_test=4, side=28):
    """{file name: bytes}: training files gzip-compressed, test files raw (both forms occur in the wild)."""
    rng = np.random.default_rng(seed)
    arrays = {
        "train_images": rng.integers(0, 256, size=(n_train, side, side)),
        "train_labels": rng.integers(0, 10, size=n_train),
        "test_images": rng.integers(0, 256, size=(n_test, side, side)),
        "test_labels": rng.integers(0, 10, size=n_test),
    }
    names = {
        "train_images": "train-images-idx3-ubyte.gz",
        "train_labels": "train-labels-idx1-ubyte.gz",
        "test_images": "t10k-images-idx3-ubyte",
        "test_labels": "t10k-labels-idx1-ubyte",
    }
    files = {}
    for role, array in arrays.items():
        raw = idx_bytes(array)
        files[names[role]] = gzip.compress(raw, mtime=0) if names[role].endswith(".gz") else raw
    source = mnist.Source(MIRRORS, {role: (names[role], mnist.sha256(files[names[role]])) for role in names})
    return arrays, files, source


class FakeServer:
    """An opener serving ``files`` from the mirrors in ``up``; it records every URL it is asked for."""

    def __init__(self, files, up=MIRRORS, corrupt=()):
        self.files, self.up, self.corrupt, self.requests = files, up, corrupt, []

    def __call__(self, url, timeout):
        self.requests.append(url)
        mirror, name = url.rsplit("/", 1)
        if mirror + "/" not in self.up:
            raise urllib.error.URLError("[Errno -3] Temporary failure in name resolution")
        data = self.files[name]
        return data[:-1] + bytes([data[-1] ^ 1]) if mirror + "/" in self.corrupt else data


def test_parse_idx_reads_gzip_and_raw_files():
    array = np.arange(2 * 3 * 4).reshape(2, 3, 4)
    raw = idx_bytes(array)
    for data in (raw, gzip.compress(raw)):
        parsed = mnist.parse_idx(data)
        assert parsed.dtype == np.uint8 and parsed.shape == (2, 3, 4)
        np.testing.assert_array_equal(parsed, array)
    labels = mnist.parse_idx(idx_bytes(np.array([7, 0, 9])))
    assert labels.shape == (3,) and labels.tolist() == [7, 0, 9]


@pytest.mark.parametrize(
    "data,words",
    [
        (b"\x1f\x8b\x08junk", "gzip-compressed IDX file is corrupt"),
        (b"PK\x03\x04rest", "two zero bytes"),
        (b"\x00\x00\x07\x01\x00\x00\x00\x01\x00", "unknown type code"),
        (b"\x00\x00\x08\x03\x00\x00", "header truncated"),
        (idx_bytes(np.zeros((2, 2, 2)))[:-1], "truncated or corrupt"),
    ],
)
def test_parse_idx_rejects_what_is_not_idx(data, words):
    with pytest.raises(ValueError, match=re.escape(words)):
        mnist.parse_idx(data)


def test_load_downloads_verifies_caches_and_returns_a_split_like_digits(tmp_path):
    arrays, files, source = tiny_files()
    server = FakeServer(files)
    data = mnist.load("tiny", source=source, cache=tmp_path, opener=server)
    assert len(server.requests) == 4 and all(url.startswith(MIRRORS[0]) for url in server.requests)
    assert data.x_train.shape == (6, 784) and data.x_test.shape == (4, 784)
    assert data.x_train.dtype == digits().x_train.dtype == torch.float32 and data.y_train.dtype == torch.long
    np.testing.assert_allclose(data.x_train.numpy(), arrays["train_images"].reshape(6, -1) / 255.0, rtol=1e-6)
    assert data.y_test.tolist() == arrays["test_labels"].tolist()
    assert 0.0 <= data.x_train.min() and data.x_train.max() <= 1.0
    for filename in files:
        assert (tmp_path / "tiny" / filename).read_bytes() == files[filename]
    assert mnist.is_cached("tiny", source=source, cache=tmp_path)
    assert not list(tmp_path.rglob("*.part"))

    # The second load reads the cache: no request, even with no network at all.
    offline = FakeServer(files, up=())
    again = mnist.load("tiny", source=source, cache=tmp_path, opener=offline, download=False, train_size=3)
    assert offline.requests == [] and again.x_train.shape == (3, 784)
    assert torch.equal(again.x_test, data.x_test)


def test_a_failing_mirror_is_skipped(tmp_path):
    _, files, source = tiny_files()
    server = FakeServer(files, up=MIRRORS[1:])
    mnist.load("tiny", source=source, cache=tmp_path, opener=server)
    assert sum(url.startswith(MIRRORS[0]) for url in server.requests) == 4
    assert sum(url.startswith(MIRRORS[1]) for url in server.requests) == 4


def test_a_corrupt_mirror_is_skipped_for_a_good_one(tmp_path):
    _, files, source = tiny_files()
    mnist.load("tiny", source=source, cache=tmp_path, opener=FakeServer(files, corrupt=MIRRORS[:1]))
    assert mnist.is_cached("tiny", source=source, cache=tmp_path)


def test_checksum_mismatch_is_a_clear_error_and_caches_nothing(tmp_path):
    _, files, source = tiny_files()
    with pytest.raises(mnist.ChecksumError, match="wrong SHA-256") as info:
        mnist.load("tiny", source=source, cache=tmp_path, opener=FakeServer(files, corrupt=MIRRORS))
    message = str(info.value)
    assert "train-images-idx3-ubyte.gz" in message
    assert source.files["train_images"][1] in message  # the expected digest is shown
    assert all(url in message for url in (m + "train-images-idx3-ubyte.gz" for m in MIRRORS))
    assert not [p for p in tmp_path.rglob("*") if p.is_file()]


def test_a_corrupt_cached_file_is_reported_not_used(tmp_path):
    _, files, source = tiny_files()
    mnist.load("tiny", source=source, cache=tmp_path, opener=FakeServer(files))
    victim = tmp_path / "tiny" / "t10k-labels-idx1-ubyte"
    victim.write_bytes(victim.read_bytes()[:-1])
    with pytest.raises(mnist.ChecksumError, match="Delete it"):
        mnist.load("tiny", source=source, cache=tmp_path, opener=FakeServer(files))


def test_no_network_is_a_clear_error(tmp_path):
    _, files, source = tiny_files()
    server = FakeServer(files, up=())
    with pytest.raises(mnist.DownloadError, match="no network") as info:
        mnist.load("tiny", source=source, cache=tmp_path, opener=server)
    message = str(info.value)
    assert "name resolution" in message and all(m in message for m in MIRRORS)
    assert str(tmp_path / "tiny" / "train-images-idx3-ubyte.gz") in message  # where to put the file by hand
    assert not [p for p in tmp_path.rglob("*") if p.is_file()]


def test_download_false_never_calls_the_opener(tmp_path):
    _, files, source = tiny_files()
    server = FakeServer(files)
    with pytest.raises(mnist.DownloadError, match="download=False"):
        mnist.load("tiny", source=source, cache=tmp_path, opener=server, download=False)
    assert server.requests == []


def test_mismatched_images_and_labels_are_rejected(tmp_path):
    _, files, source = tiny_files()
    files = dict(files, **{"t10k-labels-idx1-ubyte": idx_bytes(np.zeros(5))})
    source = mnist.Source(
        MIRRORS,
        {**source.files, "test_labels": ("t10k-labels-idx1-ubyte", mnist.sha256(files["t10k-labels-idx1-ubyte"]))},
    )
    with pytest.raises(ValueError, match="do not match labels"):
        mnist.load("tiny", source=source, cache=tmp_path, opener=FakeServer(files))


def test_cache_dir_default_and_override(monkeypatch, tmp_path):
    monkeypatch.delenv("ADAMLAB_CACHE", raising=False)
    monkeypatch.setenv("HOME", str(tmp_path))
    assert mnist.cache_dir() == tmp_path / ".cache" / "adamlab"
    monkeypatch.setenv("ADAMLAB_CACHE", str(tmp_path / "elsewhere"))
    assert mnist.cache_dir() == tmp_path / "elsewhere"
    assert not (tmp_path / ".cache").exists()  # asking for the folder does not create it


def test_the_published_sources_are_complete():
    assert set(mnist.SOURCES) == {"mnist", "fashion-mnist"}
    for source in mnist.SOURCES.values():
        assert set(source.files) == set(mnist.ROLES)
        assert all(m.startswith("https://") and m.endswith("/") for m in source.mirrors)
        for filename, digest in source.files.values():
            assert filename.endswith("-ubyte.gz") and re.fullmatch(r"[0-9a-f]{64}", digest)
    with pytest.raises(KeyError, match="known"):
        mnist.load("cifar")
