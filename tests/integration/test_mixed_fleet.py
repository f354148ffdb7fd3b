# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""A mixed Amazon Linux 2023 + RHEL 9 sandbox fleet: control IDs resolve per host. An ID of
another distribution's profile is not_applicable on a host (with the reason), an ID in no
profile stops the run naming close matches, survey-style comma lists with spaces work, and
--tags V-274091 selects like auditkit_controls.

Each host's profile is set per host (auditkit_profile host_vars): profile auto reads the
managed host's /etc/os-release, which local-connection hosts share; its per-host resolution
is covered by tests/unit/plugins/module_utils/test_control_ids.py."""
import os

import pytest

from sandbox import make_fleet, playbook, report_statuses

DISA_AL2023 = "-a always,exit -F arch=b64 -S init_module,finit_module -F auid>=1000 -F auid!=unset -k module_chng\n"
DISA_RHEL9_INIT = ("-a always,exit -F arch=b32 -S init_module,finit_module -F auid>=1000 -F auid!=unset -k module_chng\n"
                   "-a always,exit -F arch=b64 -S init_module,finit_module -F auid>=1000 -F auid!=unset -k module_chng\n")
HOSTS = {
    "al-empty": {"vars": {"auditkit_profile": "stig_al2023"}},
    "al-ok": {"files": {"30.rules": DISA_AL2023}, "vars": {"auditkit_profile": "stig_al2023"}},
    "rh-empty": {"vars": {"auditkit_profile": "stig_rhel9"}},
    "rh-ok": {"files": {"30.rules": DISA_RHEL9_INIT}, "vars": {"auditkit_profile": "stig_rhel9"}},
}


@pytest.fixture
def fleet(tmp_path):
    for host in HOSTS:  # the compiled files follow the rules directories; keep them explicit here
        HOSTS[host].setdefault("vars", {})["auditkit_compiled_file"] = str(tmp_path / host / "audit.rules")
        HOSTS[host]["vars"]["auditkit_rules_file"] = str(tmp_path / host / "rules.d" / "audit.rules")
    return make_fleet(tmp_path, HOSTS)


def _only_status(statuses):
    return dict((host, dict((c, s) for c, (s, _r) in controls.items())) for host, controls in statuses.items())


def _files(fleet):
    return dict((host, sorted(os.listdir(str(fleet / host / "rules.d")))) for host in HOSTS)


def test_control_of_another_profile_is_not_applicable_there(fleet):
    run = playbook(fleet, "drift_report", auditkit_controls=["V-274091"], auditkit_report_dir=str(fleet / "r"))
    assert run.returncode == 0, run.stdout
    statuses = report_statuses(fleet / "r")
    assert _only_status(statuses) == {"al-empty": {"V-274091": "fail"}, "al-ok": {"V-274091": "pass"},
                                      "rh-empty": {"V-274091": "not_applicable"},
                                      "rh-ok": {"V-274091": "not_applicable"}}
    reason = statuses["rh-empty"]["V-274091"][1]
    assert "stig_al2023" in reason and "stig_rhel9" in reason, reason


def test_remediate_a_foreign_control_writes_nothing_on_the_other_hosts(fleet):
    before = _files(fleet)
    run = playbook(fleet, "remediate", auditkit_controls=["V-274091"])
    assert run.returncode == 0, run.stdout
    assert DISA_AL2023.strip() in (fleet / "al-empty" / "rules.d" / "audit.rules").read_text()
    after = _files(fleet)
    assert after["rh-empty"] == before["rh-empty"] and after["rh-ok"] == before["rh-ok"]


def test_tags_select_per_host(fleet):
    run = playbook(fleet, "drift_report", "--tags", "V-274091", auditkit_report_dir=str(fleet / "r"))
    assert run.returncode == 0, run.stdout
    assert _only_status(report_statuses(fleet / "r"))["rh-ok"] == {"V-274091": "not_applicable"}
    assert _only_status(report_statuses(fleet / "r"))["al-ok"] == {"V-274091": "pass"}


def test_survey_comma_list_with_spaces(fleet):
    """AWX surveys pass text: 'V-274091, RHEL-09-654080' (the STIG ID of V-258190)."""
    run = playbook(fleet, "drift_report", auditkit_controls="V-274091, RHEL-09-654080",
                   auditkit_report_dir=str(fleet / "r"))
    assert run.returncode == 0, run.stdout
    statuses = _only_status(report_statuses(fleet / "r"))
    assert statuses["al-ok"] == {"V-274091": "pass", "V-258190": "not_applicable"}
    assert statuses["rh-ok"] == {"V-274091": "not_applicable", "V-258190": "pass"}
    assert statuses["rh-empty"] == {"V-274091": "not_applicable", "V-258190": "fail"}


def test_unknown_id_stops_the_run_naming_close_matches(fleet):
    before = _files(fleet)
    run = playbook(fleet, "remediate", auditkit_controls=["V-27409"])
    assert run.returncode != 0
    assert "V-27409" in run.stdout and "V-274091" in run.stdout, run.stdout
    assert "did you mean" in run.stdout.lower(), run.stdout
    assert _files(fleet) == before


def test_unknown_id_stops_the_run_before_anything_is_installed(fleet):
    run = playbook(fleet, "remediate", "--check", auditkit_controls="V-274091, V-27409", auditkit_install=True)
    assert run.returncode != 0
    assert "TASK [auditkit.auditd.module_loading : Refuse control IDs" in run.stdout, run.stdout
    assert "did you mean" in run.stdout and "V-274091" in run.stdout, run.stdout
    assert "Install the audit userspace tools" not in run.stdout, run.stdout


def test_unknown_id_in_one_hosts_inventory_stops_every_host(tmp_path):
    """The check runs once for the play, yet reads each host's own (inventory) selection: a bad
    ID in the last host's host_vars stops the run before any host is written, in a dry run too."""
    hosts = dict((name, {"vars": dict(spec.get("vars", {}))}) for name, spec in HOSTS.items())
    hosts["rh-ok"]["vars"]["auditkit_skip_controls"] = ["RHEL-09-65410"]
    fleet = make_fleet(tmp_path, hosts)
    for args in ((), ("--check",)):
        run = playbook(fleet, "remediate", *args)
        assert run.returncode != 0, run.stdout
        assert "RHEL-09-65410" in run.stdout and "did you mean" in run.stdout.lower(), run.stdout
        assert "Write the audit rules" not in run.stdout, run.stdout
        assert _files(fleet) == dict((host, []) for host in HOSTS)
    drift = playbook(fleet, "drift_report")
    assert drift.returncode != 0 and "RHEL-09-65410" in drift.stdout, drift.stdout
    assert "Judge the kernel-module audit rules" not in drift.stdout, drift.stdout
