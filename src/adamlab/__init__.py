"""adamlab: the helper package of *From SGD to Adam*, an autograded notebook book.

Importing ``adamlab`` is cheap: torch is only loaded by the modules that need it
(``device``, ``optim.torch_optim``, ``problems.data``, ``lab.training``), so the graders' kernels and
the NumPy chapters start fast.
"""

__version__ = "0.1.0"
from .lab.runconfig import book_seed, large_run

__all__ = ["book_seed", "device", "large_run", "__version__"]


def device(verbose: bool = True):
    """Pick CUDA, then Apple MPS, then the CPU (see :func:`adamlab.lab.devices.device`)."""
    from .lab.devices import device as _device

    return _device(verbose=verbose)
