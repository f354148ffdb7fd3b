# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The remediate playbook as a user runs it loads what it writes: judged by the kernel
(auditctl -l), not by our verdicts. A condition on an imported role reaches its handlers, which
once skipped the load handler in every real run while every verdict-based test stayed green."""
import json
import os
import sys

import pytest

from kernel_helpers import KernelGuard, auditctl, loaded_lines

sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "integration"))
from sandbox import make_fleet, playbook  # noqa: E402  pylint: disable=wrong-import-position

# What the RHEL 9 STIG profile writes on x86_64, as auditctl -l prints it.
EXPECTED = [
    "-a always,exit -F arch=b64 -S init_module,finit_module -F auid>=1000 -F auid!=-1 -F key=module_chng",
    "-a always,exit -F arch=b64 -S delete_module -F auid>=1000 -F auid!=-1 -F key=module_chng",
    "-a always,exit -S all -F path=/usr/bin/kmod -F perm=x -F auid>=1000 -F auid!=-1 -F key=modules",
]


@pytest.fixture
def kernel():
    guard = KernelGuard()
    yield guard
    guard.restore()


@pytest.mark.skipif(os.uname()[4] != "x86_64", reason="the expected auditctl -l lines are x86_64's")
def test_remediate_loads_the_rules_it_writes(tmp_path, kernel):
    common = {"auditkit_load": True, "auditkit_read_kernel": True, "auditkit_profile": "stig_rhel9"}
    fleet = make_fleet(tmp_path, {"web1": {}}, common=common)
    run = playbook(fleet, "remediate")
    assert run.returncode == 0, run.stdout
    assert "RUNNING HANDLER [auditkit.auditd.module_loading : Load audit rules]" in run.stdout
    loaded = loaded_lines()
    assert [line for line in EXPECTED if line not in loaded] == [], run.stdout

    # The drift report with the probe: every control passes, and the kernel recorded each fired action.
    assert auditctl("-e", "1").returncode == 0  # KernelGuard puts the previous setting back
    again = playbook(fleet, "drift_report", auditkit_report_dir=str(tmp_path / "report"), auditkit_probe=True)
    assert again.returncode == 0, again.stdout
    with open(str(tmp_path / "report" / "report.json")) as handle:
        controls = json.load(handle)["hosts"][0]["controls"]
    assert [c["status"] for c in controls] == ["pass"] * 3
    assert all(c["probe"] is not None for c in controls), controls
    with open("/proc/self/loginuid") as handle:
        unset = handle.read().strip() == "4294967295"  # the probe then fires as login uid 1000
    if unset:
        assert [c["probe"]["status"] for c in controls] == ["recorded"] * 3, controls
    assert "Probe (kernel records)" in (tmp_path / "report" / "summary.md").read_text()


def test_check_mode_predicts_the_load_against_the_planned_files(tmp_path, kernel):
    """A planned rule the kernel already holds (loaded by hand, never written) is not predicted
    as new: the prediction compares the kernel with the planned files, not with the plan."""
    assert auditctl("-D").returncode == 0
    assert auditctl(*EXPECTED[0].split()).returncode == 0
    common = {"auditkit_load": True, "auditkit_read_kernel": True, "auditkit_profile": "stig_rhel9"}
    fleet = make_fleet(tmp_path, {"web1": {"files": {"00-base.rules": "-D\n"}}}, common=common)
    dry = playbook(fleet, "remediate", "--check", auditkit_report_dir=str(tmp_path / "report"))
    assert dry.returncode == 0, dry.stdout
    prediction = dry.stdout.split("Predict the load against the planned files")[1].split("PLAY RECAP")[0]
    assert "loading the planned files would bring into the kernel" in prediction, dry.stdout
    assert "-S delete_module" in prediction and "path=/usr/bin/kmod" in prediction, prediction
    assert "arch=b32 -S init_module" in prediction, prediction  # the STIG's b32 rule is planned, not loaded
    assert "arch=b64 -S init_module" not in prediction, prediction  # already in the kernel
    assert loaded_lines() == [EXPECTED[0]]  # check mode loaded nothing
    assert not (tmp_path / "web1" / "rules.d" / "audit.rules").exists()
