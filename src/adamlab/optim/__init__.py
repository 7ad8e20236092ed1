"""The optimizers, in the order the book climbs the ladder.

- :mod:`.functional`: each rule as a pure NumPy step (``adam_step(theta, grad, m, v, t, ...)``);
- :mod:`.transforms`: the same rules as optax-style ``init``/``step`` pairs with one typed state each;
- :mod:`.inplace`: Adam without temporaries, in place and in cache-sized chunks (NumPy);
- :mod:`.fused`: Adam in one compiled pass over memory (Numba, ``adamlab[fast]``);
- :mod:`.torch_optim`: Adam and AdamW as readable ``torch.optim.Optimizer`` subclasses;
- beyond the ladder (Part IV): :mod:`.sign` (signSGD, Signum, Lion), :mod:`.radam`, :mod:`.muon`,
  :mod:`.adafactor`, :mod:`.preconditioning` (Newton, full-matrix AdaGrad, Shampoo);
- practice and scale: :mod:`.schedule_free` (schedule-free AdamW; its torch optimizer is
  ``schedule_free.ScheduleFreeAdamW``), :mod:`.quantized` (Adam with 8-bit block-wise states).

The steps and the init/step pairs are importable from here: ``from adamlab import optim``,
then ``optim.adam_step(...)`` or ``optim.adam(lr=0.1)``. The other three are imported by
name (they need Numba or torch).
"""

from .adafactor import adafactor_step
from .functional import (
    adagrad_step,
    adam_moments,
    adam_step,
    adamw_step,
    amsgrad_step,
    bias_correction,
    momentum_step,
    rmsprop_step,
    sgd_step,
)
from .muon import muon_step, newton_schulz
from .preconditioning import full_matrix_adagrad_step, newton_step, shampoo_step
from .quantized import Adam8bitState, adam8bit_init, adam8bit_step
from .radam import radam_step
from .schedule_free import ScheduleFreeState, schedule_free_adamw, schedule_free_adamw_step
from .sign import lion_step, sign_sgd_step, signum_step
from .transforms import (
    AdagradState,
    AdamState,
    AMSGradState,
    EmptyState,
    MomentumState,
    Optimizer,
    RMSPropState,
    adagrad,
    adam,
    adamw,
    amsgrad,
    momentum,
    rmsprop,
    sgd,
)

__all__ = [
    "sgd_step",
    "momentum_step",
    "adagrad_step",
    "rmsprop_step",
    "adam_moments",
    "bias_correction",
    "adam_step",
    "adamw_step",
    "amsgrad_step",
    "Optimizer",
    "EmptyState",
    "MomentumState",
    "AdagradState",
    "RMSPropState",
    "AdamState",
    "AMSGradState",
    "sgd",
    "momentum",
    "adagrad",
    "rmsprop",
    "adam",
    "adamw",
    "amsgrad",
    "sign_sgd_step",
    "signum_step",
    "lion_step",
    "radam_step",
    "muon_step",
    "newton_schulz",
    "adafactor_step",
    "newton_step",
    "full_matrix_adagrad_step",
    "shampoo_step",
    "schedule_free_adamw_step",
    "schedule_free_adamw",
    "ScheduleFreeState",
    "adam8bit_init",
    "adam8bit_step",
    "Adam8bitState",
]
