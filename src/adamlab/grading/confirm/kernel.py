"""The nbgrader kernel run, jailed: a Jupyter kernel manager that starts ``ipykernel`` inside bubblewrap.

``nbgrader autograde`` executes the submitted notebook through nbclient; the grader configures it
with ``Execute.kernel_manager_class = JailedKernelManager``. Each kernel gets its own folder: a
``work`` folder that becomes the jail's ``/work`` (and ``HOME``), and a ``runtime`` folder holding the
connection file and the kernel's IPC sockets (no TCP: the jail has no network), the only thing the
grader and the kernel share. The jail's profile is ``kernel`` (the virtual environment and adamlab,
read-only), its limits and environment those of the confirmation run (:mod:`.jail`).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from jupyter_client.manager import AsyncKernelManager

from . import jail


class JailedKernelManager(AsyncKernelManager):
    """An ``AsyncKernelManager`` whose kernel runs jailed and talks over IPC sockets."""

    _jail_dir: Path | None = None

    async def _async_pre_start_kernel(self, **kwargs):
        self._jail_dir = Path(tempfile.mkdtemp(prefix=jail.scratch_prefix("kernel")))
        runtime, work = self._jail_dir / "runtime", self._jail_dir / "work"
        runtime.mkdir()
        self._uid = jail.prepare_work(work)
        if os.getuid() == 0:
            os.chown(runtime, self._uid, self._uid)  # the kernel creates its sockets there
        os.chmod(runtime, 0o755)
        # An interrupt (nbgrader's timeout) must reach the kernel, not bwrap: ask over the control channel.
        self.kernel_spec.interrupt_mode = "message"
        self.transport = "ipc"
        self.ip = str(runtime / "ipc")
        self.connection_file = str(runtime / "kernel.json")
        command, kwargs = await super()._async_pre_start_kernel(**kwargs)
        if os.getuid() == 0:
            os.chown(self.connection_file, self._uid, self._uid)
        kwargs.pop("cwd", None)  # the kernel's working directory is the jail's own
        kwargs["stdout"] = kwargs["stderr"] = subprocess.DEVNULL  # its outputs reach the notebook over IPC
        return command, kwargs

    def format_kernel_cmd(self, extra_arguments: list[str] | None = None) -> list[str]:
        command = super().format_kernel_cmd(extra_arguments)
        # The venv's interpreter (the kernel spec may name a bare "python"), in isolated mode.
        command = [sys.executable, "-I", *command[1:]] if "ipykernel" in " ".join(command) else command
        runtime = str(self._jail_dir / "runtime")
        self._cgroup = jail.Cgroup()
        jailed = jail.argv(command, profile="kernel", work=self._jail_dir / "work", extra_rw=((runtime, runtime),))
        return self._cgroup.wrap(jailed)

    async def _async_cleanup_resources(self, restart: bool = False) -> None:
        await super()._async_cleanup_resources(restart=restart)
        if not restart and self._jail_dir is not None:
            shutil.rmtree(self._jail_dir, ignore_errors=True)
            self._jail_dir = None
            if getattr(self, "_cgroup", None) is not None:
                self._cgroup.remove()

    cleanup_resources = _async_cleanup_resources
