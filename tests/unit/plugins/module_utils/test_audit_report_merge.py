# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Merging slices' reports: from results captured through ansible-playbook (the bench fixture),
the merge of any split equals the report of the whole; overlaps and mismatched documents are
refused; a missing slice is named by number; detail=report results give the same report as
detail=full ones."""
import json
import os

import jsonschema
import pytest

from ansible_collections.auditkit.auditd.plugins.module_utils import audit_report_document as RD
from ansible_collections.auditkit.auditd.plugins.module_utils import audit_report_merge as RM
from ansible_collections.auditkit.auditd.plugins.module_utils import audit_report_merge_run as RMR
from ansible_collections.auditkit.auditd.plugins.module_utils import audit_result_detail as D

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))))
WAIVERS = {"V-258195": "covered by the site EDR"}


def _results(detail="report"):
    with open(os.path.join(ROOT, "scripts", "bench_fixtures", "audit_rules_info.json")) as handle:
        fixture = json.load(handle)
    states = sorted(fixture["hosts"])
    results = dict(("h%02d" % i, fixture["hosts"][states[i % len(states)]][detail]) for i in range(10))
    results["h10"] = {"unreachable": True, "msg": "ssh: connect to host h10 port 22: Connection refused"}
    results["h11"] = {"failed": True, "msg": "rules_dir /etc/audit/rules.d does not exist"}
    return results


def _slice(results, hosts, number, count):
    names = sorted(hosts)[number - 1::count]
    return RD.build_report(dict((n, results[n]) for n in names), hosts=names, waivers=WAIVERS)


def test_merge_of_four_slices_equals_the_whole():
    results = _results()
    hosts = sorted(results)
    whole = RD.build_report(results, hosts=hosts, waivers=WAIVERS)
    slices = [{"name": "job %d" % n, "report": _slice(results, hosts, n, 4)} for n in range(1, 5)]
    merged = RM.merge_reports(slices, hosts=hosts, slice_count=4)
    with open(os.path.join(ROOT, "schemas", "report.schema.json")) as handle:
        jsonschema.validate(merged, json.load(handle))
    assert merged["hosts"] == whole["hosts"] and merged["summary"] == whole["summary"]
    assert merged["controls"] == whole["controls"] and merged["waivers"] == whole["waivers"]
    assert RD.render_csv(dict(merged, generated_at=None)) == RD.render_csv(dict(whole, generated_at=None))


def test_missing_slice_is_named_and_its_hosts_are_errors():
    results = _results()
    hosts = sorted(results)
    slices = [{"name": "job %d" % n, "report": _slice(results, hosts, n, 4)} for n in (1, 2, 4)]
    merged = RM.merge_reports(slices, hosts=hosts, slice_count=4)
    missing = [s for s in merged["slices"] if s["status"] == "missing"]
    assert [s["name"] for s in missing] == ["slice 3 of 4"]
    lost = set(hosts[2::4])
    for host in merged["hosts"]:
        if host["name"] in lost:
            assert host["status"] == "error" and "slice 3 of 4" in host["error"]
    assert RD.drift(merged) and "slices without a report: slice 3 of 4" in RM.slice_headline(merged)


def test_overlapping_slices_and_foreign_documents_are_refused():
    results = _results()
    hosts = sorted(results)
    first = _slice(results, hosts, 1, 2)
    with pytest.raises(ValueError, match="is in slice a and in slice b"):
        RM.merge_reports([{"name": "a", "report": first}, {"name": "b", "report": first}])
    with pytest.raises(ValueError, match="schema_version"):
        RM.merge_reports([{"name": "a", "report": dict(first, schema_version=1)}])
    with pytest.raises(ValueError, match="not a report document"):
        RM.merge_reports([{"name": "a", "report": {"hosts": "x"}}])
    plan = dict(_slice(results, hosts, 2, 2), kind="remediate_check")
    with pytest.raises(ValueError, match="different kinds"):
        RM.merge_reports([{"name": "a", "report": first}, {"name": "b", "report": plan}])


def test_read_slice_from_a_directory_without_report(tmp_path):
    assert RMR.read_slice(str(tmp_path))["error"] == "no report.json in %s" % tmp_path
    (tmp_path / "a").mkdir()
    (tmp_path / "a" / "report.json").write_text("{not json")
    assert "cannot read" in RMR.read_slice(str(tmp_path))["error"]


def test_detail_report_gives_the_same_report_as_full():
    full, trimmed = _results("full"), _results("report")
    assert RD.build_report(full, waivers=WAIVERS) == RD.build_report(trimmed, waivers=WAIVERS)
    assert all(len(json.dumps(trimmed[h])) < len(json.dumps(full[h])) * 0.6 for h in full if "controls" in full[h])
    findings = [{"severity": "warning", "message": str(i)} for i in range(150)]
    bounded = D.for_report(dict(full["h00"], findings=findings))
    assert len(bounded["findings"]) == D.MAX_FINDINGS and bounded["findings_left_out"] == 50


def test_merged_slices_write_the_same_checklists_as_the_whole():
    """The checklists of a sliced job (CKLB, CKL) equal one run's, targets from facts included."""
    results = _results()
    hosts = sorted(results)
    targets = dict((h, {"ip_address": "192.0.2.%d" % i, "fqdn": "%s.example" % h, "mac_address": ""})
                   for i, h in enumerate(hosts) if h != "h10")
    whole = RD.build_report(results, hosts=hosts, waivers=WAIVERS, targets=targets)
    slices = []
    for number in range(1, 4):
        names = sorted(hosts)[number - 1::3]
        part = RD.build_report(dict((n, results[n]) for n in names), hosts=names, waivers=WAIVERS,
                               targets=dict((n, targets[n]) for n in names if n in targets))
        slices.append({"name": "job %d" % number, "report": json.loads(json.dumps(part))})  # as published
    merged = RM.merge_reports(slices, hosts=hosts, slice_count=3)
    checklists = dict((name, text) for name, text in RD.render_files(whole, ["cklb", "ckl"], None).items())
    merged_checklists = dict((name, text) for name, text in RD.render_files(merged, ["cklb", "ckl"], None).items())
    assert checklists == merged_checklists and "h01.ckl" in checklists and "h01.cklb" in checklists
    assert json.loads(checklists["h01.cklb"])["target_data"]["fqdn"] == "h01.example"
