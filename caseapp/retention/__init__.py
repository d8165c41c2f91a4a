"""Retention, erasure on request and legal holds: what is kept about callers, and for how long."""
