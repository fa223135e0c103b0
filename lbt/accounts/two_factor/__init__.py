"""Two-factor login for staff: a TOTP secret (RFC 6238, an authenticator app) confirmed by a first
code, ten recovery codes kept hashed and good once each, and which roles must use it. Checked after
the password, as a second step (``views/login.py``); API bearer tokens are not concerned."""
