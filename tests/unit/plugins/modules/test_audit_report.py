# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Reports from real audit_rules_info / audit_rules results: a mixed fleet, hosts without
results, the remediate dry run (current state and plan), file writing (atomic, mode, changed,
check mode, diff) and bad input."""
import csv
import io
import json
import os
import stat
import xml.etree.ElementTree as ET

import jsonschema

from ansible_collections.auditkit.auditd.plugins.module_utils import audit_report_document as RD
from ansible_collections.auditkit.auditd.plugins.modules import audit_report, audit_rules, audit_rules_info

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))))


def _schema():
    with open(os.path.join(ROOT, "schemas", "report.schema.json")) as handle:
        return json.load(handle)


def _results(run_module, rules_tree):
    results = {}
    for host, profile in (("el8", "stig_rhel8"), ("el9", "stig_rhel9")):
        results[host] = run_module(audit_rules_info, **rules_tree.args(rules=[], profile=profile, loaded=False))
    results["gone"] = None
    results["down"] = {"unreachable": True, "msg": "Failed to connect to the host via ssh"}
    results["noaudit"] = {"failed": True, "msg": "rules_dir /etc/audit/rules.d does not exist (is the audit package "
                                                 "installed?)"}
    return results


def test_mixed_fleet_statuses(run_module, rules_tree):
    results = _results(run_module, rules_tree)
    report = RD.build_report(results, generated_at="2026-11-22T00:00:00Z")
    jsonschema.validate(json.loads(RD.render_json(report)), _schema())
    status = dict((h["name"], h["status"]) for h in report["hosts"])
    assert status == {"el8": "fail", "el9": "fail", "gone": "error", "down": "unreachable", "noaudit": "error"}
    noaudit = next(h for h in report["hosts"] if h["name"] == "noaudit")
    assert "audit package" in noaudit["error"] and noaudit["controls"] == []  # two profiles: nothing to guess
    assert "| noaudit | (host) | error |" in RD.render_markdown(report)
    assert "| down | (host) | unreachable |" in RD.render_markdown(report)
    assert report["summary"]["host_status"]["error"] == 2 and report["summary"]["unreachable"] == 1
    assert RD.drift(report)
    el8 = json.loads(RD.render_cklb(report, next(h for h in report["hosts"] if h["name"] == "el8")))
    assert [r["rule_version"][:7] for r in el8["stigs"][0]["rules"]] == ["RHEL-08"] * 3
    assert RD.render_cklb(report, noaudit) is None


def test_one_profile_fleet_lists_controls_of_unjudged_hosts(run_module, rules_tree):
    results = _results(run_module, rules_tree)
    del results["el8"]
    report = RD.build_report(results, hosts=["el9", "down", "noaudit"], generated_at=None)
    down = next(h for h in report["hosts"] if h["name"] == "down")
    assert [c["status"] for c in down["controls"]] == ["unreachable"] * 3
    cklb = json.loads(RD.render_cklb(report, down))
    assert set(r["status"] for r in cklb["stigs"][0]["rules"]) == {"not_reviewed"}
    assert [h["name"] for h in report["hosts"]] == ["el9", "down", "noaudit"]  # exactly the hosts given


def _without_host_warnings(details):
    """Finding details without the host's warnings line (which names the compiled file, that exists or not)."""
    return "\n".join(line for line in details.splitlines() if not line.startswith("Host warnings: "))


def test_remediate_dry_run_reports_current_state_and_plan(run_module, rules_tree):
    rules_tree.write({"10-base.rules": "-D\n"})
    args = rules_tree.args(profile="stig_al2023", dest=str(rules_tree.rules_dir / "audit.rules"))
    plan = run_module(audit_rules, check=True, **args)
    assert [c["status"] for c in plan["controls"]] == ["fail"] * 3  # current, not the plan
    assert [c["status"] for c in plan["planned"]["controls"]] == ["pass"] * 3
    assert not (rules_tree.rules_dir / "audit.rules").exists()
    info = run_module(audit_rules_info, **rules_tree.args(profile="stig_al2023", loaded=False))
    report = RD.build_report({"h": info}, plans={"h": plan}, kind="remediate_check")
    jsonschema.validate(json.loads(RD.render_json(report)), _schema())
    assert report["title"].startswith("auditkit.auditd remediate dry run")
    host = report["hosts"][0]
    assert host["status"] == "fail" and [c["status"] for c in host["controls"]] == ["fail"] * 3
    assert all(c["evidence"] == [] for c in host["controls"])  # nothing cites a file that does not exist
    assert all(c["planned"]["status"] == "pass" and c["planned"]["changes"] for c in host["controls"])
    assert set(ch["file"] for ch in host["planned_changes"]) == {str(rules_tree.rules_dir / "audit.rules")}
    cklb = json.loads(RD.render_cklb(report, host))
    assert [r["status"] for r in cklb["stigs"][0]["rules"]] == ["open"] * 3
    assert all("NOT applied" in r["comments"] and "audit.rules" not in _without_host_warnings(r["finding_details"])
               for r in cklb["stigs"][0]["rules"])
    assert "Planned (not applied)" in RD.render_markdown(report)
    rows = list(csv.DictReader(io.StringIO(RD.render_csv(report))))
    assert all(r["status"] == "fail" and r["planned_status"] == "pass" for r in rows)
    artifacts = RD.artifacts(report, "/r", [])
    assert artifacts["hosts"]["h"]["failing_controls"] == [c["id"] for c in host["controls"]]
    assert artifacts["hosts"]["h"]["planned"][0]["action"] == "add" and not artifacts["hosts"]["h"]["truncated"]
    bounded = RD.artifacts(report, "/r", [], max_planned=1)["hosts"]["h"]
    assert len(bounded["planned"]) == 1 and bounded["truncated"]


def test_csv_neutralises_formulas_and_junit_strips_illegal_characters():
    for text, expected in (("=1+1", "'=1+1"), ("+x", "'+x"), ("-a always,exit", "'-a always,exit"), ("@SUM", "'@SUM"),
                           ("\tx", "'\tx"), ("\rx", "'\rx"), ("plain", "plain"), ("", "")):
        assert RD.csv_safe(text) == expected
    report = RD.build_report({"h\x01ost": {"failed": True, "msg": "bad \x00\x1b byte \ufffe"}}, generated_at=None)
    junit = RD.render_junit(report)
    suite = ET.fromstring(junit.encode("utf-8")).find("testsuite")
    assert suite.get("errors") == "1" and suite.get("failures") == "0" and suite.get("tests") == "1"
    assert "\x00" not in junit and "\x1b" not in junit and "\ufffe" not in junit
    # the counts come from the data: a reason that contains "<error " is not counted
    reason = RD.build_report({"h": {"failed": True, "msg": '<error message="x"/> <failure>'}}, generated_at=None)
    assert ET.fromstring(RD.render_junit(reason).encode()).find("testsuite").get("errors") == "1"


def _mode(path):
    return stat.S_IMODE(os.stat(path).st_mode)


def test_module_writes_atomically_with_mode_changed_and_check_mode(run_module, rules_tree, tmp_path):
    results = _results(run_module, rules_tree)
    dest = str(tmp_path / "r")
    dry = run_module(audit_report, check=True, dest=dest, results=results)
    assert dry["changed"] and not os.path.exists(dest)
    done = run_module(audit_report, dest=dest, results=results, diff=True)
    assert sorted(os.path.basename(f) for f in done["files"]) == [
        "el8.cklb", "el8.hdf.json", "el8.xccdf.xml", "el9.cklb", "el9.hdf.json", "el9.xccdf.xml", "junit.xml",
        "report.csv", "report.html", "report.json", "summary.md"]
    assert done["changed"] and done["drift"] and all(_mode(f) == 0o640 for f in done["files"])
    assert not [n for n in os.listdir(dest) if n.startswith(".")]  # no temporary files left
    assert done["artifacts"]["hosts"]["down"]["status"] == "unreachable"
    # mode only: changed, and the diff shows the modes
    for path in done["files"]:
        os.chmod(path, 0o600)
    json_only = dict(dest=dest, results=results, formats=["json"], mode="0640")
    mode_only = run_module(audit_report, diff=True, **json_only)
    json_path = os.path.join(dest, "report.json")
    assert mode_only["changed"] and _mode(json_path) == 0o640
    entry = next(d for d in mode_only["diff"] if d["before_header"] == json_path)
    assert (entry["before"]["mode"], entry["after"]["mode"]) == ("0600", "0640")
    bad = run_module(audit_report, dest=str(tmp_path / "bad"), results=results, mode="0999")
    assert bad["failed"] and "mode" in bad["msg"] and not (tmp_path / "bad").exists()
    # a value that is not a module result is that host's error row (issue 23), not the report's failure
    odd = run_module(audit_report, dest=str(tmp_path / "odd"), results={"x": "not a result"}, formats=["json"])
    assert not odd.get("failed") and odd["artifacts"]["hosts"]["x"]["status"] == "error", odd


def test_probe_column_in_every_table_format(run_module, rules_tree):
    results = _results(run_module, rules_tree)
    el9 = results["el9"]["controls"]
    probe = {"controls": [{"id": c["id"], "catalog_id": c["catalog_id"], "status": "not_recorded",
                           "reason": "no record with the rule's key"} for c in el9]}
    probe["controls"][0].update(status="recorded", reason="every event recorded (keys: module_chng)")
    report = RD.build_report(results, generated_at="2026-11-22T00:00:00Z",
                             probes={"el9": probe, "el8": {"skipped": True}})
    jsonschema.validate(json.loads(RD.render_json(report)), _schema())
    hosts = dict((h["name"], h) for h in report["hosts"])
    assert [c["probe"]["status"] for c in hosts["el9"]["controls"]] == ["recorded"] + ["not_recorded"] * (len(el9) - 1)
    assert all(c["probe"] is None for c in hosts["el8"]["controls"])  # a skipped probe is no probe
    first = hosts["el9"]["controls"][0]["id"]
    assert "Probe (kernel records) |" in RD.render_markdown(report)
    assert "| el9 | %s | fail |" % first in RD.render_markdown(report)
    assert "recorded: every event recorded (keys: module_chng)" in RD.render_markdown(report)
    rows = list(csv.DictReader(io.StringIO(RD.render_csv(report))))
    assert [r["probe"] for r in rows if r["host"] == "el9"][0] == "recorded: every event recorded (keys: module_chng)"
    assert all(r["probe"] == "" for r in rows if r["host"] == "el8")
    cklb = json.loads(RD.render_cklb(report, hosts["el9"]))
    assert "Probe (audit records of the fired action): recorded" in cklb["stigs"][0]["rules"][0]["finding_details"]
    from ansible_collections.auditkit.auditd.plugins.module_utils.audit_report_html import render_html
    assert render_html(report).count('<div class="probe">') == len(el9)
    assert "Probe (kernel records)" not in RD.render_markdown(RD.build_report(results, generated_at=None))
