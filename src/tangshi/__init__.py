"""tangshi: character-level LSTM poets for Tang regulated verse (五言律诗)."""

__version__ = "0.1.0"
