"""ADAMLAB_SEED and ADAMLAB_LARGE: read strictly, with a clear error for a bad value."""

import pytest

from adamlab import book_seed, large_run


def test_seed_defaults_to_zero_and_reads_the_environment(monkeypatch):
    monkeypatch.delenv("ADAMLAB_SEED", raising=False)
    assert book_seed() == 0
    monkeypatch.setenv("ADAMLAB_SEED", " 7 ")
    assert book_seed() == 7


@pytest.mark.parametrize("bad", ["-1", "one", "1.5"])
def test_a_bad_seed_is_an_error_that_names_the_variable(monkeypatch, bad):
    monkeypatch.setenv("ADAMLAB_SEED", bad)
    with pytest.raises(ValueError, match="ADAMLAB_SEED"):
        book_seed()


def test_large_run_follows_the_device_unless_forced(monkeypatch):
    monkeypatch.delenv("ADAMLAB_LARGE", raising=False)
    assert large_run("cuda") and not large_run("cpu") and not large_run("mps")
    monkeypatch.setenv("ADAMLAB_LARGE", "1")
    assert large_run("cpu")
    monkeypatch.setenv("ADAMLAB_LARGE", "0")
    assert not large_run("cuda")
    monkeypatch.setenv("ADAMLAB_LARGE", "yes")
    with pytest.raises(ValueError, match="ADAMLAB_LARGE"):
        large_run("cpu")
