"""``hz45 create-user``."""

import os
import sys

import click

from hz45.commands.common import load

PASSWORD_VARIABLE = "HZ45_PASSWORD"
# The values of domain.accounts.users.Gender, so that --help needs no domain import
# (tests/hz45/test_cli.py checks that they agree).
GENDERS = ("FEMALE", "MALE", "OTHER")


@click.command("create-user")
@click.argument("nickname")
@click.option("--admin", is_flag=True, help="Give the account the admin flag.")
@click.option("--name", help="Display name (default: the nickname).")
@click.option("--birth-date", type=click.DateTime(formats=["%Y-%m-%d"]), default="2000-01-01",
              show_default=True, help="YYYY-MM-DD.")
@click.option("--gender", type=click.Choice(GENDERS), default="OTHER", show_default=True)
def command(nickname: str, admin: bool, name: str | None, birth_date, gender: str) -> None:
    """Create an account NICKNAME (with its default playlist) in DATABASE_URL.

    The password is read from HZ45_PASSWORD, or asked for (hidden, twice). It must pass the
    same rules as signUp; any broken rule is printed on one line and the exit status is 1.
    """
    from domain.accounts.users import NewAccount, create_account
    from domain.db import session_scope
    from domain.validation import InvalidInput

    password = os.environ.get(PASSWORD_VARIABLE) or click.prompt(
        "Password", hide_input=True, confirmation_prompt=True)
    settings, engine = load()
    account = NewAccount(nickname=nickname, name=name or nickname, birth_date=birth_date.date(),
                         gender=gender, password=password, is_admin=admin)
    try:
        with session_scope(engine) as session:
            user = create_account(session, account, settings.auth)
    except InvalidInput as error:
        click.echo(f"error: {error.message}", err=True)
        sys.exit(1)
    finally:
        engine.dispose()
    click.echo(f"created {'admin ' if admin else ''}user {user.nickname} (id {user.id})")

