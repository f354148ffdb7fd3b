# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Comparing runs through ansible-playbook on one sandbox fleet: a first drift_report, then an
operator's changes (a host fixed, a rules file deleted, a host removed from the inventory, a host
added) and a second drift_report with auditkit_report_baseline. The transitions, the missing lines
named, the regression gate (which trips only on the regression) and compare_reports (the same
transitions offline) are checked in the files the runs wrote."""
import csv
import html
import json
import os
import xml.etree.ElementTree as ET

import subprocess

import jsonschema
import pytest
import yaml

from sandbox import BIN, DISA_RHEL9, ROOT, env, make_fleet

COMPLIANT = {"10-base.rules": "-D\n", "audit.rules": "\n".join(DISA_RHEL9) + "\n"}
FLEET = {
    "h-fixed": {"files": {"10-base.rules": "-D\n"}},
    "h-regressed": {"files": COMPLIANT},
    "h-steady": {"files": COMPLIANT},
    "h-still": {"files": {"10-base.rules": "-D\n-b 8192\n"}},
    "h-gone": {"files": COMPLIANT},
    "h-new": {"files": COMPLIANT},
}
CONTROLS = ["V-258189", "V-258190", "V-258195"]


def _inventory(root, without):
    """The fleet's inventory without some hosts (hosts removed from, or not yet in, the inventory)."""
    data = yaml.safe_load((root / "hosts.yml").read_text())
    hosts = data["all"]["children"]["fleet"]["hosts"]
    for name in without:
        hosts.pop(name)
    path = root / ("hosts-without-%s.yml" % "-".join(without))
    path.write_text(yaml.safe_dump(data))
    return str(path)


def playbook(root, name, inventory=None, *args, **extra_vars):
    """ansible-playbook auditkit.auditd.<name> on one inventory of the fleet (default: all of it)."""
    command = [os.path.join(BIN, "ansible-playbook"), "-i", inventory or str(root / "hosts.yml"),
               "auditkit.auditd." + name, "-e", json.dumps(extra_vars)] + list(args)
    return subprocess.run(command, env=env(), cwd=str(root), stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                          universal_newlines=True, check=False)


def _report(report_dir):
    with open(os.path.join(str(report_dir), "report.json")) as handle:
        return json.load(handle)


def _transitions(report):
    return dict((h["name"], dict((c["id"], c["transition"]) for c in h["controls"])) for h in report["hosts"])


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    """Run 1 without h-new; the operator's changes; run 2 (baseline run 1) without h-gone."""
    root = make_fleet(tmp_path_factory.mktemp("baseline"), FLEET, {"auditkit_profile": "stig_rhel9"})
    first = playbook(root, "drift_report", _inventory(root, ["h-new"]), auditkit_report_dir=str(root / "r1"))
    (root / "h-fixed" / "rules.d" / "audit.rules").write_text("\n".join(DISA_RHEL9) + "\n")
    (root / "h-regressed" / "rules.d" / "audit.rules").unlink()  # an operator deleted the rules file
    second_inventory = _inventory(root, ["h-gone"])
    second = playbook(root, "drift_report", second_inventory, auditkit_report_dir=str(root / "r2"),
                      auditkit_report_baseline=str(root / "r1"))
    return root, first, second, second_inventory


def test_second_run_names_each_transition(runs):
    root, first, second, _inventory_path = runs
    assert first.returncode == 0, first.stdout
    assert second.returncode == 0, second.stdout
    report = _report(root / "r2")
    with open(os.path.join(ROOT, "schemas", "report.schema.json")) as handle:
        jsonschema.validate(report, json.load(handle))
    assert _transitions(report) == {
        "h-fixed": dict.fromkeys(CONTROLS, "fixed"), "h-regressed": dict.fromkeys(CONTROLS, "regressed"),
        "h-steady": dict.fromkeys(CONTROLS, "unchanged"), "h-still": dict.fromkeys(CONTROLS, "still_failing"),
        "h-new": dict.fromkeys(CONTROLS, "new")}
    assert sorted((g["host"], g["id"], g["baseline_status"], g["host_gone"]) for g in report["gone"]) == [
        ("h-gone", c, "pass", True) for c in CONTROLS]
    assert report["transitions"] == {"fixed": 3, "regressed": 3, "still_failing": 3, "unchanged": 3, "new": 3,
                                     "gone": 3}
    assert report["baseline"]["path"] == str(root / "r1" / "report.json")
    assert "since the baseline %s" % (root / "r1" / "report.json") in second.stdout


def test_regressed_host_names_the_missing_lines(runs):
    root = runs[0]
    report = _report(root / "r2")
    host = [h for h in report["hosts"] if h["name"] == "h-regressed"][0]
    changes = dict((c["id"], c["rule_changes"]) for c in host["controls"])
    assert changes["V-258189"]["newly_missing"] == DISA_RHEL9[0:2]
    assert changes["V-258190"]["newly_missing"] == DISA_RHEL9[2:4]
    assert changes["V-258195"]["newly_missing"] == DISA_RHEL9[4:5]
    rules_file = str(root / "h-regressed" / "rules.d" / "audit.rules")
    assert [(e["where"], e["file"], e["text"]) for e in changes["V-258195"]["disappeared"]] == [
        ("on_disk", rules_file, DISA_RHEL9[4])]
    fixed = [h for h in report["hosts"] if h["name"] == "h-fixed"][0]
    assert dict((c["id"], c["rule_changes"]["restored"]) for c in fixed["controls"])["V-258195"] == DISA_RHEL9[4:5]


def test_every_format_of_the_second_run_shows_it(runs):
    root = runs[0]
    markdown = (root / "r2" / "summary.md").read_text()
    assert markdown.index("## Since the baseline") < markdown.index("| Host | Status |")
    assert "| h-regressed | V-258195 | regressed (was pass) | missing now (was present): %s" % html.escape(
        DISA_RHEL9[4], quote=False) in markdown  # Markdown cells escape <, >, & (issue 23)
    assert "| h-gone | V-258189 | gone (was pass; host not in this run) |" in markdown
    with open(str(root / "r2" / "report.csv")) as handle:
        rows = list(csv.DictReader(handle))
    assert dict(((r["host"], r["control"]), r["transition"]) for r in rows)[("h-fixed", "V-258190")] == "fixed (was fail)"
    assert [r["transition"] for r in rows if r["host"] == "h-gone"] == ["gone (was pass)"] * 3
    junit = ET.parse(str(root / "r2" / "junit.xml")).getroot()
    messages = dict((c.get("classname"), c.find("failure").get("message")) for c in junit.iter("testcase")
                    if c.find("failure") is not None)
    assert messages["h-regressed"].startswith("regressed since the baseline (was pass)")
    assert not messages["h-still"].startswith("regressed")
    page = (root / "r2" / "report.html").read_text()
    assert page.index('id="since-baseline"') < page.index('id="matrix"')
    cklb = json.loads((root / "r2" / "h-regressed.cklb").read_text())
    assert all("regressed (was pass)" in r["comments"] for r in cklb["stigs"][0]["rules"])


def test_fail_on_regression_trips_only_on_the_regression(runs):
    root, _first, _second, inventory = runs
    gated = playbook(root, "drift_report", inventory, auditkit_report_dir=str(root / "r-gate"),
                     auditkit_report_baseline=str(root / "r1"), auditkit_fail_on_regression=True)
    assert gated.returncode != 0
    assert "regressed since %s: h-regressed V-258189, h-regressed V-258190, h-regressed V-258195" % (
        root / "r1" / "report.json") in gated.stdout
    passed = playbook(root, "drift_report", inventory, "--limit", "h-fixed,h-still,h-steady,h-new",
                      auditkit_report_dir=str(root / "r-gate-limited"), auditkit_report_baseline=str(root / "r1"),
                      auditkit_fail_on_regression=True)
    assert passed.returncode == 0, passed.stdout  # h-still still fails: no regression, no gate
    assert _report(root / "r-gate-limited")["transitions"]["still_failing"] == 3


def _rule_changes(report):
    return dict((h["name"], [c["rule_changes"] for c in h["controls"]]) for h in report["hosts"])


def test_compare_reports_gives_the_same_transitions(runs):
    root = runs[0]
    plain = playbook(root, "drift_report", runs[3], auditkit_report_dir=str(root / "r2-plain"))
    assert plain.returncode == 0, plain.stdout
    compared = playbook(root, "compare_reports", auditkit_compare_baseline=str(root / "r1"),
                        auditkit_compare_report=str(root / "r2-plain"), auditkit_report_dir=str(root / "r-cmp"))
    assert compared.returncode == 0, compared.stdout
    offline, online = _report(root / "r-cmp"), _report(root / "r2")
    assert _transitions(offline) == _transitions(online)
    assert offline["gone"] == online["gone"] and offline["transitions"] == online["transitions"]
    assert _rule_changes(offline) == _rule_changes(online)


def test_baseline_of_an_old_schema_is_refused_and_nothing_is_written(runs):
    root = runs[0]
    old = _report(root / "r1")
    old["schema_version"] = 1
    (root / "old.json").write_text(json.dumps(old))
    refused = playbook(root, "compare_reports", auditkit_compare_baseline=str(root / "old.json"),
                       auditkit_compare_report=str(root / "r1"), auditkit_report_dir=str(root / "r-old"))
    assert refused.returncode != 0
    assert "has report schema_version 1; this collection compares with schema_version 2 only" in refused.stdout
    assert not (root / "r-old").exists()


REMEDIATE_FLEET = {
    "r-empty": {"files": {"10-base.rules": "-D\n"}},
    "r-suppressed": {"files": {"10-base.rules": "-D\n-a task,never\n", "audit.rules": "\n".join(DISA_RHEL9) + "\n"}},
    "r-compliant": {"files": COMPLIANT},
}


@pytest.fixture(scope="module")
def remediated(tmp_path_factory):
    """drift_report, a real remediate run (baseline: that drift report), drift_report right after."""
    root = make_fleet(tmp_path_factory.mktemp("remediate"), REMEDIATE_FLEET, {"auditkit_profile": "stig_rhel9"})
    runs = [playbook(root, "drift_report", auditkit_report_dir=str(root / "before")),
            playbook(root, "remediate", auditkit_report_dir=str(root / "record"),
                     auditkit_report_baseline=str(root / "before")),
            playbook(root, "drift_report", auditkit_report_dir=str(root / "after"))]
    for run in runs:
        assert run.returncode == 0, run.stdout
    return root


def test_real_remediate_writes_before_and_after_that_match_drift_reports(remediated):
    root = remediated
    record, before, after = (_report(root / name) for name in ("record", "before", "after"))
    with open(os.path.join(ROOT, "schemas", "report.schema.json")) as handle:
        jsonschema.validate(record, json.load(handle))
    assert record["kind"] == "remediation" and record["title"].startswith("auditkit.auditd remediation record")

    def statuses(report):
        return dict(((h["name"], c["id"]), c["status"]) for h in report["hosts"] for c in h["controls"])

    done = dict(((h["name"], c["id"]), c["remediation"]) for h in record["hosts"] for c in h["controls"])
    assert dict((key, r["before"]) for key, r in done.items()) == statuses(before)
    assert dict((key, r["after"]) for key, r in done.items()) == statuses(after) == statuses(record)
    assert set(statuses(before).values()) == {"pass", "fail"} and set(statuses(after).values()) == {"pass"}
    rules_file = str(root / "r-empty" / "rules.d" / "audit.rules")
    assert [(x["action"], x["file"], x["line"]) for x in done[("r-empty", "V-258195")]["lines"]] == [
        ("add", rules_file, DISA_RHEL9[4])]
    assert ("remove", str(root / "r-suppressed" / "rules.d" / "10-base.rules"), "-a task,never") in [
        (x["action"], x["file"], x["line"]) for x in done[("r-suppressed", "V-258189")]["lines"]]
    assert done[("r-compliant", "V-258189")]["lines"] == []
    loads = dict((h["name"], h["remediation"]["load"]["status"]) for h in record["hosts"])
    assert loads == dict.fromkeys(REMEDIATE_FLEET, "not_run")  # the sandbox sets auditkit_load=false
    assert record["transitions"]["fixed"] == 6 and record["transitions"]["unchanged"] == 3
    markdown = (root / "record" / "summary.md").read_text()
    assert "| r-empty | V-258195 | pass | every required rule is covered (on disk; kernel not read) | fixed (was fail) " \
           "| before fail, after pass; add %s: %s; load: not_run" % (rules_file, html.escape(DISA_RHEL9[4], quote=False)) in markdown


def test_history_keeps_runs_points_latest_prunes_but_never_the_baseline(tmp_path):
    """Three runs into one root of runs: the second (baseline: the root, so its latest run) fixes
    a host; the third compares with the first run's directory and keeps one run: the second is
    pruned, the first (its baseline) is not, latest points to the third."""
    root = make_fleet(tmp_path, {"k-fixed": {"files": {"10-base.rules": "-D\n"}}, "k-steady": {"files": COMPLIANT}},
                      {"auditkit_profile": "stig_rhel9"})
    reports = root / "reports"
    first = playbook(root, "drift_report", auditkit_report_dir=str(reports), auditkit_report_history=True)
    assert first.returncode == 0, first.stdout
    (root / "k-fixed" / "rules.d" / "audit.rules").write_text("\n".join(DISA_RHEL9) + "\n")
    second = playbook(root, "drift_report", auditkit_report_dir=str(reports), auditkit_report_history=True,
                      auditkit_report_baseline=str(reports))
    assert second.returncode == 0, second.stdout
    runs = sorted(n for n in os.listdir(str(reports)) if n[0].isdigit())
    assert len(runs) == 2 and os.readlink(str(reports / "latest")) == runs[1]
    report = _report(reports / runs[1])
    assert report["baseline"]["path"] == str(reports / "latest" / "report.json")  # the run before this one
    assert _transitions(report)["k-fixed"] == dict.fromkeys(CONTROLS, "fixed")
    assert [(r["run"], r["compliant_hosts"], r["failing_controls"]) for r in report["history"]["runs"]] == [
        (runs[0], 1, 3), (runs[1], 2, 0)]
    assert dict((h["name"], h["last_changed"]) for h in report["hosts"]) == {"k-fixed": runs[1], "k-steady": runs[0]}
    html = (reports / runs[1] / "report.html").read_text()
    assert 'id="trend-chart"' in html and html.count('class="trend"') == 4
    assert "last changed in run %s" % runs[0] in html

    third = playbook(root, "drift_report", auditkit_report_dir=str(reports), auditkit_report_history=True,
                     auditkit_report_baseline=str(reports / runs[0]), auditkit_report_keep=1)
    assert third.returncode == 0, third.stdout
    left = sorted(n for n in os.listdir(str(reports)) if n[0].isdigit())
    assert left[0] == runs[0] and runs[1] not in left and len(left) == 2  # the baseline's run survives
    assert os.readlink(str(reports / "latest")) == left[1]
    with open(str(reports / "history.json")) as handle:
        assert [r["run"] for r in json.load(handle)["runs"]] == [left[1]]


def test_a_host_that_fails_in_remediate_is_in_the_record_with_its_reason(tmp_path):
    """A real remediate run where one host's write is refused (its suppressing rule sits in a file
    linked from outside rules_dir): the run fails that host, and the remediation record still has
    it, as an error row naming the refusal, beside the host the run fixed."""
    vendor = tmp_path / "vendor"
    vendor.mkdir()
    (vendor / "vendor.rules").write_text("-a task,never\n")
    root = make_fleet(tmp_path, {"x-fixed": {"files": {"10-base.rules": "-D\n"}},
                                 "x-refused": {"files": {"10-base.rules": "-D\n"}}},
                      {"auditkit_profile": "stig_rhel9"})
    (root / "x-refused" / "rules.d" / "05-vendor.rules").symlink_to(vendor / "vendor.rules")
    run = playbook(root, "remediate", auditkit_report_dir=str(root / "record"))
    assert run.returncode != 0 and "x-refused" in run.stdout, run.stdout
    record = _report(root / "record")
    hosts = dict((h["name"], h) for h in record["hosts"])
    assert sorted(hosts) == ["x-fixed", "x-refused"]
    assert [c["remediation"]["after"] for c in hosts["x-fixed"]["controls"]] == ["pass"] * 3
    refused = hosts["x-refused"]
    assert refused["status"] == "error"
    assert "05-vendor.rules" in refused["remediation"]["error"] and "outside" in refused["remediation"]["error"]
    assert (vendor / "vendor.rules").read_text() == "-a task,never\n"  # the failed host changed nothing
    assert "05-vendor.rules" in (root / "record" / "summary.md").read_text()
