"""The optimizers, in the order the book climbs the ladder.

- :mod:`.functional`: each rule as a pure NumPy step (``adam_step(theta, grad, m, v, t, ...)``);
- :mod:`.transforms`: the same rules as optax-style ``init``/``step`` pairs with one typed state each;
- :mod:`.inplace`: Adam without temporaries, in place and in cache-sized chunks (NumPy);
- :mod:`.fused`: Adam in one compiled pass over memory (Numba, ``adamlab[fast]``);
- :mod:`.torch_optim`: Adam and AdamW as readable ``torch.optim.Optimizer`` subclasses.

The steps and the init/step pairs are importable from here: ``from adamlab import optim``,
then ``optim.adam_step(...)`` or ``optim.adam(lr=0.1)``. The other three are imported by
name (they need Numba or torch).
"""

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
]
