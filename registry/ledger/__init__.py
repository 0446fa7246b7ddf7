"""Transparency log (DESIGN §6): RFC 9162 Merkle tree, proofs and C2SP signed checkpoints.

Pure cores, one per file: ``rfc9162`` (hashing), ``tree`` (what to store and fetch, proof
building), ``verify`` (proof checking, as a client does it), ``note`` (signed checkpoints).
The database and HTTP live in ``models``, ``service``, ``api`` and ``views``.
"""
