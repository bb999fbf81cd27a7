"""A SQLite practice is not opened from a network folder: the mount table (real
/proc/self/mountinfo lines), Windows' UNC paths and mapped drives, macOS's file
system names — and the sentence a person gets when it is refused."""

from __future__ import annotations

from pathlib import Path

import pytest

from app.services.errors import OnNetworkFolder
from app.services.paths import DataPaths
from app.services.practice import open_practice, refuse_network_folder
from app.services.storage import network_folder
from app.services.storage.network_folder import (
    linux_mount_of,
    linux_network_mount,
    network_place,
    parse_mountinfo,
    windows_remote,
)

# From a Debian desktop with a NAS mounted three ways (proc(5)'s format; note the
# optional fields before "-", and the escaped space in "Área de Trabalho").
MOUNTINFO = """\
22 28 0:21 / /proc rw,nosuid,nodev,noexec,relatime shared:12 - proc proc rw
26 28 0:5 / /dev rw,nosuid,relatime shared:2 - devtmpfs udev rw,size=8104236k,mode=755
28 1 259:2 / / rw,relatime shared:1 - ext4 /dev/nvme0n1p2 rw,errors=remount-ro
61 28 259:4 / /home rw,relatime shared:30 - ext4 /dev/nvme0n1p4 rw
612 61 0:62 / /home/ana/NAS rw,relatime shared:318 - cifs //nas.local/consultorio rw,vers=3.1.1
640 61 0:65 / /home/ana/nfs rw,relatime shared:330 - nfs4 nas.local:/export/practice rw,vers=4.2
655 61 0:70 / /home/ana/remoto rw,nosuid,relatime - fuse.sshfs ana@servidor:/srv rw,user_id=1000
670 61 0:72 / /home/ana/Área\\040de\\040Trabalho/rede rw,relatime - smb3 //nas/docs rw
680 612 259:4 /cache /home/ana/NAS/local rw,relatime shared:31 - ext4 /dev/nvme0n1p4 rw
"""


def test_the_mount_table_is_read_as_proc_5_writes_it() -> None:
    mounts = parse_mountinfo(MOUNTINFO + "a line that is not a mount\n")
    assert len(mounts) == 9
    nas = mounts[4]
    assert (nas.point, nas.fstype, nas.source) == ("/home/ana/NAS", "cifs",
                                                   "//nas.local/consultorio")
    assert mounts[7].point == "/home/ana/Área de Trabalho/rede"


@pytest.mark.parametrize(("folder", "found"), [
    ("/home/ana/NAS/PracticeDesk", "cifs //nas.local/consultorio"),
    ("/home/ana/NAS", "cifs //nas.local/consultorio"),
    ("/home/ana/nfs/practice", "nfs4 nas.local:/export/practice"),
    ("/home/ana/remoto/x", "fuse.sshfs ana@servidor:/srv"),
    ("/home/ana/Área de Trabalho/rede/PracticeDesk", "smb3 //nas/docs"),
    # A local disk mounted inside the share is local again.
    ("/home/ana/NAS/local/PracticeDesk", None),
    ("/home/ana/.local/share/PracticeDesk", None),
    ("/home/ana/NASA", None),  # a name that starts like a mount point is not inside it
    ("/srv/practice", None),
])
def test_a_folder_is_in_the_mount_that_holds_it(folder: str, found: str | None) -> None:
    mount = linux_network_mount(folder, MOUNTINFO)
    assert (f"{mount.fstype} {mount.source}" if mount else None) == found
    assert network_place(Path(folder), platform="linux", mountinfo=MOUNTINFO) == found


def test_every_network_type_the_issue_names_is_known() -> None:
    for fstype in ("nfs", "nfs4", "cifs", "smb3", "smbfs", "9p", "fuse.sshfs", "afs",
                   "ceph", "glusterfs", "davfs"):
        line = f"90 28 0:80 / /mnt/x rw - {fstype} server:/x rw\n"
        assert linux_network_mount("/mnt/x/data", MOUNTINFO + line) is not None, fstype
    for fstype in ("ext4", "btrfs", "xfs", "tmpfs", "overlay", "zfs", "fuse.gocryptfs"):
        line = f"90 28 0:80 / /mnt/x rw - {fstype} /dev/sdb1 rw\n"
        assert linux_network_mount("/mnt/x/data", MOUNTINFO + line) is None, fstype
    assert linux_mount_of("/mnt/x", "") is None


def _drives(remote: set[str]) -> object:
    asked: list[str] = []

    def drive_type(root: str) -> int:
        asked.append(root)
        return network_folder.DRIVE_REMOTE if root in remote else 3  # DRIVE_FIXED

    drive_type.asked = asked  # type: ignore[attr-defined]
    return drive_type


@pytest.mark.parametrize(("folder", "found"), [
    (r"\\servidor\consultorio\PracticeDesk", r"\\servidor\consultorio"),
    ("//servidor/consultorio/PracticeDesk", r"\\servidor\consultorio"),
    (r"\\?\UNC\servidor\consultorio\PracticeDesk", r"\\servidor\consultorio"),
    (r"Z:\PracticeDesk", "Z:"),  # a mapped network drive
    (r"\\?\Z:\PracticeDesk", "Z:"),
    (r"C:\Users\Ana\AppData\Local\PracticeDesk", None),
    (r"\\?\C:\Users\Ana\AppData\Local\PracticeDesk", None),
    (r"\\.\PhysicalDrive0", None),
])
def test_windows_unc_paths_and_mapped_drives(folder: str, found: str | None) -> None:
    drive_type = _drives({"Z:\\"})
    assert windows_remote(folder, drive_type) == found  # type: ignore[arg-type]
    assert network_place(Path(folder), platform="win32",
                         drive_type=drive_type) == found  # type: ignore[arg-type]


def test_a_local_drive_letter_is_asked_about_by_its_root() -> None:
    drive_type = _drives(set())
    assert windows_remote(r"D:\Consultorio", drive_type) is None  # type: ignore[arg-type]
    assert drive_type.asked == ["D:\\"]  # type: ignore[attr-defined]


@pytest.mark.parametrize(("fstype", "network"), [
    ("smbfs", True), ("nfs", True), ("afpfs", True), ("webdav", True),
    ("apfs", False), ("hfs", False), ("msdos", False), ("exfat", False)])
def test_macos_file_system_names(fstype: str, network: bool) -> None:
    found = network_place(Path("/Volumes/Consultorio"), platform="darwin",
                          fstype=lambda _folder: fstype)
    assert (found is not None) is network


def test_a_practice_in_a_network_folder_is_refused_with_why_and_what_to_do(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    folder = tmp_path / "NAS" / "PracticeDesk"
    real = Path("/proc/self/mountinfo").read_text()
    shared = real + f"990 28 0:99 / {tmp_path / 'NAS'} rw - cifs //nas.local/docs rw\n"
    # The platform's mount table, as the kernel would list it with the share mounted.
    monkeypatch.setattr(network_folder, "network_place",
                        lambda f, **kw: network_place(f, platform="linux", mountinfo=shared))
    with pytest.raises(OnNetworkFolder) as refused:
        open_practice(folder, logging_on=False)
    said = str(refused.value)
    assert said.startswith(f"The practice's data folder {folder} is in a network folder "
                           "(cifs //nas.local/docs). SQLite's locking does not work over a "
                           "network file system")
    assert "practice database connect URL" in said
    assert not (folder / "practice.sqlite3").exists()
    # This computer's own disk is fine.
    refuse_network_folder(DataPaths(tmp_path / "local"))
