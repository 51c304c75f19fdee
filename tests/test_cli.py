"""The `layan` console script, run as a real process against an embedded (SQLite) data dir."""

from __future__ import annotations

import os
import re
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

LAYAN = Path(sys.executable).parent / "layan"
TOKEN_SHAPE = re.compile(r"layan_[A-Za-z0-9_-]{43}")


def embedded_env(data_dir: Path) -> dict[str, str]:
    """The environment of an embedded install: SQLite in ``data_dir``, no PostgreSQL, no Redis."""
    env = {k: v for k, v in os.environ.items()
           if k not in {"DATABASE_URL", "REDIS_URL", "LAYAN_HUEY_IMMEDIATE", "DJANGO_SETTINGS_MODULE"}}
    env["LAYAN_DATA_DIR"] = str(data_dir)
    env["LAYAN_LANGUAGE"] = "en"  # messages are asserted word for word
    return env


def run_layan(env: dict[str, str], *args: str, timeout: float = 120) -> subprocess.CompletedProcess:
    return subprocess.run([str(LAYAN), *args], env=env, capture_output=True, text=True, timeout=timeout,
                          stdin=subprocess.DEVNULL, check=False)


@pytest.fixture(scope="module")
def layan(tmp_path_factory):
    """Runs `layan ...` on one migrated data dir shared by this module's tests."""
    data_dir = tmp_path_factory.mktemp("layan-cli")
    env = embedded_env(data_dir)
    migrated = run_layan(env, "migrate", "--noinput")
    assert migrated.returncode == 0, migrated.stderr

    def run(*args: str) -> subprocess.CompletedProcess:
        return run_layan(env, *args)

    run.database = data_dir / "layan.sqlite3"
    return run


def count_rows(database: Path, sql: str, *params) -> int:
    with sqlite3.connect(database) as connection:
        return connection.execute(sql, params).fetchone()[0]


def test_createworkspace_prints_only_the_slug(layan):
    result = layan("createworkspace", "--name", "Toko Maju Jaya")

    assert result.returncode == 0, result.stderr
    assert result.stdout == "toko-maju-jaya\n"
    assert result.stderr == ""


def test_createworkspace_uses_the_slug_given(layan):
    result = layan("createworkspace", "--name", "Warung Bu Sri", "--slug", "bu-sri")

    assert result.returncode == 0, result.stderr
    assert result.stdout == "bu-sri\n"


def test_a_duplicate_slug_exits_1_with_a_clear_message(layan):
    assert layan("createworkspace", "--name", "Apotek Sehat").returncode == 0

    result = layan("createworkspace", "--name", "Apotek Sehat Lain", "--slug", "apotek-sehat")

    assert result.returncode == 1
    assert result.stdout == ""
    assert result.stderr == "CommandError: A workspace with slug apotek-sehat already exists.\n"
    assert count_rows(layan.database, "SELECT count(*) FROM accounts_workspace WHERE slug = ?", "apotek-sehat") == 1


def test_createagent_with_a_bad_role_exits_1_and_writes_nothing(layan):
    assert layan("createworkspace", "--name", "Toko Roti").returncode == 0

    result = layan("createagent", "--workspace", "toko-roti", "--email", "bos@roti.test", "--role", "owner",
                   "--password", "rahasia-roti-1")

    assert result.returncode == 1
    assert result.stderr == "CommandError: Role must be admin, supervisor or agent.\n"
    assert "Traceback" not in result.stderr
    assert count_rows(layan.database, "SELECT count(*) FROM accounts_user WHERE email = ?", "bos@roti.test") == 0


def test_createagent_in_an_unknown_workspace_exits_1(layan):
    result = layan("createagent", "--workspace", "tidak-ada", "--email", "a@b.test", "--role", "agent")

    assert result.returncode == 1
    assert result.stderr == "CommandError: No workspace with slug tidak-ada.\n"


def test_createagent_without_a_terminal_generates_and_prints_a_password(layan):
    assert layan("createworkspace", "--name", "Toko Kain").returncode == 0

    result = layan("createagent", "--workspace", "toko-kain", "--email", "Sari@Kain.test", "--role", "supervisor",
                   "--name", "Sari Wulandari")

    assert result.returncode == 0, result.stderr
    added, password_line = result.stdout.splitlines()
    assert added == "Added sari@kain.test to toko-kain as Supervisor."
    assert re.fullmatch(r"Password: [A-Za-z0-9_-]{16}", password_line)
    assert count_rows(layan.database, "SELECT count(*) FROM accounts_agent a JOIN accounts_user u "
                      "ON u.id = a.user_id WHERE u.email = ? AND a.role = ?", "sari@kain.test", "supervisor") == 1


def test_createagent_refuses_a_too_short_password(layan):
    assert layan("createworkspace", "--name", "Toko Buku").returncode == 0

    result = layan("createagent", "--workspace", "toko-buku", "--email", "budi@buku.test", "--role", "agent",
                   "--password", "123")

    assert result.returncode == 1
    assert result.stderr.startswith("CommandError: This password is too short.")
    assert count_rows(layan.database, "SELECT count(*) FROM accounts_user WHERE email = ?", "budi@buku.test") == 0


def test_token_create_prints_only_the_token_and_list_and_revoke_manage_it(layan):
    assert layan("createworkspace", "--name", "Toko Sepatu").returncode == 0
    assert layan("createagent", "--workspace", "toko-sepatu", "--email", "admin@sepatu.test", "--role", "admin",
                 "--password", "sepatu-rahasia-9").returncode == 0

    created = layan("token", "create", "--workspace", "toko-sepatu", "--agent", "admin@sepatu.test",
                    "--name", "integrasi")

    assert created.returncode == 0, created.stderr
    assert TOKEN_SHAPE.fullmatch(created.stdout.rstrip("\n"))
    assert created.stdout.count("\n") == 1
    token = created.stdout.strip()
    prefix = token[:12]

    listed = layan("token", "list", "--workspace", "toko-sepatu")
    assert listed.returncode == 0, listed.stderr
    header, row = listed.stdout.splitlines()
    assert header.split() == ["PREFIX", "AGENT", "NAME", "CREATED", "LAST", "USED", "REVOKED"]
    assert row.split()[:3] == [prefix, "admin@sepatu.test", "integrasi"]
    assert row.split()[-2:] == ["-", "-"]  # never used, not revoked
    assert token not in listed.stdout

    revoked = layan("token", "revoke", "--workspace", "toko-sepatu", "--prefix", prefix)
    assert revoked.returncode == 0, revoked.stderr
    assert revoked.stdout == f"Revoked token {prefix}.\n"
    assert count_rows(layan.database, "SELECT count(*) FROM accounts_apitoken WHERE prefix = ? "
                      "AND revoked_at IS NOT NULL", prefix) == 1


def test_token_create_for_someone_who_is_not_an_agent_exits_1(layan):
    assert layan("createworkspace", "--name", "Toko Tas").returncode == 0

    result = layan("token", "create", "--workspace", "toko-tas", "--agent", "orang@luar.test")

    assert result.returncode == 1
    assert result.stdout == ""
    assert result.stderr == "CommandError: orang@luar.test is not an agent of workspace toko-tas.\n"


def test_token_revoke_of_an_unknown_prefix_exits_1(layan):
    assert layan("createworkspace", "--name", "Toko Jam").returncode == 0

    result = layan("token", "revoke", "--workspace", "toko-jam", "--prefix", "layan_abcdef")

    assert result.returncode == 1
    assert result.stderr == "CommandError: No token with prefix layan_abcdef in toko-jam.\n"
