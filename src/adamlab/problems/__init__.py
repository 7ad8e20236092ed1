"""What the optimizers are run on: test functions, regression, the counterexamples, and data sets.

- :mod:`.landscapes`: 2-D test functions with gradients (bowls, Rosenbrock, Beale, a saddle);
- :mod:`.regression`: least squares and logistic regression, with minibatch gradients;
- :mod:`.wilson`: Wilson et al. (2017)'s problem where adaptive methods generalise worse;
- :mod:`.counterexample`: Reddi et al. (2018)'s problem where Adam does not converge;
- :mod:`.data`: scikit-learn's digits as tensors (offline); :mod:`.mnist`: MNIST and Fashion-MNIST, checksummed.
"""
