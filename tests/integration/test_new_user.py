# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""What a new user meets (issue 25), through ansible-playbook on one shared sandbox fleet: waivers
that follow their host (host_vars, group_vars, extra vars; any --limit order; slices merged), any
catalog ID as a waiver key and a typo refused, --tags values that look like control IDs checked
before anything is judged or written, and auditkit_fail_on_drift failing the hosts that drift."""
import json
import os
import re

import pytest
import yaml
from sandbox import make_fleet, playbook, report_statuses

DISA_RHEL9 = [
    "-a always,exit -F arch=b32 -S delete_module -F auid>=1000 -F auid!=unset -k module_chng",
    "-a always,exit -F arch=b64 -S delete_module -F auid>=1000 -F auid!=unset -k module_chng",
    "-a always,exit -F arch=b32 -S init_module,finit_module -F auid>=1000 -F auid!=unset -k module_chng",
    "-a always,exit -F arch=b64 -S init_module,finit_module -F auid>=1000 -F auid!=unset -k module_chng",
    "-a always,exit -F path=/usr/bin/kmod -F perm=x -F auid>=1000 -F auid!=unset -k modules",
]
NO_KMOD = {"audit.rules": "\n".join(DISA_RHEL9[:4]) + "\n"}  # only V-258195 (kmod) fails
KMOD = "V-258195"  # RHEL-09-654105, SV-258195r1045370_rule
HOST_VARS_WAIVER = "ticket 42: n-kmod2 only"
GROUP_VARS_WAIVER = "EDR covers kmod on the edr group (ticket 43)"


@pytest.fixture(scope="module")
def fleet(tmp_path_factory):
    """a-ok (compliant, first in inventory order), n-kmod1..3 (kmod rule missing); n-kmod2 has a
    waiver in host_vars, n-kmod3 is in group edr whose group_vars waive by STIG ID in lower case."""
    root = tmp_path_factory.mktemp("newuser")
    make_fleet(root, {"a-ok": {"files": {"audit.rules": "\n".join(DISA_RHEL9) + "\n"}},
                      "n-kmod1": {"files": NO_KMOD}, "n-kmod2": {"files": NO_KMOD}, "n-kmod3": {"files": NO_KMOD}},
               common={"auditkit_profile": "stig_rhel9"})
    inventory = yaml.safe_load((root / "hosts.yml").read_text())
    inventory["all"]["children"]["edr"] = {"hosts": {"n-kmod3": {}}}
    (root / "hosts.yml").write_text(yaml.safe_dump(inventory))
    (root / "host_vars").mkdir()
    (root / "host_vars" / "n-kmod2.yml").write_text(yaml.safe_dump({"auditkit_waivers": {KMOD: HOST_VARS_WAIVER}}))
    (root / "group_vars").mkdir()
    (root / "group_vars" / "edr.yml").write_text(yaml.safe_dump({"auditkit_waivers": {"rhel-09-654105": GROUP_VARS_WAIVER}}))
    return root


def _kmod(report_dir):
    return dict((host, controls[KMOD][0]) for host, controls in report_statuses(report_dir).items())


def _rules_files(fleet):
    return sorted((str(p), p.read_text()) for p in fleet.glob("*/rules.d/*"))


# --- 1. waivers follow their host -----------------------------------------------------------------

@pytest.mark.parametrize("limit", ["n-kmod2,n-kmod1,n-kmod3", "n-kmod1,n-kmod3,n-kmod2"])
def test_each_host_has_its_own_waivers_whatever_the_limit_order(fleet, limit):
    """The host_vars waiver of n-kmod2 and the group_vars waiver of n-kmod3 waive only those
    hosts; n-kmod1 (the host the report task runs for) keeps its failure."""
    out = fleet / ("limit-" + limit.replace(",", "_"))
    run = playbook(fleet, "drift_report", "--limit", limit, auditkit_report_dir=str(out))
    assert run.returncode == 0, run.stdout  # a failing control fails no host without auditkit_fail_on_drift
    assert _kmod(out) == {"n-kmod1": "fail", "n-kmod2": "waived", "n-kmod3": "waived"}
    report = json.loads((out / "report.json").read_text())
    assert report["waivers"] == {"n-kmod2": {KMOD: HOST_VARS_WAIVER}, "n-kmod3": {"rhel-09-654105": GROUP_VARS_WAIVER}}
    rows = dict((h["name"], [c for c in h["controls"] if c["id"] == KMOD][0]) for h in report["hosts"])
    assert rows["n-kmod2"]["waiver"] == HOST_VARS_WAIVER and "host n-kmod2" in rows["n-kmod2"]["waiver_scope"]
    assert rows["n-kmod1"]["waiver"] is None and rows["n-kmod1"]["waiver_scope"] is None
    # every format names the waiver's host scope beside its justification
    scope = "%s [waiver for host n-kmod2 (auditkit_waivers key %s)]" % (HOST_VARS_WAIVER, KMOD)
    for name in ("summary.md", "report.csv", "junit.xml", "report.html", "n-kmod2.cklb"):
        assert scope in (out / name).read_text(), name
    assert "n-kmod2" not in (out / "n-kmod3.cklb").read_text().replace("n-kmod3", "")


def test_a_host_alone_gets_its_own_waivers_and_no_other(fleet):
    out = fleet / "limit-kmod1"
    run = playbook(fleet, "drift_report", "--limit", "n-kmod1", auditkit_report_dir=str(out))
    assert run.returncode == 0 and _kmod(out) == {"n-kmod1": "fail"}


def test_extra_vars_waivers_apply_to_every_host_by_their_rule_id(fleet):
    """Extra vars outrank host_vars: every host is waived, by an SV- rule ID (item 6)."""
    out = fleet / "extra"
    run = playbook(fleet, "drift_report", "--limit", "n-kmod1,n-kmod2", auditkit_report_dir=str(out),
                   auditkit_waivers={"SV-258195r1045370_rule": "site-wide exception SEC-7"})
    assert run.returncode == 0, run.stdout
    assert _kmod(out) == {"n-kmod1": "waived", "n-kmod2": "waived"}
    assert "site-wide exception SEC-7 [waiver for host n-kmod1" in (out / "summary.md").read_text()


def test_slices_merged_keep_each_hosts_waivers(fleet):
    """Two slices (--limit each) and merge_reports: the merged report waives n-kmod2 only."""
    slices = []
    for host in ("n-kmod1", "n-kmod2"):
        slices.append(str(fleet / ("slice-" + host)))
        run = playbook(fleet, "drift_report", "--limit", host, auditkit_report_dir=slices[-1])
        assert run.returncode == 0, run.stdout
    merged = fleet / "merged"
    run = playbook(fleet, "merge_reports", "--limit", "n-kmod1,n-kmod2", auditkit_merge_paths=slices,
                   auditkit_report_dir=str(merged))
    assert run.returncode == 0, run.stdout
    assert _kmod(merged) == {"n-kmod1": "fail", "n-kmod2": "waived"}
    assert "waiver for host n-kmod2" in (merged / "summary.md").read_text()


# --- 6. waiver keys -------------------------------------------------------------------------------

def test_a_waiver_key_no_control_has_stops_the_run_with_close_matches(fleet):
    out = fleet / "typo-waiver"
    run = playbook(fleet, "drift_report", auditkit_report_dir=str(out), auditkit_waivers={"V-258915": "typo"})
    assert run.returncode != 0
    assert re.search(r"auditkit_waivers of host \S+: V-258915 \(did you mean [^)]*V-258195", run.stdout), run.stdout
    assert "Judge the kernel-module audit rules" not in run.stdout and not out.exists()


# --- 2. --tags that look like control IDs ---------------------------------------------------------

@pytest.mark.parametrize("tag, expected", [
    ("V-258198", r"V-258198 \(did you mean [^)]*V-258195"),  # a typo
    ("v-258195", r"v-258195 \(the role's tasks are tagged V-258195"),  # tags are case-sensitive
    ("V-25819", r"V-25819 \(did you mean V-258195"),  # a cut ID
    ("SV-258195r1045370_rule", r"tagged V-258195, RHEL-09-654105"),  # an ID the tasks are not tagged with
])
def test_a_control_like_tag_that_tags_nothing_stops_remediate_before_anything_is_written(fleet, tag, expected):
    before = _rules_files(fleet)
    run = playbook(fleet, "remediate", "--tags", tag, "--limit", "n-kmod1")
    assert run.returncode != 0 and re.search(expected, run.stdout), run.stdout
    assert "--tags: " in run.stdout and "Write the audit rules" not in run.stdout
    assert _rules_files(fleet) == before


def test_a_mistyped_tag_stops_drift_report_and_a_right_one_selects_its_control(fleet):
    out = fleet / "typo-tag"
    run = playbook(fleet, "drift_report", "--tags", "V-258199", auditkit_report_dir=str(out))
    assert run.returncode != 0 and "V-258199 (did you mean" in run.stdout and not out.exists()
    out = fleet / "right-tag"
    run = playbook(fleet, "drift_report", "--tags", "RHEL-09-654105,auditkit", "--limit", "a-ok",
                   auditkit_report_dir=str(out))
    assert run.returncode == 0, run.stdout
    assert report_statuses(out) == {"a-ok": {KMOD: ("pass", report_statuses(out)["a-ok"][KMOD][1])}}


# --- 5. auditkit_fail_on_drift fails the hosts that drift -----------------------------------------

def test_fail_on_drift_fails_the_drifting_host_not_the_first(fleet):
    out = fleet / "gate"
    run = playbook(fleet, "drift_report", "--limit", "a-ok,n-kmod1", auditkit_report_dir=str(out),
                   auditkit_fail_on_drift=True)
    assert run.returncode == 2, run.stdout
    recap = dict(re.findall(r"^(\S+)\s+: ok=\d+\s+changed=\d+\s+unreachable=\d+\s+failed=(\d+)", run.stdout, re.M))
    assert recap == {"a-ok": "0", "n-kmod1": "1"}, run.stdout
    assert re.search(r"fatal: \[n-kmod1\]: FAILED! => .*drift: failing controls V-258195 .*drifting hosts of the "
                     r"run: n-kmod1;", run.stdout), run.stdout
    assert os.path.exists(str(out / "report.json"))
