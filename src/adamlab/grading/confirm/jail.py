"""The operating-system jail every piece of student code runs in: bubblewrap, one profile per run.

A jailed process sees a fresh root on a tmpfs holding:

- read-only: ``/usr`` (the system's libraries), the Python interpreter's own prefix (its standard
  library), and, per *profile*, the packages it may import, bound under ``/opt/jail/site``;
- read-write: ``/home/student`` (its working directory and ``HOME``, holding only what the run needs)
  and ``/tmp``, both private to the run and size-limited, so nothing it writes survives it;
- nothing of the course: no ``nbgrader_config.py``, no ``solutions/``, no gradebook, no other student.

It runs as an unprivileged uid of its own (a fresh one per jail, dropped to with ``setpriv`` when the
grader is root; ``nobody`` in a user namespace otherwise), in its own PID, network, IPC and UTS namespaces
(no network at all), in a new session, dies with its parent (``--die-with-parent``), and under
limits on address space, processes, CPU time, file size and open files.

Profiles (what ``import`` can find):

``numpy``  NumPy and the standard library: the confirmation run of every NumPy exercise.
``torch``  NumPy, torch and torch's dependencies: the confirmation run of the torch exercise,
           with ``torch/optim/adam.py`` and ``adamw.py`` bound over by stand-ins that raise (torch_stubs).
``kernel`` the whole virtual environment and ``adamlab``: the nbgrader kernel run, whose
           score is never trusted (it only gives the student the messages of their checks).

The kernel run and the confirmation run share ``HOME``, working directory, kind of user, limits,
interpreter flags and ``sys.argv``, so a submission has no cheap way to tell them apart; and only
the confirmation run's results count. Reference: bubblewrap(1); Linux namespaces(7).
"""

from __future__ import annotations

import functools
import os
import re
import resource
import shutil
import subprocess
import sys
import sysconfig
import tempfile
from dataclasses import dataclass
from pathlib import Path

WORK = "/home/student"  # the jail's private, writable folder: its working directory and HOME
HOME = WORK
SITE = "/opt/jail/site"  # where a profile's packages appear, read-only
NOBODY = 65534  # the uid inside the user namespace when the grader is not root
JAIL_UIDS = range(2_000_000, 3_000_000)  # as root: a fresh uid per jail, shared with no user and no other jail

MEMORY_BYTES = 6 * 2**30  # address space (torch alone maps about 2 GiB)
PROCESSES = 512  # threads included, for uid nobody across the jails running at once (a fork bomb's ceiling)
CPU_SECONDS = 300
FILE_BYTES = 256 * 2**20  # the largest file it may write
OPEN_FILES = 256
TMPFS_BYTES = 512 * 2**20  # /work and /tmp together may not hold more


TOTAL_MEMORY_BYTES = 4 * 2**30  # all processes of one jail together, where cgroups allow it (Cgroup)
TOTAL_PROCESSES = 256


class JailUnavailable(RuntimeError):
    """bubblewrap is missing or cannot create namespaces here."""


@dataclass(frozen=True)
class Limits:
    memory: int = MEMORY_BYTES
    processes: int = PROCESSES
    cpu_seconds: int = CPU_SECONDS
    file_bytes: int = FILE_BYTES
    open_files: int = OPEN_FILES


def _site_packages() -> Path:
    return Path(sysconfig.get_paths()["purelib"])


def _interpreter() -> Path:
    """The real interpreter binary (not the venv's symlink): its prefix holds the standard library."""
    return Path(os.path.realpath(getattr(sys, "_base_executable", sys.executable)))


# Packages a profile may import, as folders (or single files) of site-packages.
_TORCH_DEPS = ("torch", "torchgen", "functorch", "typing_extensions.py", "sympy", "mpmath", "filelock",
               "networkx", "jinja2", "markupsafe", "fsspec", "nvidia", "triton")  # fmt: skip


def _profile_entries(profile: str) -> list[Path]:
    site = _site_packages()
    names = ["numpy", "numpy.libs"]
    if profile == "torch":
        names += list(_TORCH_DEPS)
    elif profile != "numpy":
        raise ValueError(f"unknown jail profile {profile!r}")
    return [site / n for n in names if (site / n).exists()]


def _kernel_binds() -> list[tuple[str, str]]:
    """The whole virtual environment, and adamlab's sources where it is installed in editable mode."""
    import adamlab

    prefix = os.path.realpath(sys.prefix)
    binds = [(prefix, prefix), (sys.prefix, sys.prefix)] if prefix != sys.prefix else [(prefix, prefix)]
    package = Path(adamlab.__file__).resolve().parent
    if not str(package).startswith(prefix):
        binds.append((str(package.parent), str(package.parent)))  # src/ of an editable install: adamlab only
    return binds


def argv(
    command: list[str],
    *,
    profile: str,
    work: Path,
    extra_ro: tuple[tuple[str, str], ...] = (),
    extra_rw: tuple[tuple[str, str], ...] = (),
    limits: Limits | None = None,
) -> list[str]:
    """The ``bwrap`` command line that runs ``command`` jailed with ``profile``; ``work`` (a folder of
    the grader's, prepared and later read back by it) becomes ``/home/student``."""
    prefix = str(Path(sysconfig.get_paths()["stdlib"]).parents[1])  # the interpreter's installation
    args = ["bwrap", "--unshare-pid", "--unshare-net", "--unshare-ipc", "--unshare-uts", "--unshare-cgroup-try"]
    args += ["--die-with-parent", "--new-session", "--cap-drop", "ALL"]
    if os.getuid() == 0:
        # bwrap binds as root (it can read the interpreter wherever it lives), then the command drops
        # to the real, unprivileged uid `nobody` before anything of the student's runs.
        args += ["--cap-add", "CAP_SETUID", "--cap-add", "CAP_SETGID"]
        uid = os.stat(work).st_uid  # the jail's own uid (prepare_work)
        command = ["setpriv", f"--reuid={uid}", f"--regid={uid}", "--clear-groups",
                   "--inh-caps=-all", "--bounding-set=-all", "--no-new-privs", "--", *command]  # fmt: skip
    limits = limits or Limits()
    command = ["prlimit", f"--as={limits.memory}", f"--cpu={limits.cpu_seconds}", f"--fsize={limits.file_bytes}",
               f"--nofile={limits.open_files}", f"--nproc={limits.processes}", "--core=0", "--", *command]  # fmt: skip
    if os.getuid() != 0:
        args += ["--unshare-user", "--uid", str(NOBODY), "--gid", str(NOBODY)]
    args += ["--hostname", "jail", "--proc", "/proc", "--dev", "/dev"]
    for path in ("/usr", "/etc/ld.so.cache", "/etc/localtime"):
        if os.path.exists(path):
            args += ["--ro-bind", path, path]
    for link, target in (("/lib", "usr/lib"), ("/lib64", "usr/lib64"), ("/bin", "usr/bin")):
        if os.path.islink(link):
            args += ["--symlink", target, link]
        elif os.path.isdir(link):
            args += ["--ro-bind", link, link]
    # First the writable places, then the read-only views (a view may lie under /tmp: not hidden by it).
    args += ["--perms", "1777", "--size", str(TMPFS_BYTES), "--tmpfs", "/tmp"]
    args += _parents(WORK) + ["--bind", str(work), WORK]
    for src, dest in extra_rw:
        args += _parents(dest) + ["--bind", src, dest]
    binds = [(prefix, prefix)]
    if profile == "kernel":
        binds += _kernel_binds()
    else:
        binds += [(str(entry), f"{SITE}/{entry.name}") for entry in _profile_entries(profile)]
    if profile == "torch":  # torch's Adam and AdamW replaced by stand-ins that raise (see torch_stubs)
        stubs = Path(__file__).with_name("torch_stubs")
        binds += [(str(stubs / name), f"{SITE}/torch/optim/{name}") for name in ("adam.py", "adamw.py")]
    for src, dest in [*binds, *extra_ro]:
        args += _parents(dest) + ["--ro-bind", src, dest]
    if profile != "kernel":  # the interpreter's own site-packages (whatever this machine put there) stays empty
        base_site = Path(prefix) / "lib" / f"python{sys.version_info.major}.{sys.version_info.minor}" / "site-packages"
        if base_site.is_dir():
            args += ["--tmpfs", str(base_site)]
    args += ["--chdir", WORK, "--clearenv"]
    for key, value in jail_environment().items():
        args += ["--setenv", key, value]
    return [*args, "--", *command]


def _parents(dest: str) -> list[str]:
    """Create ``dest``'s missing parents enterable by the unprivileged user (bwrap makes them 0700 as root)."""
    out: list[str] = []
    for parent in reversed(Path(dest).parents[:-1]):
        out += ["--perms", "0755", "--dir", str(parent)]
    return out


def jail_environment() -> dict[str, str]:
    """The same environment in every jailed run."""
    return {
        "HOME": HOME,
        "PATH": f"{_interpreter().parent}:/usr/bin:/bin",
        "LANG": "C.UTF-8",
        "MPLBACKEND": "Agg",
        "OMP_NUM_THREADS": "1",
        "OPENBLAS_NUM_THREADS": "1",
        "MKL_NUM_THREADS": "1",
        "PYTHONDONTWRITEBYTECODE": "1",
        "PYTHONHASHSEED": "0",
        "TMPDIR": "/tmp",
    }


def prepare_work(work: Path) -> int:
    """Make ``work`` the jail's working folder, owned by the uid its process will run as, and return that uid.

    As root, each jail gets a uid of its own (:data:`JAIL_UIDS`): one jail's processes count against
    no other's process limit and own no other's files. Otherwise the user namespace maps the grader's
    uid to :data:`NOBODY`.
    """
    work.mkdir(parents=True, exist_ok=True)
    if os.getuid() != 0:
        return NOBODY
    uid = JAIL_UIDS.start + int.from_bytes(os.urandom(4), "little") % len(JAIL_UIDS)
    os.chown(work, uid, uid)
    os.chmod(work, 0o755)  # bwrap (root without capabilities) must enter it; its parent stays private
    return uid


class Cgroup:
    """A control group per jail bounding the memory and the number of processes of *all* its processes
    together (rlimits bound each process alone). Used where the grader may create one (root, with cgroup v1's
    ``memory`` and ``pids`` controllers or cgroup v2); elsewhere the rlimits are the only bound.
    """

    def __init__(self, memory: int = TOTAL_MEMORY_BYTES, processes: int = TOTAL_PROCESSES):
        name = f"adamlab-jail-{os.getpid()}-{int.from_bytes(os.urandom(4), 'little')}"
        self.paths: list[Path] = []
        settings = {
            Path("/sys/fs/cgroup/memory"): {"memory.limit_in_bytes": memory, "memory.memsw.limit_in_bytes": memory},
            Path("/sys/fs/cgroup/pids"): {"pids.max": processes},
        }
        if not Path("/sys/fs/cgroup/memory").is_dir() and Path("/sys/fs/cgroup/cgroup.controllers").exists():
            settings = {Path("/sys/fs/cgroup"): {"memory.max": memory, "memory.swap.max": 0, "pids.max": processes}}
        for base, values in settings.items():
            try:
                group = base / name
                group.mkdir()
            except OSError:
                continue
            self.paths.append(group)
            for key, value in values.items():
                try:
                    (group / key).write_text(str(value))
                except OSError:
                    pass

    def wrap(self, command: list[str]) -> list[str]:
        """``command`` started inside this group (a shell moves itself in, then becomes the command)."""
        if not self.paths:
            return command
        moves = "; ".join(f"echo $$ > {group}/cgroup.procs" for group in self.paths)
        return ["/bin/sh", "-c", f'{moves}; exec "$@"', "jail", *command]

    def remove(self) -> None:
        """Kill whatever is left in the group, then remove it (its last processes may take a moment to go)."""
        import signal
        import time

        for group in self.paths:
            for _ in range(50):
                try:
                    for pid in (group / "cgroup.procs").read_text().split():
                        os.kill(int(pid), signal.SIGKILL)
                    group.rmdir()
                    break
                except (OSError, ValueError):
                    time.sleep(0.05)


def scratch_prefix(kind: str) -> str:
    """The prefix of a grading scratch folder: it names the process that made it (see :func:`remove_stale`)."""
    return f"adamlab-{kind}-{os.getpid()}-"


_SCRATCH = re.compile(r"^adamlab-(?:course|templates|jail|kernel)-(\d+)-")


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def remove_stale() -> list[str]:
    """Remove the scratch folders and cgroups of grading processes that are gone (a run killed with SIGKILL
    cannot clean up after itself); returns what was removed."""
    removed = []
    scratch = Path(tempfile.gettempdir())
    groups = [Path("/sys/fs/cgroup/memory"), Path("/sys/fs/cgroup/pids"), Path("/sys/fs/cgroup")]
    for folder in [scratch, *groups]:
        try:
            entries = list(folder.iterdir())
        except OSError:
            continue
        for entry in entries:
            match = _SCRATCH.match(entry.name)
            if not match or _alive(int(match.group(1))) or not entry.is_dir():
                continue
            if folder == scratch:
                shutil.rmtree(entry, ignore_errors=True)
            else:
                try:
                    entry.rmdir()  # an empty cgroup: its processes died with their jail
                except OSError:
                    continue
            removed.append(str(entry))
    return removed


def unjailed_limits(limits: Limits | None = None):
    """For ``UNSAFE=1`` only (no jail): a ``preexec_fn`` giving a child the same limits without bwrap."""
    limits = limits or Limits()

    def apply() -> None:
        for which, value in (
            (resource.RLIMIT_AS, limits.memory),
            (resource.RLIMIT_CPU, limits.cpu_seconds),
            (resource.RLIMIT_FSIZE, limits.file_bytes),
            (resource.RLIMIT_NOFILE, limits.open_files),
            (resource.RLIMIT_CORE, 0),
        ):
            resource.setrlimit(which, (value, value))

    return apply


@functools.cache
def unavailable() -> str | None:
    """``None`` when jailed runs work here, else why not (in words for the instructor)."""
    if shutil.which("bwrap") is None:
        return "bubblewrap (`bwrap`) is not installed (Debian: `sh tests/install_bwrap.sh` as root)"
    probe = Path(os.environ.get("TMPDIR", "/tmp")) / f"adamlab-jail-probe-{os.getpid()}"
    probe.mkdir(exist_ok=True)
    try:
        prepare_work(probe)
        result = subprocess.run(
            argv([str(_interpreter()), "-I", "-S", "-c", "import os; print(os.getuid())"], profile="numpy", work=probe),
            capture_output=True,
            text=True,
            timeout=30,
            start_new_session=True,
        )
    except (OSError, subprocess.SubprocessError) as exc:
        return f"bubblewrap failed to start a jail ({exc})"
    finally:
        shutil.rmtree(probe, ignore_errors=True)
    if result.returncode != 0 or result.stdout.strip() in ("", "0", str(os.getuid())):
        return f"bubblewrap cannot create a jail here: {result.stderr.strip()[-300:] or result.stdout.strip()}"
    return None


def interpreter() -> str:
    return str(_interpreter())


def kernel_launcher() -> str:
    """The path the jailed kernel's ``sys.argv[0]`` holds (``python -m ipykernel_launcher``)."""
    return str(_site_packages() / "ipykernel_launcher.py")
