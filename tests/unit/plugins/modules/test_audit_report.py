# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Reports from real audit_rules_info results: a mixed fleet, hosts without results, bad input."""
import json
import os

from ansible_collections.auditkit.auditd.plugins.module_utils import audit_report as R
from ansible_collections.auditkit.auditd.plugins.modules import audit_report, audit_rules_info


def _results(run_module, rules_tree):
    results = {}
    for host, profile in (("el8", "stig_rhel8"), ("el9", "stig_rhel9")):
        results[host] = run_module(audit_rules_info, **rules_tree.args(rules=[], profile=profile, loaded=False))
    results["gone"] = None
    return results


def test_mixed_fleet(run_module, rules_tree, tmp_path):
    results = _results(run_module, rules_tree)
    report = R.build_report(results, generated_at="2026-11-22T00:00:00Z")
    gone = next(h for h in report["hosts"] if h["name"] == "gone")
    assert gone["status"] == "unreachable" and gone["controls"] == []  # two profiles: nothing to guess
    assert "| gone | (host) | unreachable |" in R.render_markdown(report)
    assert R.render_csv(report).count("\ngone,") == 1
    assert 'classname="gone"' in R.render_junit(report)
    el8 = json.loads(R.render_cklb(report, next(h for h in report["hosts"] if h["name"] == "el8")))
    assert [r["rule_version"][:7] for r in el8["stigs"][0]["rules"]] == ["RHEL-08"] * 3
    assert R.render_cklb(report, gone) is None


def test_module_writes_every_format_and_refuses_bad_failures(run_module, rules_tree, tmp_path):
    results = _results(run_module, rules_tree)
    done = run_module(audit_report, dest=str(tmp_path / "r"), results=results)
    assert sorted(os.path.basename(f) for f in done["files"]) == [
        "el8.cklb", "el9.cklb", "junit.xml", "report.csv", "report.html", "report.json", "summary.md"]
    assert done["drift"] and done["summary"]["unreachable"] == 1
    bad = run_module(audit_report, dest=str(tmp_path / "bad"), results=results, failures={"gone": "timeout"})
    assert bad["failed"] and "failures" in bad["msg"] and not (tmp_path / "bad").exists()
