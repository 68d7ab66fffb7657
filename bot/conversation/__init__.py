"""The conversation: a pure step function over named states (see engine.py)."""
