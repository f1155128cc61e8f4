"""Training: the loop (curriculum, early stopping, checkpoints, resume, DVCLive), what takes an optimizer
step for each kind of network, the optimizers (torch's and the NumPy twins), data parallelism, perplexity.

Imports models, data and the ground floor.
"""
