"""Shared machinery: hyperparameter validation, tree helpers, dtype policy."""
