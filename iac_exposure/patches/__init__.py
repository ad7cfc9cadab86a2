"""Remedies (format-free intents) → per-format writers → edits → unified diffs."""
