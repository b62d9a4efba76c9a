"""advisor: decide whether to fine-tune, triage regressed fine-tunes, probe real models."""

__version__ = "0.1.0"
