"""Safety plans built with callers, versioned."""
