"""Harm-reduction prompts shown after an assessment, and what the caller was given."""
