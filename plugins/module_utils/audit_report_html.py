# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The self-contained HTML report (private to auditkit.auditd). Pure: no I/O.

One file, no external assets. From the top: the host x control matrix (the table ``make demo``
prints) with each control's title and severity, the counts with a legend, an inline SVG chart of
verdicts per control, then one row per host and control with filters (status, host; also
settable as ``#status=fail&host=web`` in the URL): the reason, the exact lines that would fix a
failure, and the evidence folded in <details>. Last, each control's IDs and check/fix text.
"""

from html import escape

from ansible_collections.auditkit.auditd.plugins.module_utils import audit_report_compare as RC
from ansible_collections.auditkit.auditd.plugins.module_utils import audit_report_host_facts as HF
from ansible_collections.auditkit.auditd.plugins.module_utils import audit_report_remediation as RR
from ansible_collections.auditkit.auditd.plugins.module_utils.audit_report_document import STATUSES, planned_text, probe_text, reason_of
from ansible_collections.auditkit.auditd.plugins.module_utils.audit_report_document import rows as host_rows
from ansible_collections.auditkit.auditd.plugins.module_utils.audit_report_document import DISK_ONLY, fix_lines, host_warnings, host_warnings_text

COLOURS = {"pass": "#2e7d32", "fail": "#c62828", "waived": "#ef6c00", "not_applicable": "#757575",
           "error": "#ad1457", "unreachable": "#6a1b9a"}

STYLE = """
body{font-family:system-ui,sans-serif;margin:2em;color:#222}table{border-collapse:collapse}
td,th{border:1px solid #ccc;padding:.3em .5em;text-align:left;vertical-align:top}th{background:#f3f3f3}
#results{width:100%}.status{font-weight:bold}.id,.host,.status,.matrix td{white-space:nowrap}
.matrix th small{display:block;font-weight:normal;color:#555;max-width:16em;white-space:normal}
.matrix td.cell{text-align:center;font-weight:bold;color:#fff}
""" + "".join(".%s{color:%s}.matrix td.cell.%s,.legend .%s::before{background:%s}" % (s, c, s, s, c)
              for s, c in sorted(COLOURS.items())) + """
.legend{display:flex;flex-wrap:wrap;gap:.4em 1.5em;list-style:none;padding:0;margin:.5em 0}
.legend li::before{content:"";display:inline-block;width:.9em;height:.9em;margin-right:.35em;vertical-align:-.1em}
.dry{background:#fff8e1;border:1px solid #ffb300;padding:.5em 1em}
pre{white-space:pre-wrap;background:#f8f8f8;padding:.5em;margin:.2em 0}.filters{margin:1em 0}
.since{border:1px solid #90a4ae;background:#f5f9fb;padding:.3em 1em;margin:1em 0}.transition{font-size:90%}
.badge{font-size:75%;font-weight:normal;background:#ffb300;color:#222;border-radius:.6em;padding:0 .4em}
.last-changed{display:block;font-weight:normal;color:#555;font-size:80%}.t-regressed{color:#c62828;font-weight:bold}.t-fixed{color:#2e7d32;font-weight:bold}.t-gone{color:#6a1b9a}
.fix{font-family:monospace;font-size:90%;white-space:pre-wrap;margin:.3em 0}.evidence{font-family:monospace;font-size:90%}
"""

SCRIPT = """
function applyFilters(){
  var status=document.getElementById('status-filter').value;
  var host=document.getElementById('host-filter').value.toLowerCase();
  var rows=document.querySelectorAll('#results tbody tr');var shown=0;
  for(var i=0;i<rows.length;i++){
    var r=rows[i];var ok=(!status||r.dataset.status===status)&&(!host||r.dataset.host.toLowerCase().indexOf(host)>=0);
    r.style.display=ok?'':'none';if(ok){shown++;}
  }
  document.getElementById('visible-count').textContent=String(shown);
}
function filtersFromHash(){
  var params=new URLSearchParams(window.location.hash.replace(/^#/,''));
  if(params.get('status')!==null){document.getElementById('status-filter').value=params.get('status');}
  if(params.get('host')!==null){document.getElementById('host-filter').value=params.get('host');}
}
document.addEventListener('DOMContentLoaded',function(){
  filtersFromHash();applyFilters();
  document.getElementById('status-filter').addEventListener('change',applyFilters);
  document.getElementById('host-filter').addEventListener('input',applyFilters);
});
"""


def _anchor(control_id):
    return "control-" + "".join(c if c.isalnum() or c in "-_." else "_" for c in control_id)


def _matrix(report):
    """Host x control, the first thing on the page."""
    head = "".join('<th><a class="id" href="#%s">%s</a><small>%s (%s)</small></th>'
                   % (_anchor(m["id"]), escape(m["id"]), escape(m["title"]), escape(m["severity"] or "no severity"))
                   for m in report["controls"])
    body = []
    for host in report["hosts"]:
        by_id = dict((c["id"], c) for c in host["controls"])
        cells = []
        for meta in report["controls"]:
            control = by_id.get(meta["id"])
            if control is None:
                cells.append("<td>-</td>")
            else:
                planned = control.get("planned") or {}
                after = ' title="planned: %s"' % escape(planned["status"]) if planned.get("changes") else ""
                cells.append('<td class="cell %s"%s>%s</td>' % (control["status"], after, control["status"]))
        since = ('<small class="last-changed">last changed in run %s</small>' % escape(host["last_changed"])
                 if host.get("last_changed") else "")
        body.append('<tr data-matrix-host="%s"><th>%s%s</th><td class="status %s">%s</td>%s</tr>'
                    % (escape(host["name"]), escape(host["name"]), _warning_badge(host) + since, host["status"], host["status"],
                       "".join(cells)))
    return ('<table class="matrix" id="matrix"><thead><tr><th>Host</th><th>Host status</th>%s</tr></thead>'
            '<tbody>%s</tbody></table>' % (head, "".join(body)))


def _warnings_anchor(host_name):
    return "warnings-" + "".join(c if c.isalnum() or c in "-_." else "_" for c in host_name)


def _warning_badge(host):
    """A badge beside the host's name, linking to its warnings, when it has any."""
    count = len(host_warnings(host))
    if not count:
        return ""
    return (' <a class="badge" href="#%s" title="%s">%d warning%s</a>'
            % (_warnings_anchor(host["name"]), escape(host_warnings_text(host)), count, "" if count == 1 else "s"))


def _warnings_section(report):
    """Each host's warnings (compiled_stale, kernel_unreadable, ...), right below the matrix."""
    items = ['<li id="%s"><b>%s</b><ul>%s</ul></li>'
             % (_warnings_anchor(h["name"]), escape(h["name"]), "".join("<li>%s</li>" % escape(w) for w in host_warnings(h)))
             for h in report["hosts"] if host_warnings(h)]
    if not items:
        return ""
    return ('<section id="host-warnings"><h2>Host warnings</h2><p>What the verdicts of these hosts do not show; '
            'a pass judged without the kernel says "%s".</p><ul>%s</ul></section>' % (DISK_ONLY, "".join(items)))


def _chart(report):
    """Stacked horizontal bars: how many hosts are in each status, per control."""
    hosts = max(1, len(report["hosts"]))
    width, row_height, label = 400, 22, 170
    parts = ['<svg xmlns="http://www.w3.org/2000/svg" id="chart" role="img" width="%d" height="%d">'
             % (label + width + 10, row_height * len(report["controls"]) + 10)]
    for row, meta in enumerate(report["controls"]):
        counts = dict((s, 0) for s in STATUSES)
        for host in report["hosts"]:
            for control in host["controls"]:
                if control["catalog_id"] == meta["catalog_id"]:
                    counts[control["status"]] += 1
        y, x = row * row_height + 5, label
        parts.append('<text x="0" y="%d" font-size="13">%s</text>' % (y + 15, escape(meta["id"])))
        for status in STATUSES:
            size = width * counts[status] / float(hosts)
            if size:
                parts.append('<rect class="bar" data-control="%s" data-status="%s" data-count="%d" x="%.1f" y="%d" '
                             'width="%.1f" height="%d" fill="%s"><title>%s %s: %d</title></rect>'
                             % (escape(meta["id"]), status, counts[status], x, y, size, row_height - 4, COLOURS[status],
                                escape(meta["id"]), status, counts[status]))
                x += size
    parts.append("</svg>")
    return "".join(parts)


def _legend(report):
    counts = report["summary"]["controls"]
    return '<ul class="legend">%s</ul>' % "".join(
        '<li class="%s">%s: <b id="count-%s">%d</b></li>' % (s, s, s, counts[s]) for s in STATUSES)


def _fix(control):
    planned = control.get("planned")
    if planned:
        text = planned_text(control)
        lines = ["%s %s: %s" % (c["action"], c["file"], c["line"]) for c in planned["changes"]]
        if lines:
            text = "expected after remediate (written and loaded): %s\n%s" % (planned["status"], "\n".join(lines))
        return '<div class="fix planned">Planned (not applied): %s</div>' % escape(text) if text else ""
    if fix_lines(control):
        return '<div class="fix">Lines that would fix it:\n%s</div>' % escape("\n".join(fix_lines(control)))
    return ""


def _since_baseline(report):
    """The transitions summary (first after the title) when the report was compared with a baseline."""
    if not RC.compared(report):
        return ""
    base, counts = report["baseline"], report["transitions"]
    warnings = "".join("<p><b>Warning:</b> %s.</p>" % escape(w) for w in base.get("warnings", []))
    cells = "".join('<li class="t-%s">%s: <b id="transition-%s">%d</b></li>' % (t, t, t, counts[t])
                    for t in RC.TRANSITIONS)
    changed = "".join('<tr class="t-%s"><td>%s</td><td>%s</td><td>%s</td><td class="evidence">%s</td></tr>'
                      % (name, escape(host), escape(cid), escape(text), "<br>".join(escape(c) for c in change))
                      for host, cid, name, text, change in RC.changed_rows(report))
    table = ('<table id="changed"><thead><tr><th>Host</th><th>Control</th><th>Transition</th><th>Rule-level change'
             '</th></tr></thead><tbody>%s</tbody></table>' % changed) if changed else ""
    return ('<section class="since" id="since-baseline"><h2>Since the baseline</h2><p>Baseline: %s (%s, generated %s)'
            '.</p>%s<ul class="legend">%s</ul>%s</section>'
            % (escape(base.get("path") or ""), escape(base.get("kind") or ""), escape(base.get("generated_at") or ""),
               warnings, cells, table))


def _trend(report):
    """The fleet over the kept runs (report roots only): per run compliant hosts (green) and
    failing host-control verdicts (red), bars scaled to the largest value, oldest run first."""
    runs = (report.get("history") or {}).get("runs") or []
    if not runs:
        return ""
    top = max([1] + [max(r["hosts"], r["failing_controls"]) for r in runs])
    bar_width, gap, height = 14, 10, 120
    parts = ['<svg xmlns="http://www.w3.org/2000/svg" id="trend-chart" role="img" width="%d" height="%d">'
             % (len(runs) * (2 * bar_width + gap) + 10, height + 20)]
    for index, run in enumerate(runs):
        x = 5 + index * (2 * bar_width + gap)
        for offset, key, colour in ((0, "compliant_hosts", COLOURS["pass"]), (bar_width, "failing_controls", COLOURS["fail"])):
            size = height * run[key] / float(top)
            parts.append('<rect class="trend" data-run="%s" data-key="%s" data-value="%d" x="%d" y="%.1f" width="%d" '
                         'height="%.1f" fill="%s"><title>%s %s: %d</title></rect>'
                         % (escape(run["run"]), key, run[key], x + offset, height - size + 5, bar_width - 1, size, colour,
                            escape(run["run"]), key.replace("_", " "), run[key]))
    parts.append("</svg>")
    rows = "".join("<tr><td>%s</td><td>%s</td><td>%d</td><td>%d</td><td>%d</td></tr>"
                   % (escape(r["run"]), escape(r["generated_at"] or ""), r["hosts"], r["compliant_hosts"],
                      r["failing_controls"]) for r in runs)
    return ('<section id="trend"><h2>Trend over the kept runs</h2><p>%d runs, oldest first: '
            '<span class="pass">compliant hosts</span> and <span class="fail">failing host-control verdicts</span> '
            'per run.</p>%s<details><summary>runs</summary><table id="trend-runs"><thead><tr><th>Run</th>'
            '<th>Generated</th><th>Hosts</th><th>Compliant hosts</th><th>Failing verdicts</th></tr></thead>'
            '<tbody>%s</tbody></table></details></section>' % (len(runs), "".join(parts), rows))


def _transition(control):
    text = RC.transition_text(control)
    return '<div class="transition t-%s">Since the baseline: %s</div>' % (control["transition"], escape(text)) \
        if text else ""


def _remediation(control, host):
    text = RR.remediation_text(control, host)
    return '<div class="remediation">Remediation: %s</div>' % escape(text) if text else ""


def _probe(control):
    text = probe_text(control)
    return '<div class="probe">Probe (kernel records): %s</div>' % escape(text) if text else ""


def _host_facts(host):
    facts = HF.host_facts(host)
    return '<div class="facts">Host facts: %s</div>' % "<br>".join(escape(f) for f in facts) if facts else ""


def _evidence(control):
    items = ["%s %s:%s %s" % (e["where"], e["file"], e["line"], e["text"]) for e in control["evidence"]]
    if not items:
        return ""
    return ('<details class="evidence"><summary>evidence (%d)</summary>%s</details>'
            % (len(items), "<br>".join(escape(i) for i in items)))


def _rows(report):
    rows = []
    for host in report["hosts"]:
        for control in host_rows(host):
            rows.append('<tr data-host="%s" data-status="%s"><td class="host">%s</td><td class="id"><a href="#%s">%s</a></td>'
                        '<td class="status %s">%s</td><td>%s%s%s%s%s%s</td></tr>'
                        % (escape(host["name"]), control["status"], escape(host["name"]), _anchor(control["id"]),
                           escape(control["id"]), control["status"], control["status"],
                           escape(reason_of(host, control) or ""), _transition(control), _remediation(control, host),
                           _fix(control), _probe(control), _evidence(control) + _host_facts(host)))
    return "\n".join(rows)


def _control_texts(report):
    blocks = []
    for meta in report["controls"]:
        ids = ", ".join(escape(i) for i in (meta["vuln_id"], meta["rule_id"], meta["stig_id"], meta["recommendation"]) if i)
        errata = "".join("<p><b>Erratum:</b> %s</p>" % escape(e) for e in meta.get("errata", []))
        blocks.append('<section id="%s"><h3>%s: %s</h3><p>%s. %s %s. Severity: %s. CCIs: %s.</p>%s'
                      '<h4>Required rules</h4><pre>%s</pre><details><summary>Check and fix text</summary>'
                      '<h4>Check</h4><pre>%s</pre><h4>Fix</h4><pre>%s</pre></details></section>'
                      % (_anchor(meta["id"]), escape(meta["id"]), escape(meta["title"]), ids, escape(meta["benchmark"]),
                         escape(meta["benchmark_version"]), escape(meta["severity"] or ""),
                         escape(", ".join(meta["ccis"]) or "none"), errata, escape("\n".join(meta["rules"])),
                         escape(meta.get("check_text", "")), escape(meta.get("fix_text", ""))))
    return "\n".join(blocks)


def render_html(report):
    summary = report["summary"]
    hosts = ", ".join("%s %d" % (s, summary["host_status"][s]) for s in STATUSES if summary["host_status"][s])
    dry = ""
    if report["kind"] == "remediate_check":
        dry = ('<p class="dry" id="dry-run">Dry run of remediate (check mode): nothing was written. Statuses are '
               'each host\'s <b>current</b> state, what drift_report says now; "Planned (not applied)" is what '
               'remediate would change and the verdict it expects afterwards.</p>')
    options = "".join('<option value="%s">%s</option>' % (s, s) for s in STATUSES)
    return ("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>%s</title><style>%s</style>"
            "<script>%s</script></head><body>\n<h1>%s</h1>%s<p>Generated %s by %s. Hosts: <b id=\"host-count\">%d"
            "</b> (%s).</p>\n%s%s\n%s\n<h2>Verdicts per control</h2>%s\n"
            "<h2>Hosts and controls</h2><div class=\"filters\"><label>Status <select id=\"status-filter\"><option "
            "value=\"\">all</option>%s</select></label> <label>Host <input id=\"host-filter\" type=\"search\"></label> "
            "showing <b id=\"visible-count\"></b> rows</div>\n<table id=\"results\"><thead><tr><th>Host</th>"
            "<th>Control</th><th>Status</th><th>Reason, fix and evidence</th></tr></thead><tbody>\n%s\n</tbody>"
            "</table>\n<h2>Controls</h2>%s\n</body></html>\n"
            % (escape(report["title"]), STYLE, SCRIPT, escape(report["title"]), dry,
               escape(report["generated_at"] or ""), escape(report["generator"]), summary["hosts"], escape(hosts),
               _since_baseline(report) + _trend(report), _matrix(report) + _warnings_section(report), _legend(report),
               _chart(report), options, _rows(report), _control_texts(report)))
