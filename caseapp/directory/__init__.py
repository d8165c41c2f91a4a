"""The treatment services directory: the places a caller can be referred to, kept by managers, read by advisors."""
