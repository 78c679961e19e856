"""Consistent online backup and restore of one installation: database, uploads, secret key.

A backup is one tar archive (gzip-compressed when the name ends in .gz/.tgz):

    manifest.json            format, version, engine, time, per-table row count and SHA-256,
                             per-file SHA-256
    database.sqlite3         SQLite: a copy made with SQLite's online backup API, or
    database.pgdump          PostgreSQL: pg_dump -Fc of an exported snapshot
    media/…                  uploads (photos, snapshots, generated reports)
    secret_key               the generated key file, when the key is not given by the environment

The table checksums are computed from the very snapshot that is archived (the SQLite copy;
PostgreSQL's exported snapshot, shared with pg_dump), so writes during the backup neither
break the archive nor the comparison after a restore. Restore goes into an empty data
directory (and, on PostgreSQL, an existing database without tables) and verifies every table
and file against the manifest before it reports success.
"""
from __future__ import annotations

import datetime as dt
import hashlib
import io
import json
import os
import shutil
import sqlite3
import subprocess
import tarfile
import tempfile
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any, Iterable

FORMAT = "chengyun-backup"
FORMAT_VERSION = 1
# What the settings create by themselves when a process starts; a data directory holding only
# these (and no database or uploads) is still empty for restore.
# (the job queue's SQLite file is created when Django starts, before any command runs).
STARTUP_ENTRIES = {"static", "cache", "secret_key", "metrics", "huey.sqlite3", "huey.sqlite3-wal", "huey.sqlite3-shm"}


class BackupError(Exception):
    """A refusal or failure, with a one-line Chinese message."""


# ---------------------------------------------------------------- checksums


def _canonical(value: Any) -> str:
    if value is None:
        return "\\N"
    if isinstance(value, (bytes, bytearray, memoryview)):
        return "x" + bytes(value).hex()
    if isinstance(value, float):
        return repr(value)
    if isinstance(value, (dict, list)):
        return json.dumps(value, sort_keys=True, ensure_ascii=False)
    if isinstance(value, (dt.datetime, dt.date, dt.time, Decimal)):
        return value.isoformat() if hasattr(value, "isoformat") else str(value)
    return str(value)


def table_digest(cursor, table: str, quote) -> dict:
    """Row count and SHA-256 of a table's rows in a stable order (every column, ascending)."""
    cursor.execute(f"SELECT * FROM {quote(table)} WHERE 1 = 0")
    width = len(cursor.description)
    order = ", ".join(str(i) for i in range(1, width + 1))
    cursor.execute(f"SELECT * FROM {quote(table)} ORDER BY {order}")
    digest = hashlib.sha256()
    rows = 0
    while True:
        chunk = cursor.fetchmany(2000)
        if not chunk:
            break
        for row in chunk:
            digest.update("\x1f".join(_canonical(v) for v in row).encode("utf-8", "surrogatepass"))
            digest.update(b"\x1e")
            rows += 1
    return {"rows": rows, "sha256": digest.hexdigest()}


def _quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def sqlite_tables(conn: sqlite3.Connection) -> list[str]:
    return [r[0] for r in conn.execute(
        "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name")]


def sqlite_digests(path: Path) -> dict[str, dict]:
    conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        cursor = conn.cursor()
        return {t: table_digest(cursor, t, _quote) for t in sqlite_tables(conn)}
    finally:
        conn.close()


def pg_tables(cursor) -> list[str]:
    cursor.execute("SELECT table_name FROM information_schema.tables WHERE table_schema = 'public' "
                   "AND table_type = 'BASE TABLE' ORDER BY table_name")
    return [r[0] for r in cursor.fetchall()]


def pg_digests(cursor) -> dict[str, dict]:
    return {t: table_digest(cursor, t, _quote) for t in pg_tables(cursor)}


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


# ---------------------------------------------------------------- where things are


@dataclass
class Site:
    """One installation's locations, read from the settings by the commands."""

    data_dir: Path
    media_root: Path
    database: dict  # Django's DATABASES["default"]
    key_from_environment: bool
    extra: dict = field(default_factory=dict)

    @property
    def engine(self) -> str:
        return "postgresql" if "postgresql" in self.database["ENGINE"] else "sqlite"

    @property
    def secret_key_file(self) -> Path:
        return self.data_dir / "secret_key"


def data_dir_in_use(path: str | os.PathLike) -> str | None:
    """Why a directory may not receive a restore (None: absent or empty enough)."""
    root = Path(path)
    if not root.exists():
        return None
    if not root.is_dir():
        return "不是目录"
    for entry in sorted(root.iterdir()):
        if entry.name in STARTUP_ENTRIES or (entry.is_file() and entry.stat().st_size == 0):
            continue
        if entry.name == "media" and entry.is_dir():
            if any(p.is_file() for p in entry.rglob("*")):
                return "media/ 中已有上传文件"
            continue
        return f"已有 {entry.name}"
    return None


def _pg_env(db: dict) -> dict:
    env = dict(os.environ)
    for key, var in (("HOST", "PGHOST"), ("PORT", "PGPORT"), ("USER", "PGUSER"), ("PASSWORD", "PGPASSWORD")):
        if db.get(key):
            env[var] = str(db[key])
    return env


def _pg_connect(db: dict, name: str | None = None):
    import psycopg

    params = {k.lower(): v for k, v in db.get("OPTIONS", {}).items() if k.lower() in ("sslmode", "sslrootcert", "connect_timeout")}
    return psycopg.connect(dbname=name or db["NAME"], user=db.get("USER") or None, password=db.get("PASSWORD") or None,
                           host=db.get("HOST") or None, port=db.get("PORT") or None, **params)


def _tool(name: str) -> str:
    found = shutil.which(name)
    if not found:
        raise BackupError(f"找不到 {name}：请安装 PostgreSQL 客户端（Debian: apt-get install postgresql-client）")
    return found


# ---------------------------------------------------------------- backup


def _media_files(media_root: Path) -> Iterable[Path]:
    if media_root.is_dir():
        yield from sorted(p for p in media_root.rglob("*") if p.is_file())


def backup(site: Site, output: Path, *, log=print) -> dict:
    output = output.resolve()
    output.parent.mkdir(parents=True, exist_ok=True)
    compressed = output.name.endswith((".gz", ".tgz"))
    manifest: dict[str, Any] = {
        "format": FORMAT, "format_version": FORMAT_VERSION, "chengyun": site.extra.get("version", ""),
        "created_at": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"), "engine": site.engine,
        "tables": {}, "files": {}, "secret_key": "environment" if site.key_from_environment else "file",
    }
    with tempfile.TemporaryDirectory(prefix="chengyun-backup-", dir=output.parent) as tmp:
        tmpdir = Path(tmp)
        if site.engine == "sqlite":
            db_name = "database.sqlite3"
            _sqlite_snapshot(Path(site.database["NAME"]), tmpdir / db_name)
            manifest["tables"] = sqlite_digests(tmpdir / db_name)
        else:
            db_name = "database.pgdump"
            manifest["tables"] = _pg_snapshot(site.database, tmpdir / db_name)
        manifest["database"] = db_name
        media = list(_media_files(site.media_root))
        for path in media:
            manifest["files"]["media/" + path.relative_to(site.media_root).as_posix()] = file_sha256(path)
        include_key = not site.key_from_environment and site.secret_key_file.is_file()
        if include_key:
            manifest["files"]["secret_key"] = file_sha256(site.secret_key_file)
        partial = output.with_name(output.name + ".partial")
        # The archive holds the secret key and citizens' data: readable by its owner only.
        fd = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "wb") as raw, tarfile.open(fileobj=raw, mode="w:gz" if compressed else "w") as tar:
            body = json.dumps(manifest, ensure_ascii=False, indent=1).encode()
            info = tarfile.TarInfo("manifest.json")
            info.size, info.mode, info.mtime = len(body), 0o600, int(dt.datetime.now().timestamp())
            tar.addfile(info, io.BytesIO(body))
            tar.add(tmpdir / db_name, arcname=db_name)
            for path in media:
                tar.add(path, arcname="media/" + path.relative_to(site.media_root).as_posix())
            if include_key:
                tar.add(site.secret_key_file, arcname="secret_key")
        os.replace(partial, output)
    rows = sum(t["rows"] for t in manifest["tables"].values())
    log(f"备份完成：{output}（{site.engine}，{len(manifest['tables'])} 张表 {rows} 行，{len(media)} 个上传文件）")
    return manifest


def _sqlite_snapshot(source: Path, target: Path) -> None:
    if not source.exists():
        raise BackupError(f"数据库文件不存在：{source}")
    src = sqlite3.connect(f"file:{source}?mode=ro", uri=True, timeout=60)
    dst = sqlite3.connect(target)
    try:
        # The online backup API copies a consistent snapshot while other processes keep writing.
        src.backup(dst, pages=4096)
        dst.execute("PRAGMA journal_mode=DELETE")
    finally:
        dst.close()
        src.close()


def _pg_snapshot(db: dict, target: Path) -> dict[str, dict]:
    pg_dump = _tool("pg_dump")
    conn = _pg_connect(db)
    try:
        with conn.cursor() as cursor:
            cursor.execute("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY")
            cursor.execute("SELECT pg_export_snapshot()")
            snapshot = cursor.fetchone()[0]
            # pg_dump reads the same snapshot, so the archive and the checksums agree exactly.
            dump = subprocess.Popen([pg_dump, "--format=custom", "--no-owner", "--no-privileges", f"--snapshot={snapshot}",
                                     "--file", str(target), db["NAME"]], env=_pg_env(db), stderr=subprocess.PIPE, text=True)
            digests = pg_digests(cursor)
            _, err = dump.communicate()
            if dump.returncode != 0:
                raise BackupError(f"pg_dump 失败：{err.strip().splitlines()[-1] if err.strip() else dump.returncode}")
            cursor.execute("COMMIT")
        return digests
    finally:
        conn.close()


# ---------------------------------------------------------------- restore


def read_manifest(archive: Path) -> dict:
    try:
        with tarfile.open(archive) as tar:
            member = tar.extractfile("manifest.json")
            manifest = json.loads(member.read()) if member else None
    except (OSError, tarfile.TarError, KeyError, json.JSONDecodeError) as exc:
        raise BackupError(f"不是有效的城运备份文件：{archive}（{exc}）") from None
    if not manifest or manifest.get("format") != FORMAT:
        raise BackupError(f"不是城运备份文件：{archive}")
    if manifest.get("format_version", 0) > FORMAT_VERSION:
        raise BackupError(f"备份格式版本 {manifest.get('format_version')} 比本程序新，请升级后再恢复")
    return manifest


def restore(site: Site, archive: Path, *, log=print) -> dict:
    manifest = read_manifest(archive)
    if manifest["engine"] != site.engine:
        raise BackupError(f"备份来自 {manifest['engine']}，当前配置为 {site.engine}；请用相同的数据库类型恢复")
    reason = data_dir_in_use(site.data_dir)
    if reason:
        raise BackupError(f"数据目录 {site.data_dir} 不是空的（{reason}）；请恢复到新的空目录")
    if site.engine == "sqlite" and Path(site.database["NAME"]).exists() and Path(site.database["NAME"]).stat().st_size:
        raise BackupError(f"数据库文件已存在：{site.database['NAME']}；请恢复到新的空目录")
    if site.engine == "postgresql":
        _require_empty_pg(site.database)
    site.data_dir.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="chengyun-restore-", dir=site.data_dir) as tmp:
        tmpdir = Path(tmp)
        with tarfile.open(archive) as tar:
            tar.extractall(tmpdir, filter="data")
        _verify_files(tmpdir, manifest)
        db_file = tmpdir / manifest["database"]
        if site.engine == "sqlite":
            target = Path(site.database["NAME"])
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(db_file, target)
            target.chmod(0o600)
            restored = sqlite_digests(target)
        else:
            restored = _pg_restore(site.database, db_file)
        media_src = tmpdir / "media"
        if media_src.is_dir():
            shutil.copytree(media_src, site.media_root, dirs_exist_ok=True)
        if (tmpdir / "secret_key").is_file():
            shutil.copyfile(tmpdir / "secret_key", site.secret_key_file)
            site.secret_key_file.chmod(0o600)
    differences = compare_tables(manifest["tables"], restored)
    if differences:
        raise BackupError("恢复后的数据与备份清单不一致：" + "；".join(differences[:5]))
    rows = sum(t["rows"] for t in restored.values())
    log(f"恢复完成并已核对：{len(restored)} 张表 {rows} 行、{len(manifest['files'])} 个文件与备份清单一致")
    if manifest.get("secret_key") == "environment":
        log("注意：备份时密钥来自环境变量 CHENGYUN_SECRET_KEY，请在新环境中设置同一密钥")
    return manifest


def compare_tables(expected: dict[str, dict], actual: dict[str, dict]) -> list[str]:
    problems = []
    for table in sorted(set(expected) | set(actual)):
        want, got = expected.get(table), actual.get(table)
        if want is None:
            problems.append(f"多出表 {table}")
        elif got is None:
            problems.append(f"缺少表 {table}")
        elif want != got:
            problems.append(f"表 {table}：备份 {want['rows']} 行，恢复后 {got['rows']} 行，校验和{'相同' if want['sha256'] == got['sha256'] else '不同'}")
    return problems


def _verify_files(root: Path, manifest: dict) -> None:
    for name, sha in manifest["files"].items():
        path = root / name
        if not path.is_file() or file_sha256(path) != sha:
            raise BackupError(f"备份文件已损坏：{name} 缺失或校验和不符")


def _require_empty_pg(db: dict) -> None:
    try:
        conn = _pg_connect(db)
    except Exception as exc:
        raise BackupError(f"无法连接目标数据库 {db['NAME']}：{exc}（请先创建空数据库）") from None
    try:
        with conn.cursor() as cursor:
            tables = pg_tables(cursor)
    finally:
        conn.close()
    if tables:
        raise BackupError(f"目标数据库 {db['NAME']} 不是空的（已有 {len(tables)} 张表）；请恢复到新建的空数据库")


def _pg_restore(db: dict, dump: Path) -> dict[str, dict]:
    result = subprocess.run([_tool("pg_restore"), "--no-owner", "--no-privileges", "--exit-on-error", "--single-transaction",
                             "--dbname", db["NAME"], str(dump)], env=_pg_env(db), capture_output=True, text=True)
    if result.returncode != 0:
        raise BackupError(f"pg_restore 失败：{result.stderr.strip().splitlines()[-1] if result.stderr.strip() else result.returncode}")
    conn = _pg_connect(db)
    try:
        with conn.cursor() as cursor:
            return pg_digests(cursor)
    finally:
        conn.close()
