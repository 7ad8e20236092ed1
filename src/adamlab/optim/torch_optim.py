"""Adam and AdamW as ``torch.optim.Optimizer`` subclasses, written to be read.

The same maths as :func:`adamlab.optim.functional.adam_step`, on tensors, with
torch's lazy per-parameter state (``step``, ``exp_avg`` = m, ``exp_avg_sq`` = v),
so that ``state_dict()`` round-trips with ``torch.optim.Adam``'s.
Reference: Kingma & Ba (2015), https://arxiv.org/abs/1412.6980;
Loshchilov & Hutter (2019), https://arxiv.org/abs/1711.05101.
"""

from __future__ import annotations

import math

import torch


class Adam(torch.optim.Optimizer):
    r"""Adam; ``weight_decay`` adds :math:`\lambda\theta` to the gradient (L2), as torch's Adam does.

    With ``decoupled_weight_decay=True`` the decay shrinks the weights outside m and v instead
    (AdamW), as ``torch.optim.Adam`` does (torch 2.13). It is a hyperparameter like the others:
    it lives in each param group and in ``state_dict()``.

    .. math::
        m \leftarrow \beta_1 m + (1-\beta_1) g, \quad v \leftarrow \beta_2 v + (1-\beta_2) g^2, \quad
        \theta \leftarrow \theta - \alpha\,\frac{m/(1-\beta_1^t)}{\sqrt{v/(1-\beta_2^t)} + \epsilon}
    """

    def __init__(
        self,
        params,
        lr: float = 1e-3,
        betas=(0.9, 0.999),
        eps: float = 1e-8,
        weight_decay: float = 0.0,
        *,
        decoupled_weight_decay: bool = False,
    ):
        if not 0.0 <= lr:
            raise ValueError(f"Invalid learning rate: {lr}")
        if not 0.0 <= eps:
            raise ValueError(f"Invalid epsilon value: {eps}")
        if len(betas) != 2 or not all(0.0 <= b < 1.0 for b in betas):
            raise ValueError(f"Invalid betas (each must be in [0, 1)): {betas}")
        if not 0.0 <= weight_decay:
            raise ValueError(f"Invalid weight_decay value: {weight_decay}")
        super().__init__(
            params,
            dict(
                lr=lr,
                betas=tuple(betas),
                eps=eps,
                weight_decay=weight_decay,
                decoupled_weight_decay=bool(decoupled_weight_decay),
            ),
        )

    @torch.no_grad()
    def step(self, closure=None):
        loss = None
        if closure is not None:
            with torch.enable_grad():
                loss = closure()
        for group in self.param_groups:
            lr, (beta1, beta2), eps, wd = group["lr"], group["betas"], group["eps"], group["weight_decay"]
            decoupled = group.get("decoupled_weight_decay", False)
            for p in group["params"]:
                if p.grad is None:
                    continue
                if p.grad.is_sparse:
                    raise RuntimeError("adamlab.Adam does not support sparse gradients")
                self._update(p, p.grad, self.state[p], lr, beta1, beta2, eps, wd, decoupled)
        return loss

    def _update(self, p, grad, state, lr, beta1, beta2, eps, wd, decoupled) -> None:
        if not state:  # lazy state, created at the first step (as torch does)
            state["step"] = torch.tensor(0.0)
            state["exp_avg"] = torch.zeros_like(p, memory_format=torch.preserve_format)
            state["exp_avg_sq"] = torch.zeros_like(p, memory_format=torch.preserve_format)
        if wd != 0:
            if decoupled:
                p.mul_(1 - lr * wd)  # AdamW: shrink the weights, outside m and v
            else:
                grad = grad.add(p, alpha=wd)  # Adam + L2: the decay goes through m and v
        state["step"] += 1
        t = state["step"].item()
        m, v = state["exp_avg"], state["exp_avg_sq"]
        m.lerp_(grad, 1 - beta1)  # m = β1 m + (1-β1) g
        v.mul_(beta2).addcmul_(grad, grad, value=1 - beta2)  # v = β2 v + (1-β2) g²
        step_size = lr / (1 - beta1**t)
        denom = (v.sqrt() / math.sqrt(1 - beta2**t)).add_(eps)  # sqrt(v̂) + ε
        p.addcdiv_(m, denom, value=-step_size)


class AdamW(Adam):
    """AdamW: Adam with ``decoupled_weight_decay=True``, ``θ ← (1 − αλ)θ`` before the Adam step (as torch 2.13's)."""

    def __init__(self, params, lr: float = 1e-3, betas=(0.9, 0.999), eps: float = 1e-8, weight_decay: float = 1e-2):
        super().__init__(params, lr=lr, betas=betas, eps=eps, weight_decay=weight_decay, decoupled_weight_decay=True)
