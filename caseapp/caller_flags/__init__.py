"""Flags on a caller or a number (abusive, hoax, safeguarding concern, do not ring back), each with an expiry."""
