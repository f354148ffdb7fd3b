# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The three modules on the real kernel: write, load, verify with auditctl -l; a bad line is
caught before the kernel is touched; a failed load rolls back; drift; no capability.
The kernel's rules and settings are restored after each test."""
import os
import subprocess
import sys

import pytest
from kernel_helpers import KernelGuard, auditctl, loaded_lines

from ansible_collections.auditkit.auditd.plugins.modules import audit_rules, audit_rules_info, audit_rules_load

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
STIG = [
    "-a always,exit -F arch=b64 -S init_module,finit_module -F auid>=1000 -F auid!=unset -k module_chng",
    "-a always,exit -F arch=b32 -S init_module,finit_module -F auid>=1000 -F auid!=unset -k module_chng",
    "-a always,exit -F arch=b64 -S delete_module -F auid>=1000 -F auid!=unset -k module_chng",
    "-a always,exit -F path=/usr/bin/kmod -F perm=x -F auid>=1000 -F auid!=unset -k modules",
]
OTHER = "-a always,exit -F arch=b64 -S openat -F auid=4242 -k auditkit-test-other"


@pytest.fixture
def kernel():
    guard = KernelGuard()
    yield guard
    guard.restore()


def _machine_args(rules_tree, **extra):
    args = rules_tree.args(**extra)
    args.pop("arch")  # judge for this machine
    return args


def _load_alone(tmp_path, *lines):
    path = tmp_path / "state.rules"
    path.write_text("-D\n" + "".join(line + "\n" for line in lines))
    assert auditctl("-R", str(path)).returncode == 0


def test_write_load_verify(kernel, run_module, rules_tree):
    rules_tree.write({"10-base.rules": "-D\n-b 8192\n"})
    written = run_module(audit_rules, **_machine_args(rules_tree, rules=STIG,
                                                      dest=str(rules_tree.rules_dir / "50-modules.rules")))
    assert written["changed"] and len(written["added"]) == 4

    loaded = run_module(audit_rules_load, **_machine_args(rules_tree))
    assert loaded["loaded"] and loaded["changed"] and loaded["missing_in_kernel"] == []
    assert loaded["command"][-2:] == ["-R", str(rules_tree.compiled)]
    kernel_rules = loaded_lines()
    assert "-a always,exit -F arch=b64 -S init_module,finit_module -F auid>=1000 -F auid!=-1 -F key=module_chng" \
        in kernel_rules
    assert len(kernel_rules) == 4 and kernel_rules == loaded["kernel_rules"]

    info = run_module(audit_rules_info, **_machine_args(rules_tree, rules=STIG))
    assert info["compliant"] and all(r["in_kernel"]["status"] == "covered" for r in info["requirements"])
    assert info["kernel"]["read"] and info["kernel"]["status"]["backlog_limit"] == 8192
    drift_kinds = ("persisted_not_loaded", "loaded_not_persisted", "compiled_stale")
    drift = [f for f in info["findings"] if f["kind"] in drift_kinds]
    assert drift == []

    again = run_module(audit_rules_load, **_machine_args(rules_tree))
    assert again["loaded"] and not again["changed"] and loaded_lines() == kernel_rules


def test_bad_line_in_another_file_is_caught_before_the_kernel(kernel, run_module, rules_tree, tmp_path):
    _load_alone(tmp_path, OTHER)
    before = loaded_lines()
    rules_tree.write({"10-base.rules": "-D\n", "50-modules.rules": "\n".join(STIG) + "\n",
                      "60-site.rules": "# site\n-a always,exit -F arch=b64 -S init_modulee -k typo\n"})
    result = run_module(audit_rules_load, **_machine_args(rules_tree))
    assert result["failed"] and not result["loaded"]
    assert "60-site.rules:2" in result["msg"] and "init_modulee" in result["msg"]
    assert loaded_lines() == before and not rules_tree.compiled.exists()


def test_failed_load_is_reported_with_its_source_and_rolled_back(kernel, run_module, rules_tree, tmp_path):
    _load_alone(tmp_path, OTHER)
    before = loaded_lines()
    bad = "-a always,exit -F arch=b64 -S openat -F uid=no-such-user-auditkit -k bad"
    rules_tree.write({"10-base.rules": "-D\n" + STIG[0] + "\n", "20-site.rules": "# x\n" + bad + "\n" + STIG[2] + "\n"})
    result = run_module(audit_rules_load, **_machine_args(rules_tree, validate=False))
    assert result["failed"] and result["rolled_back"]
    assert "20-site.rules:2 (line 6 of %s)" % rules_tree.compiled in result["msg"]
    assert loaded_lines() == before and not rules_tree.compiled.exists()

    without = run_module(audit_rules_load, **_machine_args(rules_tree, validate=False, rollback=False))
    assert without["failed"] and not without["rolled_back"]
    assert loaded_lines() == [STIG[0].replace("auid!=unset -k module_chng", "auid!=-1 -F key=module_chng")]


def test_drift_between_disk_and_kernel(kernel, run_module, rules_tree, tmp_path):
    _load_alone(tmp_path, OTHER)
    rules_tree.write({"10-base.rules": "-D\n" + STIG[0] + "\n"})
    info = run_module(audit_rules_info, **_machine_args(rules_tree, rules=[STIG[0]]))
    kinds = dict((f["kind"], f) for f in info["findings"])
    assert kinds["persisted_not_loaded"]["line"] == 2
    assert kinds["loaded_not_persisted"]["file"] == "auditctl -l"
    requirement = info["requirements"][0]
    assert requirement["status"] == "fail" and requirement["on_disk"]["status"] == "covered"
    assert requirement["reason"].startswith("persisted but not in the kernel")


def _without_audit_capability(rules_tree, **args):
    """Run audit_rules_load through ansible as root but without CAP_AUDIT_CONTROL (as in a container)."""
    env = dict(os.environ, ANSIBLE_COLLECTIONS_PATH=os.path.join(ROOT, ".build", "pytest"), ANSIBLE_NOCOLOR="1",
               ANSIBLE_LOCALHOST_WARNING="0", ANSIBLE_INVENTORY_UNPARSED_WARNING="0", ANSIBLE_LOAD_CALLBACK_PLUGINS="1",
               ANSIBLE_STDOUT_CALLBACK="ansible.builtin.json")
    module_args = dict(rules_dir=str(rules_tree.rules_dir), compiled_file=str(rules_tree.compiled), **args)
    command = ["setpriv", "--bounding-set=-audit_control", "--inh-caps=-audit_control",
               os.path.join(os.path.dirname(sys.executable), "ansible"), "localhost", "-m",
               "auditkit.auditd.audit_rules_load", "-a", repr(module_args).replace("'", '"').replace("True", "true")]
    done = subprocess.run(command, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, check=False)
    return done.returncode, done.stdout


def test_no_audit_capability(kernel, rules_tree):
    rules_tree.write({"10-base.rules": "-D\n" + STIG[0] + "\n"})
    before = loaded_lines()
    rc, out = _without_audit_capability(rules_tree)
    assert rc == 0 and '"loaded": false' in out and "no audit capability" in out
    rc, out = _without_audit_capability(rules_tree, required=True)
    assert rc != 0 and "cannot load audit rules: no audit capability" in out
    assert loaded_lines() == before
