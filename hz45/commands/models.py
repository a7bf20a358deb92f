"""``hz45 models``: list, roll back, take out of service and sign stored model versions."""

from __future__ import annotations

import json

import click

from hz45.commands.common import load


@click.group("models")
def command() -> None:
    """Stored model versions. Running API servers follow a change within
    recommenders.refresh_seconds (10 s by default), without a restart."""


@command.command("list")
@click.argument("engine", required=False)
def list_versions(engine: str | None) -> None:
    """Every stored version (of ENGINE), newest first; * marks the active one."""
    from sqlmodel import Session

    from domain.recommendations.model_store import versions

    _, db = load()
    with Session(db) as session:
        rows = versions(session, engine)
        for row in rows:
            metrics = {k: round(v, 4) if isinstance(v, float) else v for k, v in row.metrics.items()
                       if not k.startswith(("bic_", "silhouette_"))}
            click.echo(f"{'*' if row.active else ' '} {row.engine} v{row.version} "
                       f"{row.trained_at:%Y-%m-%d %H:%M}Z {json.dumps(metrics)}")
    if not rows:
        click.echo("no stored versions" + (f" of {engine}" if engine else ""))


@command.command("activate")
@click.argument("engine")
@click.argument("version", type=int)
def activate_version(engine: str, version: int) -> None:
    """Make VERSION the active version of ENGINE (e.g. roll back a retrain)."""
    from sqlmodel import Session, select

    from domain.recommendations.model_store import activate
    from domain.recommendations.tables import ModelVersion

    _, db = load()
    with Session(db) as session:
        row = session.exec(select(ModelVersion).where(ModelVersion.engine == engine,
                                                      ModelVersion.version == version)).first()
        if row is None:
            raise click.ClickException(f"{engine} has no version {version}: see hz45 models list {engine}")
        activate(session, row.id)
        session.commit()
    click.echo(f"{engine} v{version} is active")


@command.command("deactivate")
@click.argument("engine")
def deactivate_engine(engine: str) -> None:
    """Leave ENGINE with no active version: API servers unload it and mixes skip it."""
    from sqlmodel import Session

    from domain.recommendations.model_store import deactivate

    _, db = load()
    with Session(db) as session:
        changed = deactivate(session, engine)
        session.commit()
    click.echo(f"{engine}: no active version" + ("" if changed else " (it had none)"))


@command.command("sign")
def sign() -> None:
    """Sign every stored artifact with HZ45_RECOMMENDERS__ARTIFACT_KEY (once, when turning
    signing on: you vouch for the versions stored so far)."""
    from sqlmodel import Session

    from domain.recommendations.model_store import ArtifactRefused, sign_versions

    settings, db = load()
    key = settings.recommenders.signing_key()
    if key is None:
        raise click.ClickException("no signing key: set HZ45_RECOMMENDERS__ARTIFACT_KEY first")
    with Session(db) as session:
        try:
            signed = sign_versions(session, key)
        except ArtifactRefused as exc:
            raise click.ClickException(f"{exc}; nothing was signed") from exc
        session.commit()
    click.echo(f"signed {signed} artifacts")
