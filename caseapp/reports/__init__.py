"""Managers' reports: call volume, hour-of-week heatmap, breakdowns, funnel, the "today" strip, CSV exports, and the
`caseapp seed` data generator that makes them worth looking at."""
