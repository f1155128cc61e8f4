"""The networks and the one interface that runs and scores them: the NumPy LSTM with its hand-derived
BPTT, the hand-written cell, nn.LSTM models, and loading trained weights. Nothing here trains.

Imports data (dictionary, padding) and the ground floor.
"""
