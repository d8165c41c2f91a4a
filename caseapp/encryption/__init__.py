"""Encryption at rest for the free text people type about callers (notes, reasons, outcomes, assessment answers).

keys.py holds the key ring (CASEAPP_DATA_KEY, cryptography's MultiFernet), types.py the column types that encrypt on
the way in and decrypt on the way out, rotation.py the re-encryption behind `caseapp rotate-key`."""
