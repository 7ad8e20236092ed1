"""Stand-ins for ``torch/optim/adam.py`` and ``adamw.py`` inside the torch jail (:mod:`..jail`, profile ``torch``).

The torch exercise asks for Adam written by hand: in its confirmation run these files are bound
over torch's own, so ``torch.optim.Adam``, ``AdamW`` and their functional forms exist (torch
imports them) but raise as soon as they are used, whatever way the student's code reaches them
(``import``, ``importlib``, ``getattr``, reloading the module). torch's fused kernels are removed by
the exercise's driver before student code runs.
"""
