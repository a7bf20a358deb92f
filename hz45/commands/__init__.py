"""One module per ``hz45`` sub-command; each defines ``command``."""
