"""MRV: the emissions methodology, MRV reports, verifier keys and signed approvals."""
