# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Comparing a report with a baseline, from results captured through ansible-playbook (the bench
fixture: compliant, partial and seed hosts). Expected transitions and lines are written out here,
not computed by the comparison; every format shows them; old schema versions are refused."""
import csv
import io
import json
import os
import xml.etree.ElementTree as ET

import jsonschema
import pytest

from ansible_collections.auditkit.auditd.plugins.module_utils import audit_report_compare as RC
from ansible_collections.auditkit.auditd.plugins.module_utils import audit_report_document as RD
from ansible_collections.auditkit.auditd.plugins.module_utils import audit_report_history as RH
from ansible_collections.auditkit.auditd.plugins.module_utils import audit_report_merge as RM
from ansible_collections.auditkit.auditd.plugins.module_utils.audit_report_html import render_html

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))))
KMOD = "-a always,exit -F path=/usr/bin/kmod -F perm=x -F auid>=1000 -F auid!=unset -k modules"
XCCDF = "{http://checklists.nist.gov/xccdf/1.2}"
DELETE_B32 = "-a always,exit -F arch=b32 -S delete_module -F auid>=1000 -F auid!=unset -k module_chng"


def _states():
    with open(os.path.join(ROOT, "scripts", "bench_fixtures", "audit_rules_info.json")) as handle:
        return dict((name, state["report"]) for name, state in json.load(handle)["hosts"].items())


def _schema():
    with open(os.path.join(ROOT, "schemas", "report.schema.json")) as handle:
        return json.load(handle)


@pytest.fixture(scope="module")
def pair():
    """A baseline and a later run: web1 fixed, web2 regressed, db1 still failing, db2 gone, new1 new,
    web3 unchanged; h-down unreachable after passing (regressed to unreachable)."""
    states = _states()
    before = {"web1": states["partial"], "web2": states["compliant"], "web3": states["compliant"],
              "db1": states["seed"], "db2": states["compliant"], "h-down": states["compliant"]}
    after = {"web1": states["compliant"], "web2": states["partial"], "web3": states["compliant"],
             "db1": states["seed"], "new1": states["seed"],
             "h-down": {"unreachable": True, "msg": "ssh: connect to host h-down port 22: Connection refused"}}
    baseline = RD.build_report(before, hosts=sorted(before), generated_at="2026-12-01T00:00:00Z")
    report = RD.build_report(after, hosts=sorted(after), generated_at="2026-12-04T00:00:00Z")
    return baseline, report, RC.compare_reports(report, baseline, "/reports/2026-12-01/report.json")


def _transitions(report):
    return dict((h["name"], [c["transition"] for c in h["controls"]]) for h in report["hosts"])


def test_each_host_control_gets_its_transition(pair):
    _baseline, _report, compared = pair
    assert _transitions(compared) == {
        "web1": ["fixed", "fixed", "fixed"], "web2": ["regressed", "regressed", "regressed"],
        "web3": ["unchanged"] * 3, "db1": ["still_failing"] * 3, "new1": ["new"] * 3,
        "h-down": ["regressed"] * 3}
    assert compared["transitions"] == {"fixed": 3, "regressed": 6, "still_failing": 3, "unchanged": 3, "new": 3,
                                       "gone": 3}
    assert [(g["host"], g["id"], g["baseline_status"], g["host_gone"]) for g in compared["gone"]] == [
        ("db2", "V-258189", "pass", True), ("db2", "V-258190", "pass", True), ("db2", "V-258195", "pass", True)]
    hosts = dict((h["name"], h) for h in compared["hosts"])
    assert (hosts["web2"]["transition"], hosts["web2"]["baseline_status"]) == ("regressed", "pass")
    assert hosts["new1"]["transition"] == "new" and hosts["new1"]["baseline_status"] is None
    jsonschema.validate(compared, _schema())


def test_inputs_are_not_changed(pair):
    baseline, report, _compared = pair
    assert "transitions" not in report and "transition" not in report["hosts"][0]["controls"][0]
    assert "transitions" not in baseline


def test_rule_level_change_names_the_lines(pair):
    compared = pair[2]
    web2 = dict((c["id"], c) for c in dict((h["name"], h) for h in compared["hosts"])["web2"]["controls"])
    assert web2["V-258195"]["rule_changes"]["newly_missing"] == [KMOD]
    assert DELETE_B32 in web2["V-258189"]["rule_changes"]["newly_missing"]
    disappeared = web2["V-258195"]["rule_changes"]["disappeared"]
    assert [(e["where"], e["text"]) for e in disappeared] == [("on_disk", KMOD)]
    web1 = dict((c["id"], c) for c in dict((h["name"], h) for h in compared["hosts"])["web1"]["controls"])
    assert web1["V-258195"]["rule_changes"]["restored"] == [KMOD]
    assert web1["V-258195"]["rule_changes"]["newly_missing"] == []


@pytest.mark.parametrize("before, after, expected", [
    ("fail", "pass", "fixed"), ("error", "pass", "fixed"), ("unreachable", "pass", "fixed"),
    ("pass", "fail", "regressed"), ("waived", "fail", "regressed"), ("pass", "error", "regressed"),
    ("not_applicable", "fail", "regressed"), ("fail", "fail", "still_failing"), ("fail", "error", "still_failing"),
    ("pass", "pass", "unchanged"), ("fail", "waived", "unchanged"), ("pass", "waived", "unchanged"),
    (None, "fail", "new"), ("pass", None, "gone")])
def test_transition_table(before, after, expected):
    assert RC.transition(before, after) == expected


def test_every_format_shows_the_transitions(pair):
    compared = pair[2]
    markdown = RD.render_markdown(compared)
    first = markdown.index("## Since the baseline")
    assert first < markdown.index("Hosts: 6")  # the summary comes first
    assert "| regressed | 6 |" in markdown and "| gone | 3 |" in markdown
    assert "| web2 | V-258195 | regressed (was pass) | missing now (was present): %s" % KMOD.replace(">", "&gt;") in markdown
    rows = list(csv.DictReader(io.StringIO(RD.render_csv(compared))))
    assert all(None not in row and None not in row.values() for row in rows)  # every row as long as the header
    assert [r["transition"] for r in rows if r["host"] == "web1"] == ["fixed (was fail)"] * 3
    assert [r["transition"] for r in rows if r["host"] == "db2"] == ["gone (was pass)"] * 3
    junit = ET.fromstring(RD.render_junit(compared))
    failures = [case.find("failure") for case in junit.iter("testcase") if case.get("classname") == "web2"]
    assert all(f is not None and f.get("message").startswith("regressed since the baseline (was pass)")
               for f in failures)
    assert all(case.find("failure") is None or not case.find("failure").get("message").startswith("regressed")
               for case in junit.iter("testcase") if case.get("classname") == "db1")
    errors = [case.find("error") for case in junit.iter("testcase") if case.get("classname") == "h-down"]
    assert all(e.get("message").startswith("regressed since the baseline") for e in errors)
    cklb = json.loads(RD.render_cklb(compared, dict((h["name"], h) for h in compared["hosts"])["web2"]))
    comments = [r["comments"] for r in cklb["stigs"][0]["rules"]]
    assert all("Since the baseline of 2026-12-01T00:00:00Z: regressed (was pass)" in c for c in comments)
    html = render_html(compared)
    assert html.index('id="since-baseline"') < html.index('id="matrix"')
    assert '<b id="transition-regressed">6</b>' in html and "db2" in html
    _xccdf_and_hdf_show_the_transitions(compared)
    artifacts = RD.artifacts(compared, "/r", [])
    assert artifacts["transitions"]["regressed"] == 6 and artifacts["gone_hosts"] == ["db2"]
    assert artifacts["host_transitions"]["web2"]["regressed"] == ["V-258189", "V-258190", "V-258195"]


def _xccdf_and_hdf_show_the_transitions(compared):
    files = RD.render_files(compared, ["xccdf", "hdf"], None)
    xccdf = ET.fromstring(files["web2.xccdf.xml"].encode("utf-8"))
    messages = [r.find(XCCDF + "message").text for r in xccdf.iter(XCCDF + "rule-result")]
    assert len(messages) == 3
    assert all("Since the baseline: regressed (was pass)" in m for m in messages)
    assert any("missing now (was present): " + KMOD in m for m in messages)
    results = [c["results"][0] for c in json.loads(files["web1.hdf.json"])["profiles"][0]["controls"]]
    assert [r["message"].count("Since the baseline: fixed (was fail)") for r in results] == [1, 1, 1]


def test_without_a_baseline_the_formats_are_unchanged(pair):
    report = pair[1]
    assert "Since the baseline" not in RD.render_markdown(report)
    assert "since-baseline" not in render_html(report)
    assert "transitions" not in RD.artifacts(report, "/r", [])
    assert not any("Since the baseline" in text for text in RD.render_files(report, ["xccdf", "hdf"], None).values())


def test_regressions_gate(pair):
    assert len(RC.regressions(pair[2])) == 6
    baseline = pair[0]
    assert RC.regressions(RC.compare_reports(baseline, baseline)) == []


def test_merged_slices_work_as_a_baseline(pair):
    baseline, report, compared = pair
    names = [h["name"] for h in baseline["hosts"]]
    slices = [{"name": "job %d" % n, "report": RD.assemble_report(
        [h for h in baseline["hosts"] if h["name"] in names[n - 1::2]], baseline["controls"], "drift_report", {})}
        for n in (1, 2)]
    merged = RM.merge_reports(slices, hosts=names, slice_count=2)
    assert RC.compare_reports(report, merged)["hosts"] == compared["hosts"]


def test_old_schema_version_is_refused(pair):
    old = dict(pair[0], schema_version=1)
    with pytest.raises(ValueError, match="schema_version 1; this collection compares with schema_version 2"):
        RC.compare_reports(pair[1], old, "old/report.json")
    with pytest.raises(ValueError, match="not a report document"):
        RC.compare_reports(pair[1], {"hosts": "x"})


def test_different_profile_is_said(pair):
    baseline = json.loads(json.dumps(pair[0]))
    for host in baseline["hosts"]:
        host["profile"] = dict(host["profile"] or {}, name="cis_rhel9")
        for control in host["controls"]:
            control["catalog_id"] = "cis:rhel9:" + control["id"]
    compared = RC.compare_reports(pair[1], baseline)
    assert "the baseline used profile cis_rhel9, this run stig_rhel9" in compared["baseline"]["warnings"][0]
    assert set(c["transition"] for h in compared["hosts"] for c in h["controls"]) == {"new"}
    assert compared["transitions"]["gone"] == 18


def test_baseline_paths(tmp_path, pair):
    baseline = pair[0]
    run = tmp_path / "runs" / "20261201T000000Z"
    run.mkdir(parents=True)
    (run / "report.json").write_text(json.dumps(baseline))
    assert RH.read_report(str(run / "report.json"))[1] == str(run / "report.json")
    assert RH.read_report(str(run))[1] == str(run / "report.json")
    assert RH.read_report(str(tmp_path / "runs"))[1] == str(run / "report.json")  # the newest run
    with pytest.raises(ValueError, match="does not exist"):
        RH.read_report(str(tmp_path / "nowhere"))
    with pytest.raises(ValueError, match="holds no report.json"):
        RH.read_report(str(tmp_path))
    (tmp_path / "bad.json").write_text("{not json")
    with pytest.raises(ValueError, match="cannot read the baseline"):
        RH.read_report(str(tmp_path / "bad.json"))
