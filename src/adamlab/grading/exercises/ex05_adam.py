"""Exercise 5: ``adam_step`` (the spec and catalogue are Adam's, shared with ex06 and ex07: :mod:`.adam_family`).

Its ``samples`` turn the solution's ``adam_step`` cell into classic wrong submissions
(:mod:`adamlab.grading.confirm.samples`): ``make bench`` grades a class made of them, and the
instructor-flow tests check the score and the diagnosis each one gets.
"""

from __future__ import annotations

from ..engine.probes import Exercise, Samples
from ..engine.steps import step_probes
from .adam_family import ADAM

SAMPLES = Samples(
    cell="adam_step",
    # name -> ((old, new), ...): text replacements in the solution's adam_step, applied in order.
    edits={
        "no_bias_correction": (("m_hat = m / (1 - beta1**t)\n    v_hat = v / (1 - beta2**t)", "m_hat, v_hat = m, v"),),
        "eps_inside_sqrt": (("np.sqrt(v_hat) + eps", "np.sqrt(v_hat + eps)"),),
        "t_off_by_one": (
            ("beta1**t)\n    v_hat = v / (1 - beta2**t)", "beta1**(t + 1))\n    v_hat = v / (1 - beta2**(t + 1))"),
        ),
        "missing_one_minus_beta": (("(1 - beta1) * grad", "grad"), ("(1 - beta2) * grad**2", "grad**2")),
        "abs_instead_of_square": (("grad**2", "np.abs(grad)"),),
        "lr_twice": (("theta - lr * m_hat", "theta - lr * lr * m_hat"),),
        "first_step_only": (("beta1**t)\n    v_hat = v / (1 - beta2**t)", "beta1)\n    v_hat = v / (1 - beta2)"),),
        "float32": (("return theta, m, v", "return theta.astype(np.float32), m, v"),),
    },
    # name -> body under the solution's signature line: mistakes that rewrite the whole function.
    rewrites={
        "modifies_inputs": """\
    m *= beta1
    m += (1 - beta1) * grad
    v *= beta2
    v += (1 - beta2) * grad**2
    return theta - lr * (m / (1 - beta1**t)) / (np.sqrt(v / (1 - beta2**t)) + eps), m, v
""",
        "returns_input_unchanged": "    return theta.copy(), m.copy(), v.copy()\n",
    },
)

EXERCISE = Exercise(
    name="ex05_adam",
    tests={
        "test_adam_first_step": "adam_step:first_step",
        "test_adam_trajectory": "adam_step:trajectory",
        "test_adam_pure": "adam_step:pure",
        "test_adam_defaults_hidden": "adam_step:default",
        "test_adam_settings_hidden": "adam_step:settings",
    },
    probes=step_probes(ADAM),
    step_specs=(ADAM,),
    samples=SAMPLES,
)
