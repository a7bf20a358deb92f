"""One module per ``hz45`` sub-command; each defines ``command``.

A command module imports only click and the standard library at its top; everything else is
imported inside the command, so that listing the commands and their help stays fast.
"""

# Modules here that hold code shared by commands rather than a command of their own.
HELPERS = frozenset({"common", "demo_steps", "offline"})
