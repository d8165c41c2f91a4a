"""Subject access requests: everything held about one caller, and which staff saw it, as one file set."""
