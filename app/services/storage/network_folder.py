"""Whether a folder is on a network file system, where a SQLite practice must not
live: SQLite's locking relies on the file system's locks, which NFS, SMB and
their kin do not keep faithfully, so two computers writing one file through a
shared folder damage it. SQLite's own documentation says so
(https://www.sqlite.org/useovernet.html, https://www.sqlite.org/faq.html#q5);
several computers share a practice through its PostgreSQL server instead.

Each platform's way of telling is a function whose source of truth is a
parameter (the mount table's text, the drive-type call, the file system's type
name), so it is tested with real inputs on any platform:

- Linux: /proc/self/mountinfo (proc(5)); the mount holding the folder is the
  longest mount point that contains it, and its type names the file system.
- Windows: a UNC path (\\\\server\\share, \\\\?\\UNC\\server\\share), or a drive
  letter whose GetDriveTypeW is DRIVE_REMOTE (a mapped network drive).
  https://learn.microsoft.com/windows/win32/api/fileapi/nf-fileapi-getdrivetypew
- macOS: statfs(2)'s f_fstypename.
"""

from __future__ import annotations

import contextlib
import os
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path, PurePosixPath, PureWindowsPath

# Linux file-system types (mountinfo's field after the separator) that reach
# another computer. fuse.* types are named by their program.
NETWORK_TYPES = frozenset({
    "nfs", "nfs4", "cifs", "smb3", "smbfs", "smb", "9p", "afs", "ceph", "glusterfs",
    "fuse.glusterfs", "davfs", "fuse.davfs2", "fuse.sshfs", "sshfs", "fuse.rclone",
    "fuse.s3fs", "lustre", "gpfs", "ocfs2", "gfs2", "ncpfs", "coda", "orangefs",
    "beegfs", "fuse.smbnetfs", "fuse.gvfsd-fuse"})
# macOS statfs f_fstypename values of network file systems.
MACOS_NETWORK_TYPES = frozenset({"smbfs", "nfs", "afpfs", "webdav", "cifs", "ftp"})
DRIVE_REMOTE = 4  # GetDriveTypeW's answer for a network drive


@dataclass(frozen=True)
class Mount:
    point: str  # where it is mounted, unescaped
    fstype: str  # e.g. "ext4", "nfs4", "fuse.sshfs"
    source: str  # e.g. "server:/export", "//nas/consultorio"


def _unescape(field: str) -> str:
    """mountinfo writes space, tab, newline and backslash as octal escapes (\\040)."""
    out, i = [], 0
    while i < len(field):
        code = field[i + 1:i + 4]
        if field[i] == "\\" and len(code) == 3 and code.isdigit():
            out.append(chr(int(field[i + 1:i + 4], 8)))
            i += 4
        else:
            out.append(field[i])
            i += 1
    return "".join(out)


def parse_mountinfo(text: str) -> list[Mount]:
    """Each line of /proc/self/mountinfo: `id parent major:minor root point options
    [optional fields...] - fstype source super-options` (proc(5)). Lines that do not
    have that shape are skipped."""
    mounts: list[Mount] = []
    for line in text.splitlines():
        fields = line.split(" ")
        if "-" not in fields:
            continue
        dash = fields.index("-")
        if dash < 6 or len(fields) < dash + 3:
            continue
        mounts.append(Mount(_unescape(fields[4]), fields[dash + 1], _unescape(fields[dash + 2])))
    return mounts


def is_network_type(fstype: str) -> bool:
    return fstype in NETWORK_TYPES or fstype.split(".")[-1] in NETWORK_TYPES


def linux_mount_of(folder: str, mountinfo: str) -> Mount | None:
    """The mount holding `folder` (an absolute path, symbolic links already
    resolved): the last-mounted of the longest matching mount points."""
    target = PurePosixPath(folder)
    best: Mount | None = None
    for mount in parse_mountinfo(mountinfo):
        point = PurePosixPath(mount.point)
        inside = target == point or point in target.parents
        if inside and (best is None or
                       len(point.parts) >= len(PurePosixPath(best.point).parts)):
            best = mount
    return best


def linux_network_mount(folder: str, mountinfo: str) -> Mount | None:
    """The network mount holding `folder`, or None when it is a local disk."""
    mount = linux_mount_of(folder, mountinfo)
    return mount if mount is not None and is_network_type(mount.fstype) else None


def windows_remote(folder: str, drive_type: Callable[[str], int]) -> str | None:
    """The share or drive that makes `folder` remote on Windows, or None.
    `drive_type(root)` is GetDriveTypeW for a root such as "Z:\\"."""
    path = PureWindowsPath(folder)
    drive = path.drive  # "C:", "\\\\server\\share", "\\\\?\\C:", "\\\\?\\UNC\\server\\share"
    text = drive.replace("/", "\\")
    upper = text.upper()
    if upper.startswith(("\\\\?\\UNC\\", "\\\\.\\UNC\\")):
        return "\\\\" + text[8:]
    if upper.startswith(("\\\\?\\", "\\\\.\\")):
        rest = text[4:]  # a device path: local unless it names a drive that is remote
        if len(rest) == 2 and rest[1] == ":":
            return rest if drive_type(rest + "\\") == DRIVE_REMOTE else None
        return None
    if text.startswith("\\\\"):
        return text
    if len(text) == 2 and text[1] == ":":
        return text if drive_type(text + "\\") == DRIVE_REMOTE else None
    return None


def _windows_drive_type(root: str) -> int:  # pragma: no cover - Windows only
    import ctypes

    return int(ctypes.windll.kernel32.GetDriveTypeW(root))  # type: ignore[attr-defined]


def _macos_fstype(folder: str) -> str:  # pragma: no cover - macOS only
    """statfs(2)'s f_fstypename (struct statfs with 64-bit inodes, as macOS
    10.6 and later define it in <sys/mount.h>)."""
    import ctypes

    class StatFs(ctypes.Structure):
        _fields_ = [("f_bsize", ctypes.c_uint32), ("f_iosize", ctypes.c_int32),
                    ("f_blocks", ctypes.c_uint64), ("f_bfree", ctypes.c_uint64),
                    ("f_bavail", ctypes.c_uint64), ("f_files", ctypes.c_uint64),
                    ("f_ffree", ctypes.c_uint64), ("f_fsid", ctypes.c_int32 * 2),
                    ("f_owner", ctypes.c_uint32), ("f_type", ctypes.c_uint32),
                    ("f_flags", ctypes.c_uint32), ("f_fssubtype", ctypes.c_uint32),
                    ("f_fstypename", ctypes.c_char * 16),
                    ("f_mntonname", ctypes.c_char * 1024),
                    ("f_mntfromname", ctypes.c_char * 1024),
                    ("f_flags_ext", ctypes.c_uint32), ("f_reserved", ctypes.c_uint32 * 7)]

    libc = ctypes.CDLL("libc.dylib", use_errno=True)
    try:
        call = getattr(libc, "statfs$INODE64")  # Intel Macs: the 64-bit-inode struct
    except AttributeError:
        call = libc.statfs  # Apple silicon has only that one
    out = StatFs()
    if call(os.fsencode(folder), ctypes.byref(out)) != 0:
        return ""
    return bytes(out.f_fstypename).decode(errors="replace")


def network_place(folder: Path, *, platform: str = sys.platform,
                  mountinfo: str | None = None,
                  drive_type: Callable[[str], int] | None = None,
                  fstype: Callable[[str], str] | None = None) -> str | None:
    """What makes `folder` a network folder ("nfs4 //nas/share", "\\\\server\\share",
    "Z:"), or None when it is on this computer's own disk or cannot be told. The
    keyword arguments replace the platform's sources (for tests)."""
    where = str(folder)
    if platform == sys.platform:  # links followed to where the data really is
        with contextlib.suppress(OSError):
            where = str(folder.resolve())
    if platform.startswith("win"):
        return windows_remote(where, drive_type or _windows_drive_type)
    if platform == "darwin":
        name = (fstype or _macos_fstype)(where)
        return name if name in MACOS_NETWORK_TYPES else None
    if mountinfo is None:
        try:
            mountinfo = Path("/proc/self/mountinfo").read_text(encoding="utf-8",
                                                               errors="replace")
        except OSError:
            return None
    mount = linux_network_mount(where, mountinfo)
    return f"{mount.fstype} {mount.source}" if mount is not None else None
