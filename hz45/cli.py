"""The ``hz45`` command line (SPEC §8).

Every module of :mod:`hz45.commands` but the shared helpers defines ``command``, a click command
named after the module (``seed_demo`` is ``hz45 seed-demo``), so a new command is a new small
file. A module is imported only when its command is run or its help shown. Failures exit
non-zero with one line.
"""

from __future__ import annotations

import functools
import importlib
import pkgutil
import sys

import click

import hz45.commands

# Raised for unknown command names by click >= 8.4 (older versions suggest no close names).
_NoSuchCommand = getattr(click.exceptions, "NoSuchCommand", ())


@functools.cache
def command_modules() -> dict[str, str]:
    """Command name -> module path, for every command module of :mod:`hz45.commands`."""
    return {
        info.name.replace("_", "-"): f"{hz45.commands.__name__}.{info.name}"
        for info in pkgutil.iter_modules(hz45.commands.__path__)
        if not info.ispkg and not info.name.startswith("_") and info.name not in hz45.commands.HELPERS
    }


class _Group(click.Group):
    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted({*super().list_commands(ctx), *command_modules()})

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        command = super().get_command(ctx, cmd_name)
        if command is None and cmd_name in command_modules():
            command = getattr(importlib.import_module(command_modules()[cmd_name]), "command", None)
        return command if isinstance(command, click.Command) else None

    def resolve_command(self, ctx: click.Context, args: list[str]):
        try:
            return super().resolve_command(ctx, args)
        except _NoSuchCommand as exc:
            # click suggests close names from the commands added eagerly; offer the lazy ones too.
            raise _NoSuchCommand(exc.command_name, possibilities=self.list_commands(ctx), ctx=ctx) from None

    def invoke(self, ctx: click.Context):
        try:
            return super().invoke(ctx)
        except (click.exceptions.Exit, click.exceptions.Abort, click.ClickException):
            raise
        except KeyboardInterrupt:
            raise
        except Exception as exc:  # one line for operators and scripts, not a traceback
            from hz45.commands.common import database_failure

            line = database_failure(exc) or f"{type(exc).__name__}: {exc}"
            click.echo(f"error: {line}".splitlines()[0], err=True)
            sys.exit(1)


@click.group(cls=_Group, context_settings={"help_option_names": ["-h", "--help"]})
def main() -> None:
    """4.5Hz: a music service backend with pluggable recommenders.

    Reads DATABASE_URL (default sqlite:///./hz45.db), REDIS_URL (unset: in-process jobs) and
    HZ45_CONFIG (an optional TOML file).
    """
