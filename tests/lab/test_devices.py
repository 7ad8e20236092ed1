import pytest
import torch

import adamlab


def test_device_on_this_machine_prints_its_choice(capsys, monkeypatch):
    monkeypatch.delenv("ADAMLAB_DEVICE", raising=False)
    d = adamlab.device()
    assert isinstance(d, torch.device)
    expected = "cuda" if torch.cuda.is_available() else ("mps" if torch.backends.mps.is_available() else "cpu")
    assert d.type == expected
    assert f"using device {d}" in capsys.readouterr().out


def test_environment_variable_forces_cpu(monkeypatch, capsys):
    monkeypatch.setenv("ADAMLAB_DEVICE", "cpu")
    assert adamlab.device().type == "cpu"
    assert "forced by ADAMLAB_DEVICE" in capsys.readouterr().out


@pytest.mark.skipif(torch.cuda.is_available(), reason="this machine has CUDA")
def test_forcing_a_missing_device_is_an_error(monkeypatch):
    monkeypatch.setenv("ADAMLAB_DEVICE", "cuda")
    with pytest.raises(RuntimeError, match="no such device"):
        adamlab.device()


def test_importing_adamlab_does_not_import_torch():
    import subprocess
    import sys

    code = "import sys, adamlab, adamlab.optim, adamlab.problems.landscapes; print('torch' in sys.modules)"
    assert subprocess.run([sys.executable, "-c", code], capture_output=True, text=True).stdout.strip() == "False"
