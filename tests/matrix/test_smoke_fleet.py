# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Smoke fleet for each ansible-core of the matrix (scripts/core_matrix.sh runs it with the
pytest of .build/core-2.X, so ansible-playbook is that version's): drift_report,
remediate --check, remediate and drift_report on the local-connection sandbox fleet of
tests/integration/test_fleet.py, minus its unreachable host. The full integration suite runs
on the ansible-core of .venv (make integration)."""
import json
import os
import sys

import ansible.release

sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "integration"))
import test_fleet  # noqa: E402

FLEET, playbook, _changed = test_fleet.FLEET, test_fleet.playbook, test_fleet._changed
fleet = test_fleet.fleet  # the sandbox-fleet fixture, used by name


def _statuses(report_dir):
    with open(os.path.join(report_dir, "report.json")) as handle:
        report = json.load(handle)
    return dict((h["name"], [c["status"] for c in h["controls"]]) for h in report["hosts"])


def _rules(fleet_dir):
    return dict((host, sorted((name, (fleet_dir / host / "rules.d" / name).read_text())
                              for name in os.listdir(str(fleet_dir / host / "rules.d")))) for host in FLEET)


def test_drift_check_remediate_drift(fleet):
    print("ansible-core %s" % ansible.release.__version__)
    first = playbook(fleet, "drift_report", auditkit_report_dir=str(fleet / "before"), target="fleet")
    assert first.returncode == 0, first.stdout
    before = _statuses(str(fleet / "before"))
    assert sorted(before) == sorted(FLEET)
    assert before["h-compliant"] == ["pass"] * 3 and before["h-equivalent"] == ["pass"] * 3, before
    assert "fail" in before["h-empty"] and "fail" in before["h-suppressed"] and "fail" in before["h-partial"], before

    seeded = _rules(fleet)
    dry = playbook(fleet, "remediate", "--check", "--diff", auditkit_report_dir=str(fleet / "dry"), target="fleet")
    assert dry.returncode == 0, dry.stdout
    assert _rules(fleet) == seeded  # check mode wrote nothing

    fixed = playbook(fleet, "remediate", target="fleet")
    assert fixed.returncode == 0, fixed.stdout
    assert _changed(fixed.stdout, "h-compliant") == 0 and _changed(fixed.stdout, "h-empty") > 0, fixed.stdout

    after = playbook(fleet, "drift_report", auditkit_report_dir=str(fleet / "after"), target="fleet")
    assert after.returncode == 0, after.stdout
    assert _statuses(str(fleet / "after")) == dict((host, ["pass"] * 3) for host in FLEET)
