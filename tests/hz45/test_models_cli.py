"""``hz45 models``: list, roll back, deactivate and sign stored versions."""

from __future__ import annotations

from click.testing import CliRunner
from sqlmodel import Session

from domain.recommendations.model_store import active_versions, load_artifact, store_version
from hz45.cli import main


def models(db_url, *args, **env):
    return CliRunner().invoke(main, ["models", *args], env={"DATABASE_URL": db_url, **env})


def test_roll_back_deactivate_and_list(db_url, db_engine):
    with Session(db_engine) as session:
        for blob in (b"v1", b"v2"):
            store_version(session, "svd", blob, {}, {"val_rmse": 0.9})
        session.commit()
    assert models(db_url, "activate", "svd", "2").exit_code == 0
    result = models(db_url, "activate", "svd", "1")
    assert result.exit_code == 0 and "svd v1 is active" in result.output
    with Session(db_engine) as session:
        assert active_versions(session)["svd"].version == 1
    listing = models(db_url, "list", "svd").output.splitlines()
    assert [line.split()[:3] for line in listing] == [["svd", "v2", listing[0].split()[2]], ["*", "svd", "v1"]]
    result = models(db_url, "activate", "svd", "7")
    assert result.exit_code == 1 and "svd has no version 7: see hz45 models list svd" in result.output
    assert models(db_url, "deactivate", "svd").exit_code == 0
    with Session(db_engine) as session:
        assert "svd" not in active_versions(session)
    assert "(it had none)" in models(db_url, "deactivate", "svd").output


def test_sign_needs_a_key_and_signs_every_artifact(db_url, db_engine):
    with Session(db_engine) as session:
        version_id = store_version(session, "svd", b"old model", {}, {}).id
        session.commit()
    result = models(db_url, "sign")
    assert result.exit_code == 1 and "HZ45_RECOMMENDERS__ARTIFACT_KEY" in result.output
    result = models(db_url, "sign", HZ45_RECOMMENDERS__ARTIFACT_KEY="k3y")
    assert result.exit_code == 0 and "signed 1 artifacts" in result.output
    with Session(db_engine) as session:
        assert load_artifact(session, version_id, b"k3y") == b"old model"
