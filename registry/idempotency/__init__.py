"""Idempotent writes (IETF draft-ietf-httpapi-idempotency-key-header): a client that sends
`Idempotency-Key` with a write may send it again, after a timeout or a dropped connection,
and gets the first answer instead of a second record. `service.py` keeps the keys and their
answers; `http.py` is the view decorator that applies them."""
