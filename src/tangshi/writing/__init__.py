"""Writing poems: the batched decoder with form and meter constraints, best-of-N reranking, and the
sample stage's prompts and their judgement.

Imports models' interface (duck-typed), judge, data and the ground floor.
"""
