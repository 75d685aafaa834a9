"""A ledger on a network filesystem: /proc/mounts parsed (longest mount-point prefix), WAL replaced by the
rollback journal with a busy timeout, and the record says so. Fake mounts files; real SQLite."""

from __future__ import annotations

import sqlite3

import pytest

from flopcast.measure import Ledger, netfs, track
from flopcast.measure.netfs import Mount, mount_of, parse_mounts


def mounts_with(point, fs_type):
    return (
        f"/dev/sda1 / ext4 rw,relatime 0 0\nproc /proc proc rw 0 0\n"
        f"server:/export {point} {fs_type} rw,vers=4.2,hard 0 0\n"
        f"tmpfs {point}/scratch tmpfs rw 0 0\n"
    )


def test_parse_mounts_undoes_octal_escapes_and_skips_junk():
    got = parse_mounts("srv:/a /mnt/my\\040data nfs4 rw 0 0\nbroken\n//h/s /mnt/s cifs rw 0 0\n")
    assert got == [Mount("/mnt/my data", "nfs4"), Mount("/mnt/s", "cifs")]


@pytest.mark.parametrize("fs_type", ["nfs", "nfs4", "cifs", "smbfs", "lustre", "gpfs", "beegfs", "fuse.sshfs"])
def test_network_types_are_network(tmp_path, fs_type):
    m = mount_of(tmp_path / "runs.sqlite", mounts_with(str(tmp_path), fs_type))
    assert m == Mount(str(tmp_path), fs_type) and m.network


def test_the_longest_mount_point_prefix_wins(tmp_path):
    (tmp_path / "scratch").mkdir()
    text = mounts_with(str(tmp_path), "nfs4")
    assert mount_of(tmp_path / "scratch" / "runs.sqlite", text) == Mount(f"{tmp_path}/scratch", "tmpfs")
    assert mount_of(tmp_path / "a" / "b" / "runs.sqlite", text).fs_type == "nfs4"  # not yet created: its ancestor
    # a prefix of the name is not a parent: /x/homes is not under the /x/home mount
    assert mount_of(
        tmp_path / "runs.sqlite", f"/ ext4\nsrv:/h {tmp_path}x nfs rw 0 0\n".replace(" ext4", " / ext4")
    ) == Mount("/", "ext4")


def test_no_mounts_file_means_unknown(tmp_path, monkeypatch):
    monkeypatch.setattr(netfs, "MOUNTS", tmp_path / "absent")
    assert mount_of(tmp_path) is None


def _journal(path):
    conn = sqlite3.connect(path)  # closed at once: an open reader keeps a WAL file from switching mode
    try:
        return conn.execute("PRAGMA journal_mode").fetchone()[0]
    finally:
        conn.close()


def test_a_ledger_on_nfs_uses_the_rollback_journal(tmp_path):
    path = tmp_path / "runs.sqlite"
    with Ledger(path, mounts=mounts_with(str(tmp_path), "nfs4")) as led:
        assert led.journal_mode == "delete" and "nfs4" in led.journal_note and "sqlite.org/wal.html" in led.journal_note
        assert led._conn.execute("PRAGMA busy_timeout").fetchone()[0] == 30_000
        assert led._conn.execute("PRAGMA synchronous").fetchone()[0] == 2  # FULL with a rollback journal
    assert _journal(path) == "delete" and not (tmp_path / "runs.sqlite-wal").exists()


def test_a_wal_ledger_moved_onto_nfs_is_switched_and_back(tmp_path):
    path = tmp_path / "runs.sqlite"
    Ledger(path, mounts="/dev/sda1 / ext4 rw 0 0\n").close()
    assert _journal(path) == "wal"
    Ledger(path, mounts=mounts_with(str(tmp_path), "lustre")).close()
    assert _journal(path) == "delete"
    with Ledger(path, mounts="/dev/sda1 / ext4 rw 0 0\n") as led:
        assert led.journal_mode == "wal" and led.journal_note is None
    assert _journal(path) == "wal"


def test_a_run_on_a_network_ledger_says_so_in_its_assumptions(tmp_path, monkeypatch):
    (tmp_path / "mounts").write_text(mounts_with(str(tmp_path), "fuse.sshfs"))
    monkeypatch.setattr(netfs, "MOUNTS", tmp_path / "mounts")
    path = tmp_path / "runs.sqlite"
    with track(ledger=path, interval=0.02) as run:
        run.step(loss=1.0)
    rec = run.result
    note = next(a for a in rec.assumptions if a.name == "ledger_journal_mode")
    assert note.value == "delete" and "fuse.sshfs" in note.source and rec.ledger == str(path)
    assert _journal(path) == "delete"
    with Ledger(path, readonly=True) as led:
        assert led.run(run.run_id)["status"] == "completed" and len(led.steps(run.run_id)) == 1


def test_a_local_ledger_notes_nothing(tmp_path, monkeypatch):
    (tmp_path / "mounts").write_text("/dev/sda1 / ext4 rw 0 0\n")
    monkeypatch.setattr(netfs, "MOUNTS", tmp_path / "mounts")
    with track(ledger=tmp_path / "runs.sqlite", interval=0.02) as run:
        run.step()
    assert not any(a.name == "ledger_journal_mode" for a in run.result.assumptions)
    assert _journal(tmp_path / "runs.sqlite") == "wal"
