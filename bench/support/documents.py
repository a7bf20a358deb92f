"""GraphQL documents and scripts the benchmarks share, importable without the load generator (which patches the standard library)."""

RECOMMENDATIONS = ("query Recommendations { recommendations(k: 10) { mixId items { score reason "
                   "track { id name artists { name } } contributions { engine score } } } }")

# A script (for `python -c`) that signs in the first {n} listeners and prints one bearer token each.
TOKENS = ("import secrets, hashlib\nfrom datetime import UTC, datetime, timedelta\n"
          "import sqlalchemy as sa\nfrom domain.db import create_db_engine\nfrom domain.settings import get_settings\n"
          "engine = create_db_engine(get_settings().database_url)\n"
          "with engine.begin() as conn:\n"
          "    users = conn.execute(sa.text('select id from app_user order by id limit {n}')).scalars().all()\n"
          "    tokens = [secrets.token_urlsafe(24) for _ in users]\n"
          "    conn.execute(sa.text('insert into auth_token (user_id, token_hash, created_at, expires_at) "
          "values (:u, :h, :now, :exp)'), [dict(u=u, h=hashlib.sha256(t.encode()).hexdigest(), now=datetime.now(UTC), "
          "exp=datetime.now(UTC) + timedelta(days=1)) for u, t in zip(users, tokens)])\n"
          "print('\\n'.join(tokens))")
