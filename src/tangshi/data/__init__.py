"""From the chinese-poetry package to training arrays: fetch, corpus and its splits, near-duplicates,
the verse corpus, the dictionary, pretrained vectors, the embedding matrix and training batches.

Imports the ground floor alone (errors, atomic, params, forms).
"""
