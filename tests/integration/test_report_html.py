# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The HTML report as a person sees it: opened in headless Chromium (Debian's package), after
its script ran, with the filter set from the URL."""
import re
import shutil
import subprocess

import pytest

from ansible_collections.auditkit.auditd.plugins.module_utils import audit_report as R
from ansible_collections.auditkit.auditd.plugins.module_utils.audit_report_html import render_html
from ansible_collections.auditkit.auditd.plugins.modules import audit_rules_info

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
DISA = "-a always,exit -F arch=b64 -S init_module,finit_module -F auid>=1000 -F auid!=unset -k module_chng\n"


def _dom(path, fragment=""):
    if not CHROMIUM:
        pytest.skip("chromium is not installed (scripts/setup.sh installs it)")
    done = subprocess.run([CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--dump-dom",
                           "file://%s%s" % (path, fragment)], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                          text=True, check=True, timeout=120)
    return done.stdout


@pytest.fixture
def report_html(run_module, rules_tree, tmp_path):
    results = {}
    for host, text in (("good", DISA), ("bad", "-D\n")):
        rules_tree.write({"30.rules": text})
        results[host] = run_module(audit_rules_info, **rules_tree.args(rules=[], profile="stig_al2023", loaded=False))
    report = R.build_report(results, hosts=["good", "bad", "gone"], waivers={"V-274093": "accepted risk"},
                            generated_at="2026-11-22T00:00:00Z")
    path = tmp_path / "report.html"
    path.write_text(render_html(report))
    return path, report


def test_page_shows_every_row_counts_and_chart(report_html):
    path, report = report_html
    dom = _dom(path)
    rows = re.findall(r'<tr data-host="([^"]+)" data-status="([^"]+)"( style="display: none;")?', dom)
    assert len(rows) == 9 and not [r for r in rows if r[2]]  # 3 hosts x 3 controls, all visible
    assert re.search(r'id="visible-count">9<', dom)
    assert re.search(r'id="count-fail">%d<' % report["summary"]["controls"]["fail"], dom)
    bars = re.findall(r'<rect class="bar" data-control="([^"]+)" data-status="([^"]+)" data-count="(\d+)"', dom)
    assert ("V-274091", "unreachable", "1") in bars and ("V-274093", "waived", "2") in bars
    assert 'href="#control-V-274092"' in dom and 'id="control-V-274092"' in dom
    assert "Erratum" in dom  # V-274091's check text names delete_module


def test_filter_from_the_url_hides_other_rows(report_html):
    path, report = report_html
    dom = _dom(path, "#status=fail")
    rows = re.findall(r'<tr data-host="([^"]+)" data-status="([^"]+)"( style="display: none;")?', dom)
    visible = [(host, status) for host, status, hidden in rows if not hidden]
    assert visible and all(status == "fail" for _host, status in visible)
    assert len(visible) == report["summary"]["controls"]["fail"]
    assert re.search(r'id="visible-count">%d<' % len(visible), dom)
    gone = re.findall(r'<tr data-host="([^"]+)"[^>]*data-status="[^"]+"(?! style)', _dom(path, "#host=gon"))
    assert set(gone) == {"gone"}
