"""`chengyun backup` / `chengyun restore`: a round trip into an empty data directory compares every
table's row count and checksum and every uploaded file; on PostgreSQL (the suite's PostgreSQL
pass) the same round trip runs through pg_dump/pg_restore between scratch databases."""
from __future__ import annotations

import json
import os
import secrets
import shutil
import sqlite3
import subprocess
import sys
import tarfile
import threading
from pathlib import Path
from urllib.parse import urlparse

import pytest

from chengyun.ops import backup as B

REPO = Path(__file__).resolve().parents[2]
PG_URL = os.environ.get("CHENGYUN_DATABASE_URL", "")
ENGINES = ["sqlite"] + (["postgresql"] if PG_URL.startswith(("postgres://", "postgresql://")) else [])

SEED = """
from chengyun.monitoring import services
from chengyun.ops.heartbeat import beat
from django.core.files.storage import default_storage
from django.core.files.base import ContentFile
for k in range(3):
    services.create_device(None, mn=f'BK{k:04d}', password='pw123456', st='21', name=f'备份站{k}', factors=['w01001'])
beat('hj212-server', '0.0.0.0:9212', detail={'说明': '中文'})
default_storage.save('cases/2026/photo.jpg', ContentFile(b'\\xff\\xd8 photo bytes'))
default_storage.save('reports/周报.docx', ContentFile(b'docx bytes'))
"""


class Install:
    def __init__(self, root: Path, engine: str, name: str, template: Path | None = None):
        self.data_dir = root / name
        self.env = {k: v for k, v in os.environ.items() if not k.startswith(("CHENGYUN_", "DJANGO_"))}
        self.env.update({"PYTHONPATH": str(REPO), "CHENGYUN_MODE": "test", "CHENGYUN_DATA_DIR": str(self.data_dir)})
        self.db_name = None
        if engine == "postgresql":
            self.db_name = f"chengyun_bk_{name}_{os.getpid()}_{secrets.token_hex(3)}"
            self.env["CHENGYUN_DATABASE_URL"] = urlparse(PG_URL)._replace(path=f"/{self.db_name}").geturl()
            _pg_admin(f'CREATE DATABASE "{self.db_name}"')
        self.template = template if engine == "sqlite" else None

    def migrate(self):
        if self.template is None:
            self.run("migrate", "-v0")
        else:  # a copy of one migrated database: the same schema, without migrating again
            self.data_dir.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(self.template, self.data_dir / "chengyun.sqlite3")

    def run(self, *args, check=True):
        result = subprocess.run([sys.executable, "-m", "chengyun.cli", *args], env=self.env, capture_output=True, text=True,
                                timeout=300, cwd=REPO)
        if check:
            assert result.returncode == 0, result.stderr[-3000:]
        return result

    def digests(self) -> dict:
        if self.db_name is None:
            return B.sqlite_digests(self.data_dir / "chengyun.sqlite3")
        import psycopg

        with psycopg.connect(self.env["CHENGYUN_DATABASE_URL"]) as conn, conn.cursor() as cursor:
            return B.pg_digests(cursor)

    def drop(self):
        if self.db_name:
            _pg_admin(f'DROP DATABASE IF EXISTS "{self.db_name}" WITH (FORCE)')


def _pg_admin(sql: str) -> None:
    import psycopg

    with psycopg.connect(urlparse(PG_URL)._replace(path="/postgres").geturl(), autocommit=True) as conn:
        conn.execute(sql)


@pytest.fixture(scope="module")
def migrated_sqlite(tmp_path_factory):
    root = tmp_path_factory.mktemp("template")
    Install(root, "sqlite", "template").run("migrate", "-v0")
    return root / "template" / "chengyun.sqlite3"


@pytest.fixture
def installs(tmp_path, migrated_sqlite):
    made = []

    def make(engine, name):
        made.append(Install(tmp_path, engine, name, template=migrated_sqlite))
        return made[-1]

    yield make
    for install in made:
        install.drop()


@pytest.mark.parametrize("engine", ENGINES)
def test_round_trip_restores_every_table_and_file(installs, tmp_path, engine):
    source = installs(engine, "src")
    source.migrate()
    source.run("shell", "-c", SEED)
    archive = tmp_path / "backup.tar.gz"
    out = source.run("backup", "--output", str(archive)).stdout
    assert "备份完成" in out
    assert oct(archive.stat().st_mode & 0o777) == "0o600"  # holds the secret key and citizens' data

    manifest = B.read_manifest(archive)
    assert manifest["engine"] == engine and manifest["tables"]["monitoring_device"]["rows"] == 3
    assert set(manifest["files"]) >= {"media/cases/2026/photo.jpg", "media/reports/周报.docx"}

    target = installs(engine, "dst")
    out = target.run("restore", str(archive)).stdout
    assert "恢复完成并已核对" in out
    # Every table: same row count and checksum as the source database now.
    assert B.compare_tables(source.digests(), target.digests()) == []
    assert source.digests() == target.digests() and len(target.digests()) > 50
    for name in ("cases/2026/photo.jpg", "reports/周报.docx"):
        assert (target.data_dir / "media" / name).read_bytes() == (source.data_dir / "media" / name).read_bytes()
    # The restored installation works: same data through Django.
    listed = target.run("shell", "-c", "from chengyun.monitoring.models import Device; print(sorted(Device.objects.values_list('mn', flat=True)))")
    assert listed.stdout.strip().splitlines()[-1] == "['BK0000', 'BK0001', 'BK0002']"


@pytest.mark.parametrize("engine", ENGINES)
def test_restore_refuses_a_used_data_directory_or_database(installs, tmp_path, engine):
    source = installs(engine, "src")
    source.migrate()
    archive = tmp_path / "b.tar"
    source.run("backup", "--output", str(archive))
    result = source.run("restore", str(archive), check=False)  # into itself
    assert result.returncode != 0 and "不是空的" in result.stderr
    assert result.stderr.strip().count("\n") == 0


def test_backup_is_consistent_while_writes_go_on(installs, tmp_path):
    """SQLite's online backup API copies one snapshot: rows written meanwhile are either in the
    archive or not, and the manifest's checksums describe exactly what is archived."""
    source = installs("sqlite", "src")
    source.migrate()
    db = source.data_dir / "chengyun.sqlite3"
    conn = sqlite3.connect(db)
    conn.execute("CREATE TABLE probe (id INTEGER PRIMARY KEY, note TEXT)")
    conn.commit()
    stop = threading.Event()

    def writer():
        w = sqlite3.connect(db, timeout=30)
        n = 0
        while not stop.is_set():
            w.execute("INSERT INTO probe (note) VALUES (?)", (f"写入 {n}",))
            w.commit()
            n += 1
        w.close()

    thread = threading.Thread(target=writer)
    thread.start()
    try:
        archive = tmp_path / "live.tar"
        source.run("backup", "--output", str(archive))
    finally:
        stop.set()
        thread.join()
    conn.close()
    target = installs("sqlite", "dst")
    assert "恢复完成并已核对" in target.run("restore", str(archive)).stdout
    restored = target.digests()["probe"]
    assert restored == B.read_manifest(archive)["tables"]["probe"] and restored["rows"] > 0


def test_damaged_archive_is_refused_before_anything_is_written(installs, tmp_path):
    source = installs("sqlite", "src")
    source.migrate()
    source.run("shell", "-c", SEED)
    archive = tmp_path / "ok.tar"
    source.run("backup", "--output", str(archive))
    damaged = tmp_path / "damaged.tar"
    with tarfile.open(archive) as src, tarfile.open(damaged, "w") as dst:
        for member in src.getmembers():
            data = src.extractfile(member).read()
            if member.name == "media/cases/2026/photo.jpg":
                data = data[::-1]
            member.size = len(data)
            import io

            dst.addfile(member, io.BytesIO(data))
    target = installs("sqlite", "dst")
    result = target.run("restore", str(damaged), check=False)
    assert result.returncode != 0 and "已损坏" in result.stderr and "photo.jpg" in result.stderr
    assert not (target.data_dir / "chengyun.sqlite3").exists()
    not_a_backup = tmp_path / "x.tar"
    with tarfile.open(not_a_backup, "w"):
        pass
    result = installs("sqlite", "dst2").run("restore", str(not_a_backup), check=False)
    assert result.returncode != 0 and "城运备份" in result.stderr


def test_data_dir_in_use_rules(tmp_path):
    assert B.data_dir_in_use(tmp_path / "absent") is None
    (tmp_path / "static").mkdir()
    (tmp_path / "secret_key").write_text("k")
    (tmp_path / "media").mkdir()
    assert B.data_dir_in_use(tmp_path) is None  # only what a starting process creates
    (tmp_path / "media" / "a.jpg").write_bytes(b"x")
    assert "media" in B.data_dir_in_use(tmp_path)
    (tmp_path / "media" / "a.jpg").unlink()
    (tmp_path / "chengyun.sqlite3").write_bytes(b"SQLite format 3")
    assert "chengyun.sqlite3" in B.data_dir_in_use(tmp_path)


def test_compare_tables_names_each_difference():
    a = {"t1": {"rows": 2, "sha256": "x"}, "t2": {"rows": 1, "sha256": "y"}}
    b = {"t1": {"rows": 2, "sha256": "z"}, "t3": {"rows": 0, "sha256": "e"}}
    assert B.compare_tables(a, b) == ["表 t1：备份 2 行，恢复后 2 行，校验和不同", "缺少表 t2", "多出表 t3"]
    assert json.dumps(B.compare_tables(a, a)) == "[]"
