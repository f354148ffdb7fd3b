# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Run plays through the real controller (ansible-playbook) on a local-connection fleet whose
hosts each have their own rules directory, and read back every task result as the controller
accepted it (callback_plugins/auditkit_results.py). Also: a byte-exact picture of a directory."""
import json
import os
import stat
import subprocess
import sys
import tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
COLLECTIONS = os.path.join(ROOT, ".build", "pytest")
BIN = os.path.dirname(sys.executable)
CALLBACKS = os.path.join(os.path.dirname(os.path.abspath(__file__)), "callback_plugins")
# Debian's python3: readable by the unprivileged user some tasks become (the venv lives under /root).
HOST_PYTHON = "/usr/bin/python3" if os.path.exists("/usr/bin/python3") else sys.executable
# Messages that mean the controller or the module broke, not a clean failure.
BROKEN = ("Refusing to deserialize", "deserialization failed", "MODULE FAILURE", "Traceback", "surrogates not allowed",
          "timed out", "timeout", "Unexpected failure", "unable to decode")


def world_readable_dir(prefix):
    """A sandbox directory an unprivileged user can traverse (pytest's tmp_path is 0700)."""
    path = tempfile.mkdtemp(prefix=prefix)
    os.chmod(path, 0o755)
    return path


def inventory(path, hosts):
    """hosts: {name: {var: value}}; every host on the local connection."""
    lines = ["[fleet]"]
    for name, host_vars in hosts.items():
        lines.append("%s %s" % (name, " ".join("%s=%s" % (k, json.dumps(v)) for k, v in host_vars.items())))
    lines += ["[fleet:vars]", "ansible_connection=local", "ansible_python_interpreter=%s" % HOST_PYTHON]
    with open(path, "w") as handle:
        handle.write("\n".join(lines) + "\n")
    return path


def run_playbook(workdir, playbook, inventory_path, args=(), timeout=1800, forks=4, prefix=()):
    """(CompletedProcess, {host: {task name: {status, result}}}); ``prefix``: a command that
    runs ansible-playbook (e.g. unshare into a private mount namespace)."""
    results_file = os.path.join(workdir, "results-%s.json" % os.path.basename(playbook))
    env = dict(os.environ, ANSIBLE_COLLECTIONS_PATH=COLLECTIONS, ANSIBLE_NOCOLOR="1", ANSIBLE_PIPELINING="1",
               ANSIBLE_CALLBACK_PLUGINS=CALLBACKS, ANSIBLE_CALLBACKS_ENABLED="auditkit_results",
               ANSIBLE_RETRY_FILES_ENABLED="0", ANSIBLE_LOCALHOST_WARNING="0", ANSIBLE_FORKS=str(forks),
               ANSIBLE_HOST_KEY_CHECKING="0", AUDITKIT_RESULTS_FILE=results_file,
               PATH=BIN + os.pathsep + os.environ["PATH"])
    command = list(prefix) + [os.path.join(BIN, "ansible-playbook"), "-i", inventory_path, playbook] + list(args)
    done = subprocess.run(command, env=env, cwd=workdir, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                          text=True, check=False, timeout=timeout)
    assert os.path.exists(results_file), "no results from ansible-playbook:\n%s" % done.stdout[-5000:]
    with open(results_file) as handle:
        return done, json.load(handle)


def broken(task_result):
    """Why a task result is not "accepted, or a clean failure message" (None when it is)."""
    if task_result["status"] == "ok":
        return None
    if task_result["status"] != "failed":
        return "status %s" % task_result["status"]
    data = task_result["result"]
    msg = data.get("msg")
    if not isinstance(msg, str) or not msg.strip():
        return "failed without a message: %r" % data
    text = msg + str(data.get("module_stderr", "")) + str(data.get("exception", ""))
    for word in BROKEN:
        if word in text:
            return "%s in: %s" % (word, text[:500])
    return None


def picture(directory):
    """Every entry of ``directory`` (bytes names, not recursive): type, mode, owner, bytes or link."""
    state = {}
    base = os.fsencode(str(directory))
    for name in sorted(os.listdir(base)):
        path = os.path.join(base, name)
        info = os.lstat(path)
        if stat.S_ISLNK(info.st_mode):
            content = os.readlink(path)
        elif stat.S_ISREG(info.st_mode):
            with open(path, "rb") as handle:
                content = handle.read()
        else:
            content = None
        state[name] = (stat.S_IFMT(info.st_mode), stat.S_IMODE(info.st_mode), info.st_uid, info.st_gid, content)
    return state
