# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""What changed since a baseline report (private to auditkit.auditd). Pure: no I/O.

``compare_reports(report, baseline)`` is the one comparison: the audit_report action plugin
(``baseline`` option, role variable ``auditkit_report_baseline``), the audit_report_compare
module (playbook ``compare_reports``) and merged slices all call it. It returns the report with,
per host and control, a ``transition`` beside the status and the rule-level change (which
required lines went missing or were restored, which evidence lines disappeared or appeared on
disk and in the kernel), the host x control pairs of the baseline that this run has not
(``gone``: listed, never dropped), and the counts per transition.

Transitions (host x control, matched by host name and catalog ID):
  fixed          was fail, error or unreachable; now pass
  regressed      was not failing (pass, waived, not_applicable); now fail, error or unreachable
  still_failing  failing in both
  unchanged      every other pair in both (pass -> pass, fail -> waived, pass -> not_applicable ...)
  new            the host or the control is not in the baseline
  gone           in the baseline, not in this run
"""

TRANSITIONS = ("fixed", "regressed", "still_failing", "unchanged", "new", "gone")
FAILING = ("fail", "error", "unreachable")
READABLE_SCHEMA_VERSIONS = (2,)  # report.json versions this comparison reads without misreading


def transition(before, after):
    """The transition from a baseline status to the current one (None: not in that report)."""
    if before is None:
        return "new"
    if after is None:
        return "gone"
    if before in FAILING:
        if after in FAILING:
            return "still_failing"
        return "fixed" if after == "pass" else "unchanged"
    return "regressed" if after in FAILING else "unchanged"


def check_baseline(baseline, where="the baseline"):
    """Refuse what is not a report document this comparison reads correctly (ValueError)."""
    if not isinstance(baseline, dict) or not isinstance(baseline.get("hosts"), list):
        raise ValueError("%s is not a report document (report.json of audit_report)" % where)
    version = baseline.get("schema_version")
    if version not in READABLE_SCHEMA_VERSIONS:
        raise ValueError("%s has report schema_version %r; this collection compares with schema_version %s only: "
                         "run drift_report again with this collection for a new baseline"
                         % (where, version, " or ".join(str(v) for v in READABLE_SCHEMA_VERSIONS)))


def _profiles(report):
    return sorted(set((h.get("profile") or {}).get("name") for h in report["hosts"] if h.get("profile")))


def _evidence_keys(control):
    return [(e["where"], e["file"], e["text"]) for e in control.get("evidence") or []]


def _evidence_dicts(keys):
    return [{"where": where, "file": name, "text": text} for where, name, text in keys]


def _only_in(first, second):
    """Items of first that second has not, in first's order, without repeats."""
    seen, others = set(), set(second)
    kept = []
    for item in first:
        if item not in others and item not in seen:
            seen.add(item)
            kept.append(item)
    return kept


def rule_changes(before, after):
    """The rule-level change of one control: required lines now missing that were not
    (newly_missing), missing before and not now (restored), evidence lines of the baseline not
    found now (disappeared) and new ones (appeared), each {where, file, text}."""
    old, new = _evidence_keys(before), _evidence_keys(after)
    return {"newly_missing": _only_in(after.get("missing") or [], before.get("missing") or []),
            "restored": _only_in(before.get("missing") or [], after.get("missing") or []),
            "disappeared": _evidence_dicts(_only_in(old, new)), "appeared": _evidence_dicts(_only_in(new, old))}


def _compare_host(host, before):
    """A copy of a host entry with transitions, given its baseline entry (or None)."""
    old_controls = dict((c["catalog_id"], c) for c in (before or {}).get("controls", []) if c.get("catalog_id"))
    controls = []
    for control in host["controls"]:
        old = old_controls.get(control["catalog_id"]) if control.get("catalog_id") else None
        old_status = old["status"] if old is not None else None
        controls.append(dict(control, transition=transition(old_status, control["status"]), baseline_status=old_status,
                             rule_changes=rule_changes(old, control) if old is not None else None))
    host_before = before["status"] if before is not None else None
    return dict(host, controls=controls, transition=transition(host_before, host["status"]),
                baseline_status=host_before)


def _gone(hosts, baseline_hosts):
    """Baseline host x control pairs this run has not: whole hosts, and controls of hosts still here."""
    current = dict((h["name"], set(c.get("catalog_id") for c in h["controls"])) for h in hosts)
    gone = []
    for old in baseline_hosts:
        here = current.get(old["name"])
        for control in old.get("controls", []):
            if here is None or control.get("catalog_id") not in here:
                gone.append({"host": old["name"], "id": control["id"], "catalog_id": control.get("catalog_id"),
                             "baseline_status": control["status"], "host_gone": here is None})
        if here is None and not old.get("controls"):
            gone.append({"host": old["name"], "id": "(host)", "catalog_id": None, "baseline_status": old["status"],
                         "host_gone": True})
    return gone


def _warnings(report, baseline):
    warnings = []
    old, new = _profiles(baseline), _profiles(report)
    if old and new and old != new:
        warnings.append("the baseline used profile %s, this run %s: controls of one profile are new or gone in the "
                        "other" % (", ".join(old), ", ".join(new)))
    if baseline.get("generated_at") and report.get("generated_at") and baseline["generated_at"] > report["generated_at"]:
        warnings.append("the baseline (%s) is newer than this report (%s)" % (baseline["generated_at"],
                                                                              report["generated_at"]))
    return warnings


def compare_reports(report, baseline, baseline_path=None):
    """The report (a new document; neither input is changed) with its change since the baseline."""
    check_baseline(baseline, baseline_path or "the baseline")
    by_name = dict((h["name"], h) for h in baseline["hosts"])
    hosts = [_compare_host(h, by_name.get(h["name"])) for h in report["hosts"]]
    gone = _gone(hosts, baseline["hosts"])
    counts = dict((t, 0) for t in TRANSITIONS)
    for host in hosts:
        for control in host["controls"]:
            counts[control["transition"]] += 1
    counts["gone"] = len(gone)
    compared = dict(report, hosts=hosts, gone=gone, transitions=counts)
    compared["baseline"] = {"path": baseline_path, "generated_at": baseline.get("generated_at"),
                            "kind": baseline.get("kind"), "title": baseline.get("title"),
                            "hosts": len(baseline["hosts"]), "profiles": _profiles(baseline),
                            "warnings": _warnings(report, baseline)}
    return compared


def baseline_digest(report):
    """What a later comparison reads of this report, and nothing else: a report document (it
    passes check_baseline) small enough to publish as a job artifact (AWX passes it to the
    workflow's next nodes, whose reports compare with it)."""
    hosts = [{"name": h["name"], "status": h["status"], "profile": {"name": (h.get("profile") or {}).get("name")},
              "controls": [{"id": c["id"], "catalog_id": c.get("catalog_id"), "status": c["status"],
                            "missing": c.get("missing") or [],
                            "evidence": [dict((k, e[k]) for k in ("where", "file", "text")) for e in c.get("evidence") or []]}
                           for c in h["controls"]]}
             for h in report["hosts"]]
    return {"schema_version": report["schema_version"], "kind": report["kind"], "title": report["title"],
            "generated_at": report["generated_at"], "digest": True, "hosts": hosts}


# --- what the formats show ----------------------------------------------------------------------

def compared(report):
    return report.get("transitions") is not None


def regressions(report):
    """[(host, control ID)] of the regressed pairs: what auditkit_fail_on_regression gates on."""
    return [(h["name"], c["id"]) for h in report["hosts"] for c in h["controls"] if c.get("transition") == "regressed"]


def summary_text(report):
    """One line: the counts per transition and the baseline, or '' without a baseline."""
    if not compared(report):
        return ""
    counts = report["transitions"]
    base = report["baseline"]
    return "since the baseline %s (%s): %s" % (base.get("path") or base.get("title") or "", base.get("generated_at"),
                                               ", ".join("%s %d" % (t, counts[t]) for t in TRANSITIONS))


def rule_change_lines(control):
    """The rule-level change of one control as lines of text ([] when nothing changed)."""
    changes = control.get("rule_changes") or {}
    lines = ["missing now (was present): %s" % line for line in changes.get("newly_missing", [])]
    lines += ["restored (was missing): %s" % line for line in changes.get("restored", [])]
    lines += ["disappeared %s %s: %s" % (e["where"], e["file"], e["text"]) for e in changes.get("disappeared", [])]
    lines += ["appeared %s %s: %s" % (e["where"], e["file"], e["text"]) for e in changes.get("appeared", [])]
    return lines


def transition_text(control):
    """The transition column: 'regressed (was pass)', 'new', or '' without a baseline."""
    name = control.get("transition")
    if not name:
        return ""
    return "%s (was %s)" % (name, control["baseline_status"]) if control.get("baseline_status") else name


def checklist_comment(control, report):
    """The transition for a checklist's comments (CKLB, CKL, ...): '' without a baseline."""
    if not control.get("transition"):
        return ""
    base = report.get("baseline") or {}
    lines = ["Since the baseline of %s: %s" % (base.get("generated_at"), transition_text(control))]
    return "\n".join(lines + ["  " + line for line in rule_change_lines(control)])


def _gone_text(gone):
    return "gone (was %s%s)" % (gone["baseline_status"], "; host not in this run" if gone["host_gone"] else "")


def changed_rows(report):
    """(host, control ID, transition text, rule change lines) of every pair that changed: fixed,
    regressed and gone first (what a reader looks for), the new ones counted, not listed."""
    order = {"regressed": 0, "fixed": 1}
    rows = [(h["name"], c["id"], c["transition"], transition_text(c), rule_change_lines(c))
            for h in report["hosts"] for c in h["controls"] if c.get("transition") in order]
    rows.sort(key=lambda row: order[row[2]])
    rows += [(g["host"], g["id"], "gone", _gone_text(g), []) for g in report.get("gone", [])]
    return rows


def markdown_lines(report, cell):
    """The transitions summary that opens the Markdown report ([] without a baseline); cell makes
    text safe in a Markdown table cell (audit_report_document's, which escapes for Markdown)."""
    if not compared(report):
        return []
    counts, base = report["transitions"], report["baseline"]
    lines = ["## Since the baseline", "", "Baseline: %s (%s, generated %s)." % (
        cell(base.get("path") or ""), base.get("kind"), base.get("generated_at")), ""]
    lines += ["Warning: %s." % cell(w) for w in base.get("warnings", [])]
    lines += ["| Transition | Host-control pairs |", "|---|---|"] + ["| %s | %d |" % (t, counts[t]) for t in TRANSITIONS]
    changed = changed_rows(report)
    if changed:
        lines += ["", "| Host | Control | Transition | Rule-level change |", "|---|---|---|---|"]
        lines += ["| %s | %s | %s | %s |" % (cell(host), cell(cid), cell(text), cell("; ".join(change)))
                  for host, cid, _name, text, change in changed]
    return lines + [""]


def artifact_fields(report):
    """What the AWX job artifacts carry of the comparison (bounded: counts and the changed pairs' IDs)."""
    if not compared(report):
        return {}
    per_host = {}
    for host in report["hosts"]:
        per_host[host["name"]] = {
            "transition": host["transition"],
            "regressed": [c["id"] for c in host["controls"] if c.get("transition") == "regressed"],
            "fixed": [c["id"] for c in host["controls"] if c.get("transition") == "fixed"]}
    gone_hosts = sorted(set(g["host"] for g in report.get("gone", []) if g["host_gone"]))
    return {"transitions": report["transitions"], "baseline": report["baseline"].get("path"),
            "baseline_generated_at": report["baseline"].get("generated_at"), "host_transitions": per_host,
            "gone_hosts": gone_hosts}
