"""Service settings the admins change while the service runs (the longest a caller flag may last), kept in the
database with who changed each and when."""
