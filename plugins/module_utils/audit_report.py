# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Fleet drift reports from audit_rules_info results (private to auditkit.auditd). Pure: no I/O.

``build_report`` turns {host: result} into one report document (the report.json schema in
schemas/report.schema.json); the ``render_*`` functions turn that document into Markdown,
self-contained HTML, JUnit XML, CSV and STIG Viewer 3 checklists (CKLB). Waived controls keep
their justification; unreachable and failed hosts are listed, never dropped.
"""

import csv
import io
import json
import uuid

from xml.sax.saxutils import escape, quoteattr

from ansible_collections.auditkit.auditd.plugins.module_utils.audit_control_texts import TEXTS
from ansible_collections.auditkit.auditd.plugins.module_utils.audit_profiles_data import CONTROLS

SCHEMA_VERSION = 1
STATUSES = ("pass", "fail", "waived", "not_applicable", "unreachable")
CKLB_STATUS = {"pass": "not_a_finding", "fail": "open", "waived": "open", "not_applicable": "not_applicable",
               "unreachable": "not_reviewed"}
UUID_NAMESPACE = uuid.UUID("7d1f3f0e-6c55-4f1b-9a51-5b0f7f3f6a11")  # stable checklist IDs per host and STIG


# --- the report document -----------------------------------------------------------------------

def _evidence(control, result):
    """file:line evidence of the requirements behind a control."""
    evidence = []
    for entry in result.get("requirements", []):
        if control["catalog_id"] in entry.get("catalog_controls", []) and not entry.get("advisory"):
            for view in ("on_disk", "in_kernel"):
                for item in (entry.get(view) or {}).get("evidence", []):
                    evidence.append({"where": view, "file": item["file"], "line": item["line"], "text": item["text"]})
    return evidence


def _missing(control, result):
    return [line for entry in result.get("requirements", [])
            if control["catalog_id"] in entry.get("catalog_controls", []) and not entry.get("advisory")
            for line in entry.get("missing", [])]


def _host_control(control, result, waivers):
    waiver = waivers.get(control["id"]) or waivers.get(control["catalog_id"]) or waivers.get(control.get("stig_id") or "")
    status = control["status"]
    if waiver and status == "fail":
        status = "waived"
    return {"id": control["id"], "catalog_id": control["catalog_id"], "status": status,
            "original_status": control["status"], "reason": control["reason"], "waiver": waiver or None,
            "evidence": _evidence(control, result), "missing": _missing(control, result),
            "advisory": control.get("advisory", []), "notes": control.get("notes", [])}


def _host_entry(name, result, failure, waivers, expected_controls):
    if result is not None and (result.get("failed") or result.get("unreachable")):
        result, failure = None, {"msg": result.get("msg") or "the check failed",
                                 "unreachable": bool(result.get("unreachable"))}
    if result is None:
        return {"name": name, "status": "unreachable" if failure is None or failure.get("unreachable") else "failed",
                "error": (failure or {}).get("msg") or "no result: the host was unreachable or failed before the check",
                "profile": None, "machine": None, "mode": None, "compliant": False,
                "controls": [{"id": CONTROLS[c]["id"], "catalog_id": c, "status": "unreachable", "original_status": None,
                              "reason": "host not checked", "waiver": None, "evidence": [], "missing": [],
                              "advisory": [], "notes": []} for c in expected_controls],
                "findings": [], "planned_changes": []}
    controls = [_host_control(c, result, waivers) for c in result.get("controls", [])]
    return {"name": name, "status": "ok", "error": None, "profile": result.get("profile"),
            "machine": result.get("machine"), "mode": result.get("mode"),
            "compliant": all(c["status"] != "fail" for c in controls) and result.get("compliant", True),
            "controls": controls, "findings": result.get("findings", []),
            "planned_changes": _planned(result)}


def _planned(result):
    """What audit_rules in check mode would add and remove, with the diff when it ran with --diff."""
    changes = [dict(change, action="add") for change in result.get("added", [])]
    changes += [dict(change, action="remove") for change in result.get("removed", [])]
    for diff in result.get("diff", []) or []:
        changes.append({"action": "diff", "file": diff.get("after_header"), "before": diff.get("before"),
                        "after": diff.get("after")})
    return changes


def _control_meta(catalog_id):
    data = CONTROLS[catalog_id]
    meta = dict((k, data[k]) for k in ("id", "title", "severity", "benchmark", "benchmark_version", "vuln_id",
                                       "rule_id", "stig_id", "recommendation", "ccis", "srgs", "keys", "rules"))
    meta["catalog_id"] = catalog_id
    meta.update(TEXTS[catalog_id])
    return meta


def _counts(hosts):
    counts = dict((status, 0) for status in STATUSES)
    for host in hosts:
        for control in host["controls"]:
            counts[control["status"]] += 1
    return counts


def build_report(results, hosts=None, failures=None, waivers=None, title=None, generated_at=None,
                 kind="drift_report", generator="auditkit.auditd"):
    """The report document for {host: audit_rules_info result or None}."""
    waivers, failures = waivers or {}, failures or {}
    names = sorted(set(list(hosts or []) + list(results)))
    catalog_ids, profiles = [], set()
    for result in results.values():
        if result and result.get("controls"):
            profiles.add((result.get("profile") or {}).get("name"))
        for control in (result or {}).get("controls", []):
            if control["catalog_id"] not in catalog_ids:
                catalog_ids.append(control["catalog_id"])
    # a host without a result gets the controls it would have been checked for only when the
    # whole fleet used one profile; in a mixed fleet it is listed once, as a host
    expected = catalog_ids if len(profiles) == 1 else []
    entries = [_host_entry(name, results.get(name), failures.get(name), waivers, expected) for name in names]
    return {
        "schema_version": SCHEMA_VERSION, "generator": generator, "kind": kind,
        "title": title or "auditkit.auditd drift report", "generated_at": generated_at,
        "summary": {"hosts": len(entries), "checked": len([h for h in entries if h["status"] == "ok"]),
                    "unreachable": len([h for h in entries if h["status"] != "ok"]),
                    "compliant_hosts": len([h for h in entries if h["compliant"]]), "controls": _counts(entries)},
        "waivers": waivers,
        "controls": [_control_meta(c) for c in catalog_ids],
        "hosts": entries,
    }


def rows(host):
    """The control rows of a host for the table formats; one host row when it has none."""
    if host["controls"]:
        return host["controls"]
    return [{"id": "(host)", "catalog_id": None, "status": "unreachable", "original_status": None,
             "reason": host["error"] or "no controls", "waiver": None, "evidence": [], "missing": [],
             "advisory": [], "notes": []}]


def failed(report):
    """True when a control fails (or a host could not be checked): what fail-on-drift gates on."""
    counts = report["summary"]["controls"]
    return bool(counts["fail"] or report["summary"]["unreachable"])


# --- Markdown and CSV ---------------------------------------------------------------------------

def _cell(text):
    return str(text if text is not None else "").replace("|", "\\|").replace("\n", " ")


def render_markdown(report):
    summary = report["summary"]
    lines = ["# %s" % report["title"], "", "Generated %s by %s." % (report["generated_at"], report["generator"]), "",
             "Hosts: %d (checked %d, unreachable or failed %d, compliant %d)." % (
                 summary["hosts"], summary["checked"], summary["unreachable"], summary["compliant_hosts"]), "",
             "| Status | Count |", "|---|---|"]
    lines += ["| %s | %d |" % (status, summary["controls"][status]) for status in STATUSES]
    lines += ["", "| Host | Control | Status | Reason |", "|---|---|---|---|"]
    for host in report["hosts"]:
        for control in rows(host):
            reason = control["waiver"] and "waived: %s (%s)" % (control["waiver"], control["reason"]) or control["reason"]
            if host["status"] != "ok":
                reason = host["error"]
            lines.append("| %s | %s | %s | %s |" % (_cell(host["name"]), _cell(control["id"]), control["status"],
                                                    _cell(reason)))
    return "\n".join(lines) + "\n"


def render_csv(report):
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["host", "host_status", "control", "status", "reason", "waiver", "evidence", "missing"])
    for host in report["hosts"]:
        for control in rows(host):
            writer.writerow([host["name"], host["status"], control["id"], control["status"],
                             host["error"] if host["status"] != "ok" else control["reason"], control["waiver"] or "",
                             "; ".join("%s:%s" % (e["file"], e["line"]) for e in control["evidence"]),
                             "; ".join(control["missing"])])
    return out.getvalue()


# --- JUnit --------------------------------------------------------------------------------------

def _testcase(host, control):
    name = quoteattr("%s %s" % (control["id"], control.get("title", "")))
    head = "    <testcase classname=%s name=%s>" % (quoteattr(host["name"]), name)
    status = control["status"]
    if status == "fail":
        body = "<failure message=%s>%s</failure>" % (quoteattr(control["reason"]), escape("\n".join(control["missing"])))
    elif status == "unreachable":
        body = "<error message=%s/>" % quoteattr(host["error"] or "not checked")
    elif status == "waived":
        body = "<skipped message=%s/>" % quoteattr("waived: %s" % control["waiver"])
    elif status == "not_applicable":
        body = "<skipped message=%s/>" % quoteattr("not applicable: %s" % control["reason"])
    else:
        body = ""
    return head + body + "</testcase>"


def render_junit(report):
    titles = dict((c["id"], c["title"]) for c in report["controls"])
    cases = []
    for host in report["hosts"]:
        for control in rows(host):
            cases.append(_testcase(host, dict(control, title=titles.get(control["id"], ""))))
    counts = report["summary"]["controls"]
    skipped = counts["waived"] + counts["not_applicable"]
    errors = len([c for c in cases if "<error " in c])
    return ('<?xml version="1.0" encoding="UTF-8"?>\n<testsuites>\n  <testsuite name=%s tests="%d" failures="%d" '
            'errors="%d" skipped="%d" timestamp=%s>\n%s\n  </testsuite>\n</testsuites>\n'
            % (quoteattr(report["title"]), len(cases), counts["fail"], errors, skipped,
               quoteattr(report["generated_at"] or ""), "\n".join(cases)))


# --- STIG Viewer 3 checklists -------------------------------------------------------------------

def _finding_details(control):
    lines = ["auditkit.auditd: %s" % control["reason"]]
    if control["waiver"]:
        lines.append("Waived: %s" % control["waiver"])
    lines += ["Evidence (%s) %s:%s: %s" % (e["where"], e["file"], e["line"], e["text"]) for e in control["evidence"]]
    lines += ["Missing: %s" % line for line in control["missing"]]
    lines += ["Advisory %s: %s" % (a["status"], a["rule"]) for a in control["advisory"]]
    return "\n".join(lines)


def _cklb_rule(meta, control, stig_uuid, host):
    rule_id_src = meta["rule_id"] or ""
    return {
        "group_id_src": meta["vuln_id"], "group_tree": [{"id": meta["vuln_id"], "title": meta["srgs"][0] if meta["srgs"] else "",
                                                         "description": "<GroupDescription></GroupDescription>"}],
        "group_id": meta["vuln_id"], "severity": (meta["severity"] or "medium").split()[0].lower(),
        "group_title": meta["srgs"][0] if meta["srgs"] else "", "rule_id_src": rule_id_src,
        "rule_id": rule_id_src[:-len("_rule")] if rule_id_src.endswith("_rule") else rule_id_src,
        "rule_version": meta["stig_id"], "rule_title": meta["title"], "fix_text": meta["fix_text"], "weight": "10.0",
        "check_content": meta["check_text"], "check_content_ref": {"href": "auditkit.auditd", "name": "M"},
        "classification": "Unclassified", "discussion": meta["title"], "false_positives": "", "false_negatives": "",
        "documentable": "false", "security_override_guidance": "", "potential_impacts": "", "third_party_tools": "",
        "ia_controls": "", "responsibility": "", "mitigations": "", "mitigation_control": "", "legacy_ids": [],
        "ccis": meta["ccis"], "reference_identifier": "", "uuid": str(uuid.uuid5(UUID_NAMESPACE, host + meta["catalog_id"])),
        "stig_uuid": stig_uuid, "status": CKLB_STATUS[control["status"]], "overrides": {},
        "comments": "Waived: %s" % control["waiver"] if control["waiver"] else "",
        "finding_details": _finding_details(control),
        "srg_id": meta["srgs"][0] if meta["srgs"] else "",
    }


def render_cklb(report, host):
    """A STIG Viewer 3 checklist for one host, or None when it has no STIG controls."""
    metas = dict((m["catalog_id"], m) for m in report["controls"])
    controls = [c for c in host["controls"] if metas[c["catalog_id"]]["vuln_id"]]
    if not controls:
        return None
    benchmark = metas[controls[0]["catalog_id"]]
    controls = [c for c in controls if metas[c["catalog_id"]]["benchmark"] == benchmark["benchmark"]]
    stig_uuid = str(uuid.uuid5(UUID_NAMESPACE, host["name"] + benchmark["benchmark"]))
    rules = [_cklb_rule(metas[c["catalog_id"]], c, stig_uuid, host["name"]) for c in controls]
    document = {
        "title": "%s - %s" % (host["name"], benchmark["benchmark"]),
        "id": str(uuid.uuid5(UUID_NAMESPACE, host["name"])),
        "stigs": [{"stig_name": benchmark["benchmark"], "display_name": benchmark["benchmark"],
                   "stig_id": benchmark["benchmark"].replace(" ", "_"), "release_info": benchmark["benchmark_version"],
                   "version": benchmark["benchmark_version"].split()[0], "uuid": stig_uuid,
                   "reference_identifier": "", "size": len(rules), "rules": rules}],
        "active": True, "mode": 2, "has_path": False,
        "target_data": {"target_type": "Computing", "host_name": host["name"], "ip_address": "", "mac_address": "",
                        "fqdn": "", "comments": "auditkit.auditd %s %s" % (report["kind"], report["generated_at"]),
                        "role": "None", "is_web_database": False, "technology_area": "", "web_db_site": "",
                        "web_db_instance": "", "classification": None},
        "cklb_version": "1.0",
    }
    return json.dumps(document, indent=2) + "\n"
