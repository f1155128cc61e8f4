"""tangshi: character-level LSTM poets for Tang regulated verse (五绝, 七绝, 五律, 七律)."""

__version__ = "0.1.0"
