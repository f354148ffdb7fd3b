# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Module tools that are not kmod (issue 24, item 4), judged by the kernel: a copy of kmod named
insmod (not a link) first on the module's PATH is a finding on the kmod control; remediate writes
and loads the path rule for it, and the probe's run of the copy is recorded by the kernel."""
import json
import os
import shutil
import sys

import pytest

from kernel_helpers import KernelGuard, auditctl, loaded_lines

sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "integration"))
from sandbox import make_fleet, path_interpreter, playbook  # noqa: E402  pylint: disable=wrong-import-position

KMOD = shutil.which("kmod") or "/usr/bin/kmod"


@pytest.fixture
def kernel():
    guard = KernelGuard()
    yield guard
    guard.restore()


@pytest.mark.skipif(not os.path.exists(KMOD), reason="kmod is not installed")
def test_copied_insmod_is_a_finding_and_after_remediation_its_run_is_recorded(tmp_path, kernel):
    tools = tmp_path / "vendor-sbin"
    tools.mkdir()
    shutil.copy2(os.path.realpath(KMOD), str(tools / "insmod"))  # a copy, not a link: its own inode
    copy = str(tools / "insmod")
    common = {"auditkit_load": True, "auditkit_read_kernel": True, "auditkit_profile": "stig_rhel9",
              "auditkit_controls": ["V-258195"],
              "ansible_python_interpreter": path_interpreter(tmp_path / "interp", tools)}
    fleet = make_fleet(tmp_path, {"tools": {}}, common=common)

    run = playbook(fleet, "drift_report", auditkit_report_dir=str(tmp_path / "before"))
    assert run.returncode == 0, run.stdout
    host = json.loads((tmp_path / "before" / "report.json").read_text())["hosts"][0]
    finding = [f for f in host["findings"] if f["kind"] == "module_tool"]
    assert [(f["file"], f["text"]) for f in finding] == [(copy, copy)], host["findings"]
    control = host["controls"][0]
    required = "-a always,exit -F path=%s -F perm=x -F auid>=1000 -F auid!=unset -k modules" % copy
    assert control["status"] == "fail" and required in control["reason"], control
    assert any(copy in note and "is a copy of kmod" in note for note in control["notes"]), control["notes"]
    assert copy in (tmp_path / "before" / "summary.md").read_text()

    run = playbook(fleet, "remediate")
    assert run.returncode == 0, run.stdout
    assert required in (tmp_path / "tools" / "rules.d" / "audit.rules").read_text()
    listed = "-a always,exit -S all -F path=%s -F perm=x -F auid>=1000 -F auid!=-1 -F key=modules" % copy
    assert listed in loaded_lines(), loaded_lines()

    assert auditctl("-e", "1").returncode == 0  # KernelGuard puts the previous setting back
    run = playbook(fleet, "drift_report", auditkit_report_dir=str(tmp_path / "after"), auditkit_probe=True)
    assert run.returncode == 0, run.stdout
    host = json.loads((tmp_path / "after" / "report.json").read_text())["hosts"][0]
    control = host["controls"][0]
    assert control["status"] == "pass", control
    with open("/proc/self/loginuid") as handle:
        unset = handle.read().strip() == "4294967295"  # the probe then fires as login uid 1000
    if unset:
        assert control["probe"]["status"] == "recorded", control["probe"]
