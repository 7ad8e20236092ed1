"""muon_step matches torch.optim.Muon.

torch runs Newton–Schulz in bfloat16 whatever the parameter's dtype, so the float64 check (1e-6 over 150
steps, several settings) runs torch's optimizer with that one cast removed: its own
``_zeropower_via_newtonschulz`` source, patched to keep the input's dtype. The unmodified optimizer is
then checked to bfloat16's precision.
"""

import inspect
import textwrap

import numpy as np
import pytest
import torch
import torch.optim._muon as torch_muon

from adamlab import optim as O
from adamlab.optim.muon import adjusted_lr, newton_schulz, polar_factor

STEPS = 150


def float64_newton_schulz():
    """torch's own Newton–Schulz function with its one cast to bfloat16 removed (fails loudly if the source changes)."""
    source = textwrap.dedent(inspect.getsource(torch_muon._zeropower_via_newtonschulz))
    assert source.count("grad.bfloat16()") == 1
    namespace = dict(vars(torch_muon))
    exec(source.replace("grad.bfloat16()", "grad.clone()"), namespace)
    return namespace["_zeropower_via_newtonschulz"]


def run_both(shape, setting, steps=STEPS, seed=0):
    rng = np.random.default_rng(seed)
    grads = rng.normal(size=(steps, *shape)) * rng.choice([1e-3, 1.0, 10.0])
    theta0 = rng.normal(size=shape)
    p = torch.tensor(theta0, requires_grad=True)
    opt = torch.optim.Muon([p], **setting)
    theta, buf, ours, theirs = theta0, np.zeros(shape), [], []
    for g in grads:
        p.grad = torch.tensor(g)
        opt.step()
        theta, buf = O.muon_step(theta, g, buf, **setting)
        ours.append(theta)
        theirs.append(p.detach().numpy().copy())
    return np.array(ours), np.array(theirs), buf, opt.state[p]["momentum_buffer"].numpy(), theta0


SETTINGS = [
    {},
    dict(lr=0.02, momentum=0.9, nesterov=False, weight_decay=0.0),
    dict(lr=0.05, momentum=0.5, weight_decay=0.01, ns_steps=3, adjust_lr_fn="match_rms_adamw"),
    dict(lr=0.01, momentum=0.95, ns_coefficients=(2.0, -1.5, 0.5), eps=1e-5),
]


@pytest.mark.parametrize("shape", [(5, 8), (9, 4)])
@pytest.mark.parametrize("setting", SETTINGS)
def test_muon_matches_torch_in_float64(monkeypatch, setting, shape):
    monkeypatch.setattr(torch_muon, "_zeropower_via_newtonschulz", float64_newton_schulz())
    ours, theirs, buf, torch_buf, theta0 = run_both(shape, setting)
    np.testing.assert_allclose(ours, theirs, rtol=0, atol=1e-6)
    np.testing.assert_allclose(buf, torch_buf, rtol=1e-10, atol=1e-14)
    assert np.abs(ours[-1] - theta0).max() > 1e-3


def test_muon_matches_unmodified_torch_to_bfloat16_precision():
    ours, theirs, _, _, _ = run_both((6, 10), dict(lr=0.02), steps=100)
    step = 0.02  # each step moves every singular direction by about lr; bfloat16 keeps ~3 significant digits
    assert np.abs(ours - theirs).max() < 100 * step * 2e-2
    rng = np.random.default_rng(1)
    G = rng.normal(size=(6, 10))
    ours1 = newton_schulz(G)
    theirs1 = torch_muon._zeropower_via_newtonschulz(torch.tensor(G), (3.4445, -4.7750, 2.0315), 5, 1e-7)
    assert theirs1.dtype == torch.bfloat16  # the cast this module leaves out
    assert np.abs(ours1 - theirs1.double().numpy()).max() < 3e-2


def test_newton_schulz_orthogonalises():
    rng = np.random.default_rng(2)
    for shape in [(4, 7), (7, 4), (6, 6)]:
        G = rng.normal(size=shape)
        # The default quintic: singular values pushed into a band around 1, singular vectors kept.
        s = np.linalg.svd(newton_schulz(G), compute_uv=False)
        assert 0.6 < s.min() and s.max() < 1.25
        # The classic cubic (a, b, c) = (1.5, -0.5, 0) converges to the polar factor U Vᵀ.
        np.testing.assert_allclose(
            newton_schulz(G, steps=60, coefficients=(1.5, -0.5, 0.0)), polar_factor(G), atol=1e-10
        )


def test_adjusted_lr():
    assert adjusted_lr(0.1, (8, 2)) == pytest.approx(0.2) and adjusted_lr(0.1, (2, 8)) == 0.1
    assert adjusted_lr(0.1, (4, 9), "match_rms_adamw") == pytest.approx(0.1 * 0.2 * 3)
    with pytest.raises(ValueError):
        adjusted_lr(0.1, (2, 2), "other")
