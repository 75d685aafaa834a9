"""Which filesystem holds a path, and whether it is a network one (where SQLite's WAL mode is unsafe).

SQLite, "Write-Ahead Logging" (sqlite.org/wal.html, §1): "All processes using a database must be on the same
host computer; WAL does not work over a network filesystem"; its file-format page (sqlite.org/fileformat2.html,
§4.5 "WAL-Index Format") gives the reason: the wal-index is shared memory (an mmapped ``-shm`` file), so
"SQLite does not support journal_mode=WAL on a network filesystem when clients are on different machines".
On such a mount the ledger uses the rollback journal (``journal_mode=DELETE``) and a busy timeout instead.

:func:`mount_of` reads ``/proc/mounts`` (proc(5): device, mount point with octal escapes, type, options...)
and takes the longest mount point that is a path prefix of the file's resolved directory. Cost: O(mounts)
per ledger open.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from pathlib import Path

MOUNTS = Path("/proc/mounts")
# kernel and FUSE type names of filesystems whose files other hosts write too
NETWORK_FS_TYPES = frozenset(
    {
        "nfs",
        "nfs4",
        "cifs",
        "smbfs",
        "smb3",
        "ncpfs",
        "afs",
        "9p",
        "lustre",
        "gpfs",
        "beegfs",
        "ceph",
        "glusterfs",
        "ocfs2",
        "gfs2",
        "panfs",
        "pvfs2",
        "orangefs",
        "wekafs",
        "davfs",
        "fuse.sshfs",
        "fuse.ceph",
        "fuse.cephfs",
        "fuse.glusterfs",
        "fuse.s3fs",
        "fuse.gcsfuse",
        "fuse.juicefs",
        "fuse.rclone",
        "fuse.beegfs",
        "fuse.lustre",
    }
)
_ESCAPE = re.compile(r"\\([0-7]{3})")


@dataclass(frozen=True)
class Mount:
    """One line of ``/proc/mounts``: where a filesystem is mounted and its type."""

    mount_point: str
    fs_type: str

    @property
    def network(self) -> bool:
        return self.fs_type in NETWORK_FS_TYPES


def parse_mounts(text: str) -> list[Mount]:
    """The ``/proc/mounts`` lines as :class:`Mount` (octal escapes such as ``\\040`` for a space undone);
    malformed lines are skipped."""
    out = []
    for line in text.splitlines():
        fields = line.split()
        if len(fields) >= 3:
            point = _ESCAPE.sub(lambda m: chr(int(m.group(1), 8)), fields[1])
            out.append(Mount(point, fields[2].lower()))
    return out


def _under(path: str, point: str) -> bool:
    return point == "/" or path == point or path.startswith(point.rstrip("/") + "/")


def mount_of(path: str | Path, mounts: str | None = None) -> Mount | None:
    """The mount holding ``path`` (its nearest existing ancestor, resolved): the longest mount point that is a
    prefix of it; ``None`` when ``/proc/mounts`` cannot be read (not Linux) or lists nothing above it.
    ``mounts``: the text of a mounts file (default: this machine's)."""
    if mounts is None:
        try:
            mounts = MOUNTS.read_text(errors="replace")
        except OSError:
            return None
    p = Path(path).expanduser().absolute()
    while not p.exists() and p != p.parent:
        p = p.parent
    where = os.path.realpath(p)
    best: Mount | None = None
    for m in parse_mounts(mounts):  # a later mount on the same point hides the earlier: keep the last
        if _under(where, m.mount_point) and (best is None or len(m.mount_point) >= len(best.mount_point)):
            best = m
    return best
