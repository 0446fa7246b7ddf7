"""Public pages anyone can open without signing in."""
