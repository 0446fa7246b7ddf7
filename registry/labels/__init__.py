"""Labels: criteria, issuance, serials, the signed QR token (PTT1), label images, validity
checks, revocation and scan statistics (DESIGN.md §5, §7).

`token`, `revocations`, `gs1` and `qr` are pure cores with no I/O: the services that issue,
store and revoke labels call them with plain values."""
