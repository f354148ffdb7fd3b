# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The self-contained HTML drift report (private to auditkit.auditd). Pure: no I/O.

One file, no external assets: a summary, an inline SVG chart of verdicts per control, a
per-host table with filters (status, host; also settable as ``#status=fail&host=web`` in the
URL), and each control's IDs and check/fix text, linked from the table.
"""

from html import escape

from ansible_collections.auditkit.auditd.plugins.module_utils.audit_report import STATUSES, rows as host_rows

COLOURS = {"pass": "#2e7d32", "fail": "#c62828", "waived": "#ef6c00", "not_applicable": "#757575",
           "unreachable": "#6a1b9a"}

STYLE = """
body{font-family:system-ui,sans-serif;margin:2em;color:#222}table{border-collapse:collapse;width:100%}
td,th{border:1px solid #ccc;padding:.3em .5em;text-align:left;vertical-align:top}th{background:#f3f3f3}
.status{font-weight:bold}.pass{color:#2e7d32}.fail{color:#c62828}.waived{color:#ef6c00}
.not_applicable{color:#757575}.unreachable{color:#6a1b9a}pre{white-space:pre-wrap;background:#f8f8f8;padding:.5em}
.filters{margin:1em 0}.evidence{font-family:monospace;font-size:90%}
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


def _chart(report):
    """Stacked horizontal bars: how many hosts are in each status, per control."""
    per_control = []
    for meta in report["controls"]:
        counts = dict((s, 0) for s in STATUSES)
        for host in report["hosts"]:
            for control in host["controls"]:
                if control["catalog_id"] == meta["catalog_id"]:
                    counts[control["status"]] += 1
        per_control.append((meta, counts))
    hosts = max(1, len(report["hosts"]))
    width, row_height, label = 400, 22, 170
    parts = ['<svg xmlns="http://www.w3.org/2000/svg" id="chart" role="img" width="%d" height="%d">'
             % (label + width + 10, row_height * len(per_control) + 30)]
    for row, (meta, counts) in enumerate(per_control):
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
    legend_y = row_height * len(per_control) + 22
    for index, status in enumerate(STATUSES):
        parts.append('<text x="%d" y="%d" font-size="12" fill="%s">%s</text>'
                     % (label + index * 85, legend_y, COLOURS[status], status))
    parts.append("</svg>")
    return "".join(parts)


def _rows(report):
    rows = []
    for host in report["hosts"]:
        for control in host_rows(host):
            detail = host["error"] if host["status"] != "ok" else control["reason"]
            if control["waiver"]:
                detail = "waived: %s; %s" % (control["waiver"], detail)
            evidence = "<br>".join(escape("%s:%s %s" % (e["file"], e["line"], e["text"])) for e in control["evidence"])
            missing = "<br>".join(escape("missing: " + m) for m in control["missing"])
            rows.append('<tr data-host="%s" data-status="%s"><td>%s</td><td><a href="#%s">%s</a></td>'
                        '<td class="status %s">%s</td><td>%s<div class="evidence">%s%s</div></td></tr>'
                        % (escape(host["name"]), control["status"], escape(host["name"]), _anchor(control["id"]),
                           escape(control["id"]), control["status"], control["status"], escape(detail or ""),
                           evidence, ("<br>" if evidence and missing else "") + missing))
    return "\n".join(rows)


def _control_texts(report):
    blocks = []
    for meta in report["controls"]:
        ids = ", ".join(escape(i) for i in (meta["vuln_id"], meta["rule_id"], meta["stig_id"], meta["recommendation"]) if i)
        errata = "".join("<p><b>Erratum:</b> %s</p>" % escape(e) for e in meta.get("errata", []))
        blocks.append('<section id="%s"><h3>%s: %s</h3><p>%s. %s %s. Severity: %s. CCIs: %s.</p>%s'
                      '<h4>Required rules</h4><pre>%s</pre><h4>Check</h4><pre>%s</pre><h4>Fix</h4><pre>%s</pre></section>'
                      % (_anchor(meta["id"]), escape(meta["id"]), escape(meta["title"]), ids, escape(meta["benchmark"]),
                         escape(meta["benchmark_version"]), escape(meta["severity"] or ""),
                         escape(", ".join(meta["ccis"]) or "none"), errata, escape("\n".join(meta["rules"])),
                         escape(meta.get("check_text", "")), escape(meta.get("fix_text", ""))))
    return "\n".join(blocks)


def render_html(report):
    summary = report["summary"]
    counts = " ".join('<span class="%s">%s: <b id="count-%s">%d</b></span>' % (s, s, s, summary["controls"][s])
                      for s in STATUSES)
    options = "".join('<option value="%s">%s</option>' % (s, s) for s in STATUSES)
    return ("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>%s</title><style>%s</style>"
            "<script>%s</script></head><body>\n<h1>%s</h1><p>Generated %s by %s. Hosts: <b id=\"host-count\">%d</b>, "
            "checked %d, unreachable or failed %d, compliant %d.</p><p>%s</p>\n<h2>Verdicts per control</h2>%s\n"
            "<h2>Hosts</h2><div class=\"filters\"><label>Status <select id=\"status-filter\"><option value=\"\">all"
            "</option>%s</select></label> <label>Host <input id=\"host-filter\" type=\"search\"></label> "
            "showing <b id=\"visible-count\"></b> rows</div>\n<table id=\"results\"><thead><tr><th>Host</th>"
            "<th>Control</th><th>Status</th><th>Reason and evidence</th></tr></thead><tbody>\n%s\n</tbody></table>\n"
            "<h2>Controls</h2>%s\n</body></html>\n"
            % (escape(report["title"]), STYLE, SCRIPT, escape(report["title"]), escape(report["generated_at"] or ""),
               escape(report["generator"]), summary["hosts"], summary["checked"], summary["unreachable"],
               summary["compliant_hosts"], counts, _chart(report), options, _rows(report), _control_texts(report)))
