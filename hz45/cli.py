"""The ``hz45`` command line (SPEC §8).

Every module in :mod:`hz45.commands` that defines ``command`` (a click command) is added to
the group, so a new command is a new small file. Failures exit non-zero with one line.
"""

from __future__ import annotations

import importlib
import pkgutil
import sys

import click

import hz45.commands


class _Group(click.Group):
    def invoke(self, ctx: click.Context):
        try:
            return super().invoke(ctx)
        except (click.exceptions.Exit, click.exceptions.Abort, click.ClickException):
            raise
        except KeyboardInterrupt:
            raise
        except Exception as exc:  # one line for operators and scripts, not a traceback
            click.echo(f"error: {type(exc).__name__}: {exc}".splitlines()[0], err=True)
            sys.exit(1)


@click.group(cls=_Group, context_settings={"help_option_names": ["-h", "--help"]})
def main() -> None:
    """4.5Hz: a music service backend with pluggable recommenders.

    Reads DATABASE_URL (default sqlite:///./hz45.db), REDIS_URL (unset: in-process jobs) and
    HZ45_CONFIG (an optional TOML file).
    """


def _register_commands() -> None:
    for info in pkgutil.iter_modules(hz45.commands.__path__):
        module = importlib.import_module(f"hz45.commands.{info.name}")
        command = getattr(module, "command", None)
        if isinstance(command, click.Command):
            main.add_command(command)


_register_commands()
