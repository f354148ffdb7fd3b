# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The HTML report as a person sees it: opened in headless Chromium (Debian's package), after
its script ran, with the filter set from the URL; its layout measured in the browser (legend
labels apart, control IDs on one line) and a screenshot taken.

AUDITKIT_UPDATE_SCREENSHOT=1 copies the screenshot to docs/report-html.png (shown in README)."""
import json
import os
import re
import shutil
import subprocess
from html import escape

import pytest

from ansible_collections.auditkit.auditd.plugins.module_utils import audit_report_document as RD
from ansible_collections.auditkit.auditd.plugins.module_utils.audit_report_html import render_html
from ansible_collections.auditkit.auditd.plugins.modules import audit_rules, audit_rules_info

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
DISA = "-a always,exit -F arch=b64 -S init_module,finit_module -F auid>=1000 -F auid!=unset -k module_chng\n"
HOSTS = ("web-01", "web-02-partial", "db-01-empty", "gone", "down")
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars"]

# appended to a copy of the page: measures what a reader sees and writes it into the DOM
MEASURE = """<script>
window.addEventListener('load',function(){
  var boxes=[].map.call(document.querySelectorAll('.legend li'),function(e){return e.getBoundingClientRect();});
  var overlaps=0;
  for(var i=0;i<boxes.length;i++){for(var j=i+1;j<boxes.length;j++){var a=boxes[i],b=boxes[j];
    if(a.left<b.right&&b.left<a.right&&a.top<b.bottom&&b.top<a.bottom){overlaps++;}}}
  var ids=document.querySelectorAll('a.id, .id > a');
  var wrapped=[].filter.call(ids,function(e){return e.getClientRects().length>1;}).length;
  var folded=[].filter.call(document.querySelectorAll('details.evidence'),function(e){return !e.open;}).length;
  document.body.setAttribute('data-measure',JSON.stringify({legend:boxes.length,overlaps:overlaps,wrapped:wrapped,
    ids:ids.length,folded:folded,evidence:document.querySelectorAll('details.evidence').length}));
});
</script>"""


def _chromium(*args):
    if not CHROMIUM:
        pytest.skip("chromium is not installed (scripts/setup.sh installs it)")
    return subprocess.run([CHROMIUM] + FLAGS + list(args), stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                          text=True, check=True, timeout=120).stdout


def _dom(path, fragment=""):
    return _chromium("--dump-dom", "file://%s%s" % (path, fragment))


@pytest.fixture
def report_html(run_module, rules_tree, tmp_path):
    """A remediate dry-run report: compliant, partial and empty hosts, one without a rules
    directory (error) and one unreachable."""
    results, plans = {}, {}
    for host, text in (("web-01", "-D\n"), ("web-02-partial", DISA), ("db-01-empty", "-D\n")):
        for name in os.listdir(str(rules_tree.rules_dir)):
            os.unlink(str(rules_tree.rules_dir / name))
        rules_tree.write({"30.rules": text})
        args = rules_tree.args(profile="stig_al2023")
        if host == "web-01":  # compliant: remediated for real first
            run_module(audit_rules, dest=str(rules_tree.rules_dir / "audit.rules"), **args)
        results[host] = run_module(audit_rules_info, loaded=False, **args)
        plans[host] = run_module(audit_rules, check=True, dest=str(rules_tree.rules_dir / "audit.rules"), **args)
    results["gone"] = {"failed": True, "msg": "rules directory missing: /etc/audit/rules.d does not exist: "
                                              "is the audit package installed?"}
    results["down"] = {"unreachable": True, "msg": "Failed to connect to the host via ssh: Connection refused"}
    report = RD.build_report(results, hosts=list(HOSTS), plans=plans, waivers={"V-274093": "accepted risk (SEC-42)"},
                             generated_at="2026-11-22T00:00:00Z", kind="remediate_check")
    path = tmp_path / "report.html"
    path.write_text(render_html(report))
    return path, report


def test_page_shows_matrix_rows_counts_and_chart(report_html):
    path, report = report_html
    dom = _dom(path)
    rows = re.findall(r'<tr data-host="([^"]+)" data-status="([^"]+)"( style="display: none;")?', dom)
    assert len(rows) == 15 and not [r for r in rows if r[2]]  # 5 hosts x 3 controls, all visible
    assert re.search(r'id="visible-count">15<', dom)
    assert re.search(r'id="count-fail">%d<' % report["summary"]["controls"]["fail"], dom)
    matrix = dom.index('id="matrix"')
    assert matrix < dom.index('id="chart"') < dom.index('id="results"')  # the matrix first
    assert re.findall(r'data-matrix-host="([^"]+)"', dom) == list(HOSTS)
    top = dom[matrix:dom.index('id="chart"')]
    for meta in report["controls"]:  # title and severity beside each ID
        assert "%s</a><small>%s (%s)</small>" % (meta["id"], escape(meta["title"]), meta["severity"]) in top
    bars = re.findall(r'<rect class="bar" data-control="([^"]+)" data-status="([^"]+)" data-count="(\d+)"', dom)
    assert ("V-274091", "unreachable", "1") in bars and ("V-274091", "error", "1") in bars
    assert ("V-274093", "waived", "2") in bars
    assert 'href="#control-V-274092"' in dom and 'id="control-V-274092"' in dom
    assert "Erratum" in dom  # V-274091's check text names delete_module
    assert 'id="dry-run"' in dom and "remediate dry run" in dom.split("</title>")[0]
    empty = [r for r in dom.split("<tr ") if r.startswith('data-host="db-01-empty"')]
    assert all("Planned (not applied): expected after remediate (written and loaded): pass\nadd " in r for r in empty)


def test_layout_legend_apart_ids_on_one_line_evidence_folded_and_screenshot(report_html, tmp_path):
    path, _report = report_html
    measured = tmp_path / "measured.html"
    measured.write_text(path.read_text().replace("</body>", MEASURE + "</body>"))
    dom = _chromium("--window-size=1280,900", "--dump-dom", "file://%s" % measured)
    layout = json.loads(re.search(r"data-measure=\"([^\"]+)\"", dom).group(1).replace("&quot;", '"'))
    assert layout["legend"] == len(RD.STATUSES) and layout["overlaps"] == 0
    assert layout["ids"] > 15 and layout["wrapped"] == 0
    assert layout["evidence"] > 0 and layout["folded"] == layout["evidence"]
    shot = tmp_path / "report.png"
    _chromium("--window-size=1280,1100", "--screenshot=%s" % shot, "file://%s" % path)
    with open(str(shot), "rb") as handle:
        png = handle.read()
    assert png[:8] == b"\x89PNG\r\n\x1a\n" and len(png) > 20000
    if os.environ.get("AUDITKIT_UPDATE_SCREENSHOT"):
        shutil.copy(str(shot), os.path.join(ROOT, "docs", "report-html.png"))


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
