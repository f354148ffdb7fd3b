# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""A sandbox fleet for playbook tests: inventory hosts on the local connection, each with its
own rules directory, and ansible-playbook run against this working tree."""
import json
import os
import shlex
import shutil
import subprocess
import sys

import yaml

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
COLLECTIONS = os.path.join(ROOT, ".build", "pytest")
BIN = os.path.dirname(sys.executable)
SANDBOX_VARS = {"ansible_connection": "local", "ansible_python_interpreter": sys.executable, "auditkit_arch": "x86_64",
                "auditkit_read_kernel": False, "auditkit_load": False, "auditkit_become": False}


# The RHEL 9 STIG V2R9 fix text's lines (DISA's words), shared by the fleet tests
DISA_RHEL9 = [
    "-a always,exit -F arch=b32 -S delete_module -F auid>=1000 -F auid!=unset -k module_chng",
    "-a always,exit -F arch=b64 -S delete_module -F auid>=1000 -F auid!=unset -k module_chng",
    "-a always,exit -F arch=b32 -S init_module,finit_module -F auid>=1000 -F auid!=unset -k module_chng",
    "-a always,exit -F arch=b64 -S init_module,finit_module -F auid>=1000 -F auid!=unset -k module_chng",
    "-a always,exit -F path=/usr/bin/kmod -F perm=x -F auid>=1000 -F auid!=unset -k modules",
]


def make_fleet(root, hosts, common=None):
    """hosts: {name: {"files": {name: text}, "vars": {...}}}; each host gets root/<name>/rules.d
    (as auditkit_rules_dir, and nothing else, unless its vars say otherwise)."""
    inventory = {}
    for name, spec in hosts.items():
        rules_dir = root / name / "rules.d"
        rules_dir.mkdir(parents=True)
        for file_name, text in spec.get("files", {}).items():
            (rules_dir / file_name).write_text(text)
            (rules_dir / file_name).chmod(0o600)
        inventory[name] = dict({"auditkit_rules_dir": str(rules_dir)}, **spec.get("vars", {}))
    data = {"all": {"children": {"fleet": {"hosts": inventory}}, "vars": dict(SANDBOX_VARS, **(common or {}))}}
    (root / "hosts.yml").write_text(yaml.safe_dump(data))
    return root


def env():
    return dict(os.environ, ANSIBLE_COLLECTIONS_PATH=COLLECTIONS, ANSIBLE_NOCOLOR="1", ANSIBLE_HOST_KEY_CHECKING="0",
                ANSIBLE_LOCALHOST_WARNING="0", ANSIBLE_RETRY_FILES_ENABLED="0",
                PATH=BIN + os.pathsep + os.environ["PATH"])


def playbook(root, name, *args, **extra_vars):
    """ansible-playbook on the fleet; name is a playbook of the collection or a path."""
    target = name if os.sep in name else "auditkit.auditd." + name
    command = [os.path.join(BIN, "ansible-playbook"), "-i", str(root / "hosts.yml"), target] + list(args)
    if extra_vars:
        command += ["-e", json.dumps(extra_vars)]
    return subprocess.run(command, env=env(), cwd=str(root), stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                          universal_newlines=True, check=False)


def localhost_play(path, extra_vars, *args):
    """ansible-playbook on localhost (local connection, this Python) with the json callback:
    (return code, the tasks of the first play, stderr)."""
    command = [os.path.join(BIN, "ansible-playbook"), "-i", "localhost,", "-c", "local", str(path),
               "-e", json.dumps(extra_vars)] + list(args)
    done = subprocess.run(command, env=dict(env(), ANSIBLE_INVENTORY_UNPARSED_WARNING="0", ANSIBLE_STDOUT_CALLBACK="json",
                                            ANSIBLE_PYTHON_INTERPRETER=sys.executable),
                          stdout=subprocess.PIPE, stderr=subprocess.PIPE, universal_newlines=True, check=False)
    tasks = json.loads(done.stdout)["plays"][0]["tasks"] if done.returncode == 0 else None
    return done.returncode, tasks, done.stderr


def report_statuses(report_dir):
    """{host: {control ID: (status, reason)}} from report.json."""
    with open(os.path.join(str(report_dir), "report.json")) as handle:
        report = json.load(handle)
    return dict((h["name"], dict((c["id"], (c["status"], c.get("reason", ""))) for c in h.get("controls", [])))
                for h in report["hosts"])


def awx_private_data_dir(tmp_path, job, inventory, extravars, collections=None):
    """What AWX hands ansible-runner for one job: project/ (the project checkout with the
    collection's playbooks/), inventory/, env/extravars (survey answers, the template's
    extra_vars, artifacts of earlier workflow nodes) and env/envvars."""
    data = tmp_path / "jobs" / job
    for sub in ("project", "inventory", "env"):
        (data / sub).mkdir(parents=True)
    shutil.copytree(os.path.join(ROOT, "playbooks"), str(data / "project" / "playbooks"))
    (data / "inventory" / "hosts.yml").write_text(yaml.safe_dump(inventory))
    (data / "env" / "extravars").write_text(yaml.safe_dump(extravars))
    (data / "env" / "envvars").write_text(yaml.safe_dump({
        "ANSIBLE_COLLECTIONS_PATH": collections or COLLECTIONS, "ANSIBLE_NOCOLOR": "1",
        "ANSIBLE_HOST_KEY_CHECKING": "0", "PATH": BIN + os.pathsep + os.environ["PATH"]}))
    return data


def bound_interpreter(directory, binds):
    """An interpreter for a sandbox host that sees other files at some host paths: a script that
    runs this Python in a mount namespace of its own with each file of ``binds`` ({host path:
    file}) bind-mounted over its host path (root only). The module under test reads the real
    paths (/etc/login.defs, /proc/cmdline); each host of a local-connection fleet sees its own."""
    directory.mkdir(parents=True, exist_ok=True)
    mounts = " && ".join("mount --bind %s %s" % (shlex.quote(str(source)), shlex.quote(target))
                         for target, source in sorted(binds.items()))
    inner = '%s && exec %s "$@"' % (mounts, shlex.quote(sys.executable))
    script = directory / "python"
    script.write_text("#!/bin/sh\nexec unshare --mount --propagation private sh -c %s sh \"$@\"\n" % shlex.quote(inner))
    script.chmod(0o755)
    return str(script)


def path_interpreter(directory, first):
    """An interpreter for a sandbox host whose PATH starts with ``first``: the module resolves
    insmod, rmmod and modprobe there before the usual directories, as on a host with a vendor build
    in /usr/local/sbin."""
    directory.mkdir(parents=True, exist_ok=True)
    script = directory / "python"
    script.write_text("#!/bin/sh\nPATH=%s:$PATH exec %s \"$@\"\n" % (shlex.quote(str(first)), shlex.quote(sys.executable)))
    script.chmod(0o755)
    return str(script)
