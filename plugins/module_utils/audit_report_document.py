# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Fleet reports from the hosts' results (private to auditkit.auditd). Pure: no I/O.

The one place that turns per-host module results into statuses: ``host_outcome`` reads one
host's registered results (audit_rules_info for the current state, audit_rules in check mode
for the plan), ``build_report`` makes the report document (schemas/report.schema.json), and the
``render_*`` functions turn that document into Markdown, JUnit XML, CSV and STIG Viewer 3
checklists (CKLB); audit_report_html.py renders HTML; ``artifacts`` is what set_stats publishes.

Statuses (``STATUSES``), the same in every format: pass, fail, waived, not_applicable, error
(the module ran but could not judge: its message), unreachable (the connection failed).
"""

import csv
import hashlib
import io
import json
import re
import string
import uuid

from collections.abc import Mapping
from xml.sax.saxutils import escape, quoteattr

from ansible_collections.auditkit.auditd.plugins.module_utils import audit_report_compare as RC
from ansible_collections.auditkit.auditd.plugins.module_utils import audit_report_remediation as RR
from ansible_collections.auditkit.auditd.plugins.module_utils import audit_profiles as PF
from ansible_collections.auditkit.auditd.plugins.module_utils import audit_report_host_facts as HF
from ansible_collections.auditkit.auditd.plugins.module_utils.audit_control_texts import TEXTS
from ansible_collections.auditkit.auditd.plugins.module_utils.audit_profiles_data import CONTROLS, PROFILES

SCHEMA_VERSION = 2
STATUSES = ("pass", "fail", "waived", "not_applicable", "error", "unreachable")
DRIFT_STATUSES = ("fail", "error", "unreachable")
KINDS = ("drift_report", "remediate_check", "remediation")
TITLES = {"drift_report": "auditkit.auditd drift report",
          "remediation": "auditkit.auditd remediation record: verdicts before and after a real remediate run",
          "remediate_check": "auditkit.auditd remediate dry run (check mode): current state and planned changes"}
# The catalog fields a report carries per control (report.json "controls", HTML, CKLB).
CATALOG_FIELDS = ("id", "title", "severity", "benchmark", "benchmark_version", "vuln_id", "rule_id", "stig_id",
                  "recommendation", "ccis", "srgs", "keys", "rules")
CKLB_STATUS = {"pass": "not_a_finding", "fail": "open", "waived": "open", "not_applicable": "not_applicable",
               "error": "not_reviewed", "unreachable": "not_reviewed"}
MAX_ARTIFACT_PLANNED = 50  # planned lines per host in the set_stats artifacts (AWX job artifacts)
EMPTY_TARGET = {"ip_address": "", "fqdn": "", "mac_address": ""}  # a host's checklist target without facts
UUID_NAMESPACE = uuid.UUID("7d1f3f0e-6c55-4f1b-9a51-5b0f7f3f6a11")  # stable checklist IDs per host and STIG


# --- one host -----------------------------------------------------------------------------------

def _entries_of(control_id, result):
    return [e for e in (result or {}).get("requirements", [])
            if control_id in e.get("catalog_controls", []) and not e.get("advisory")]


def _evidence(control_id, result):
    """file:line evidence of the requirements behind a control (lines that exist now)."""
    return [{"where": view, "file": item["file"], "line": item["line"], "text": item["text"]}
            for entry in _entries_of(control_id, result) for view in ("on_disk", "in_kernel")
            for item in (entry.get(view) or {}).get("evidence", [])]


def _suppressed_by(control_id, result):
    """The never rules (file, line, text) that drop the events of the control's required rules:
    what remediate removes (auditkit_remove_suppressing), from the host's suppressed findings."""
    rules = set(entry.get("rule") for entry in _entries_of(control_id, result))
    found = []
    for finding in (result or {}).get("findings") or []:
        if finding.get("kind") == "suppressed" and finding.get("requirement") in rules:
            where = {"file": finding.get("file"), "line": finding.get("line"), "text": finding.get("text")}
            if where not in found:
                found.append(where)
    return found


def _missing(control_id, result):
    return [line for entry in _entries_of(control_id, result) for line in entry.get("missing", [])]


def _waiver(control, waivers):
    """(justification, the key that named it) of the waiver for a control, or (None, None). A
    key is any ID the catalog knows for the control (V-, SV-, STIG ID, CIS number, as
    auditkit_controls accepts), in any case; check_waiver_keys refuses the others."""
    index = PF.catalog_index()
    for key, justification in waivers.items():
        if justification and control["catalog_id"] in index.get(str(key).upper(), ()):
            return justification, key
    return None, None


def check_waiver_keys(waivers_by_scope):
    """Raise ValueError, naming close matches, when a waiver key names no control of any
    bundled profile, or a host's waivers are not a mapping; waivers_by_scope: {scope: waivers}."""
    for scope, waivers in sorted(waivers_by_scope.items()):
        if not isinstance(waivers, dict):
            raise ValueError("auditkit_waivers of %s: expected a mapping of control ID to justification, got %s"
                             % (scope, type(waivers).__name__))
        try:
            PF.check_ids([str(key) for key in waivers], option="auditkit_waivers of %s" % scope)
        except PF.ProfileError as exc:
            raise ValueError(str(exc))


def waiver_scope(host_name, key):
    """Who a waiver applies to, as every format names it: the host and the key it was given by."""
    return "host %s (auditkit_waivers key %s)" % (host_name, key)


def waiver_text(control):
    """A waived row's waiver with its scope ('ticket 42 [waiver for host h2 ...]'), or ''."""
    if not control.get("waiver"):
        return ""
    scope = control.get("waiver_scope")
    return "%s [waiver for %s]" % (control["waiver"], scope) if scope else control["waiver"]


def _planned_for(catalog_id, plan, current_status):
    """What remediate would change for one control, from an audit_rules check-mode result."""
    if plan is None:
        return None
    after = dict((c["catalog_id"], c) for c in (plan.get("planned") or {}).get("controls", []))
    owners = dict((e.get("rule"), e.get("catalog_controls", [])) for e in (plan.get("planned") or {}).get("requirements", []))
    changes = [{"action": "add", "file": a.get("file"), "line": a.get("rule"), "line_number": a.get("line")}
               for a in plan.get("added", []) if catalog_id in owners.get(a.get("requirement"), [])]
    expected = after.get(catalog_id, {}).get("status", current_status)
    if current_status == "fail" and expected != "fail":
        # a removed suppressing rule serves every control it suppressed
        changes += [{"action": "remove", "file": r.get("file"), "line": r.get("rule"), "line_number": r.get("line")}
                    for r in plan.get("removed", [])]
    return {"status": expected, "reason": after.get(catalog_id, {}).get("reason", ""), "changes": changes}


def _probe_for(catalog_id, probe):
    """What audit_rules_probe saw for one control ({status, reason}), or None without a probe."""
    if not isinstance(probe, dict) or probe.get("skipped") or probe.get("failed"):
        return None
    for control in probe.get("controls") or []:
        if control.get("catalog_id") == catalog_id:
            return {"status": control.get("status"), "reason": control.get("reason") or ""}
    return None


def _kernel_read(catalog_id, result):
    """True when the kernel's rules were read for the control's requirements, False when they
    were judged on disk only (loaded=false, or the kernel could not be read), None without any."""
    entries = _entries_of(catalog_id, result)
    if not entries:
        return None
    return all(entry.get("in_kernel") is not None for entry in entries)


def _control_row(control, result, plan, waivers, probe=None, host_name=None):
    waiver, key = _waiver(control, waivers)
    status = "waived" if waiver and control["status"] == "fail" else control["status"]
    kernel_read = _kernel_read(control["catalog_id"], result)
    reason = control["reason"]
    if control["status"] == "pass" and kernel_read is False:
        reason = "%s (%s)" % (reason, DISK_ONLY)  # a pass that did not see the kernel says so, in every format
    return {"id": control["id"], "catalog_id": control["catalog_id"], "status": status,
            "original_status": control["status"], "reason": reason, "kernel_read": kernel_read,
            "waiver": waiver if status == "waived" else None,  # a waiver acts on failures only
            "waiver_scope": waiver_scope(host_name, key) if status == "waived" else None,
            "evidence": _evidence(control["catalog_id"], result), "missing": _missing(control["catalog_id"], result),
            "advisory": control.get("advisory", []), "notes": control.get("notes", []),
            "planned": _planned_for(control["catalog_id"], plan, control["status"]),
            "probe": _probe_for(control["catalog_id"], probe),
            "suppressed_by": _suppressed_by(control["catalog_id"], result)}


def _unjudged_row(catalog_id, status, message):
    return {"id": CONTROLS[catalog_id]["id"], "catalog_id": catalog_id, "status": status, "original_status": None,
            "reason": message, "kernel_read": None, "waiver": None, "evidence": [], "missing": [], "advisory": [], "notes": [],
            "planned": None, "probe": None}


DISK_ONLY = "on disk; kernel not read"
WARNING_SEVERITIES = ("error", "warning")  # the findings every format shows beside a host's verdicts


def fix_lines(control):
    """The lines that would fix a failing control, without a plan (drift_report): the never rules
    remediate removes ('remove file:line: text'), then the lines it adds."""
    removals = ["remove %s:%s: %s" % (n["file"], n["line"], n["text"]) for n in control.get("suppressed_by") or []]
    return removals + list(control["missing"])


def host_warnings(host):
    """A host's warnings, one text each ('compiled_stale: ... (file:line)'): its findings of
    severity error or warning (compiled_stale, kernel_unreadable, duplicate, rejected_line...)."""
    texts = []
    for finding in host.get("findings") or []:
        if finding.get("severity") not in WARNING_SEVERITIES:
            continue
        where = ("%s:%s" % (finding["file"], finding["line"]) if finding.get("line") else finding.get("file")) or ""
        text = "%s: %s" % (finding["kind"], finding["message"])
        texts.append(text + (" (%s)" % where if where and where not in text else ""))
    return texts


def host_warnings_text(host):
    """A host's warnings as one text ('' when none), for any format that shows them beside the
    host's verdicts (Markdown and CSV columns, HTML, checklist finding details)."""
    return "; ".join(host_warnings(host))


def unverified_reason(control, host, meta):
    """Why a pass is not the benchmark's check as written, or None. The checklist rule: a STIG
    check that reads the kernel (auditctl -l) is not met by rules on disk alone, and one that reads
    the compiled /etc/audit/audit.rules is not met while that file is stale or missing."""
    if control["status"] != "pass":
        return None
    check = (meta or {}).get("check_text") or ""
    if "auditctl -l" in check and control.get("kernel_read") is False:
        return "passes %s, and the check reads the kernel (auditctl -l)" % DISK_ONLY
    stale = [f["kind"] for f in host.get("findings") or [] if f.get("kind") in ("compiled_stale", "compiled_missing")]
    if "auditctl -l" not in check and "/etc/audit/audit.rules" in check and stale:
        return "passes in the rules directory, and the check reads /etc/audit/audit.rules (%s)" % stale[0]
    return None


def checklist_status(control, host, meta):
    """The checklist status (CKLB/CKL vocabulary) of a row: a pass the check as written did not
    see (unverified_reason) is not_reviewed, never not_a_finding."""
    if unverified_reason(control, host, meta):
        return "not_reviewed"
    return CKLB_STATUS[control["status"]]


MAX_STDERR = 400  # characters of a failed module's stderr kept in the host's error reason


def stderr_of(result):
    """'; stderr: ...' (bounded, whitespace folded) of a failed module result, or '': the real
    cause of a module failure (sudo: not found, a Python traceback) is there, not in msg."""
    text = " ".join(str(result.get("module_stderr") or result.get("stderr") or "").split())
    if not text or text in str(result.get("msg") or ""):
        return ""
    return "; stderr: " + (text if len(text) <= MAX_STDERR else text[:MAX_STDERR] + "...")


def problem_of(result):
    """(status, message) when a registered result holds no verdicts, else None."""
    if result is None:
        return "error", "no result: the host failed or was skipped before the check"
    if not isinstance(result, dict):
        return "error", "the result is not a module result"
    if result.get("unreachable"):
        message = result.get("msg") or "the connection failed"
        if "Failed to create temporary directory" in message:  # what a stopped container gives, misleadingly
            message = ("the connection could not run a command on the host: a container that is not running (docker "
                       "ps -a shows its state) or a home directory it cannot write; Ansible said: " + message)
        return "unreachable", message
    if result.get("failed"):
        return "error", (result.get("msg") or "the check failed") + stderr_of(result)
    if result.get("skipped"):
        return "error", "the check was skipped: %s" % (result.get("skip_reason") or "condition false")
    if "controls" not in result:
        return "error", "the result holds no control verdicts"
    return None


def host_status(controls):
    """The host's status: the worst of its controls."""
    statuses = set(c["status"] for c in controls)
    for status in ("unreachable", "error", "fail", "waived", "pass"):
        if status in statuses:
            return status
    return "not_applicable" if statuses else "pass"


def host_outcome(name, result, plan=None, waivers=None, expected=(), rules_file=None, probe=None):
    """The report entry of one host: its current verdicts (result) and, when given, the plan.

    result: the audit_rules_info result (or audit_rules' in check mode: its requirements and
    controls are the current state); plan: an audit_rules check-mode result or None;
    expected: catalog IDs to list for a host that could not be judged; probe: the host's
    audit_rules_probe result (auditkit_probe), shown beside the verdicts."""
    waivers = waivers or {}
    problem = problem_of(result) or (problem_of(plan) if plan is not None else None)
    if problem:
        status, message = problem
        return {"name": name, "status": status, "error": message, "profile": None, "machine": None, "mode": None,
                "compliant": False, "controls": [_unjudged_row(c, status, message) for c in expected],
                "findings": [], "planned_changes": []}
    controls = [_control_row(c, result, plan, waivers, probe, name) for c in result.get("controls", [])]
    return {"name": name, "status": host_status(controls), "error": None, "profile": result.get("profile"),
            "machine": result.get("machine"), "mode": result.get("mode"),
            "compliant": all(c["status"] not in DRIFT_STATUSES for c in controls) and result.get("compliant", True),
            "controls": controls, "findings": result.get("findings", []),
            "planned_changes": _planned_changes(controls, plan, rules_file or _default_rules_file(result))}


def _default_rules_file(result):
    """audit.rules in the host's rules directory: what remediate writes unless told otherwise."""
    return (result.get("rules_dir") or "/etc/audit/rules.d").rstrip("/") + "/audit.rules"


def _planned_changes(controls, plan, rules_file):
    """Every line remediate would add or remove on this host, each with its control.

    From the plan when there is one (remediate --check); otherwise (drift_report) the missing
    lines of failing controls, which remediate would add to rules_file."""
    changes = []
    for control in controls:
        if plan is not None:
            for change in (control["planned"] or {}).get("changes", []):
                changes.append(dict(change, control=control["id"]))
        elif control["original_status"] == "fail":
            changes += [{"control": control["id"], "action": "remove", "file": never["file"], "line": never["text"],
                         "line_number": never["line"]} for never in control.get("suppressed_by") or []]
            changes += [{"control": control["id"], "action": "add", "file": rules_file, "line": line,
                         "line_number": None} for line in control["missing"]]
    return changes


# --- the fleet ----------------------------------------------------------------------------------

def control_meta(catalog_id):
    data = CONTROLS[catalog_id]
    meta = dict((field, data[field]) for field in CATALOG_FIELDS)
    meta["catalog_id"] = catalog_id
    meta.update(TEXTS[catalog_id])
    return meta


def _counts(hosts):
    counts = dict((status, 0) for status in STATUSES)
    for host in hosts:
        for control in host["controls"]:
            counts[control["status"]] += 1
    return counts


def _host_counts(hosts):
    counts = dict((status, 0) for status in STATUSES)
    for host in hosts:
        counts[host["status"]] += 1
    return counts


def _expected_controls(results):
    """Catalog IDs in first-seen order, and the one profile of the fleet (or None)."""
    catalog_ids, profiles = [], set()
    for result in results.values():
        if isinstance(result, dict) and result.get("controls"):
            profiles.add((result.get("profile") or {}).get("name"))
            for control in result["controls"]:
                if control["catalog_id"] not in catalog_ids:
                    catalog_ids.append(control["catalog_id"])
    return catalog_ids, profiles


def waivers_per_host(names, waivers=None, host_waivers=None):
    """{host: its waivers}: waivers (given for every host of the report) updated with the host's
    own (host_waivers: {host: its auditkit_waivers}); hosts without waivers are left out.
    Raises ValueError for a key no bundled control has."""
    waivers, host_waivers = waivers or {}, dict((h, w) for h, w in (host_waivers or {}).items() if w is not None)
    check_waiver_keys(dict([("every host", waivers)] + [("host %s" % h, w) for h, w in host_waivers.items()]))
    effective = dict((name, dict(waivers, **host_waivers.get(name, {}))) for name in names)
    return dict((name, given) for name, given in effective.items() if given)


def _not_a_list_of_dicts(value, what):
    if value is not None and (not isinstance(value, list) or not all(isinstance(item, dict) for item in value)):
        return "%s is not a list of mappings" % what
    return None


def _control_problem(index, control):
    if not isinstance(control.get("catalog_id"), str) or control["catalog_id"] not in CONTROLS:
        return "controls[%d]: unknown catalog_id %r" % (index, control.get("catalog_id"))
    if control.get("status") not in STATUSES:
        return "controls[%d] (%s): unknown status %r" % (index, control["catalog_id"], control.get("status"))
    if not isinstance(control.get("id"), str) or not isinstance(control.get("reason", ""), str):
        return "controls[%d] (%s): id and reason must be strings" % (index, control["catalog_id"])
    return None


def malformed(result):
    """Why a host's registered result (or plan) cannot be reported, or None: checked on the way
    into build_report, so that one bad host becomes that host's error row, not the fleet's crash."""
    if not isinstance(result, dict) or problem_of(result):
        return None  # problem_of reports those
    for key in ("controls", "requirements", "findings", "added", "removed"):
        problem = _not_a_list_of_dicts(result.get(key), key)
        if problem:
            return problem
    for key in ("profile", "planned"):
        if result.get(key) is not None and not isinstance(result[key], dict):
            return "%s is not a mapping" % key
    for key in ("controls", "requirements"):
        problem = _not_a_list_of_dicts((result.get("planned") or {}).get(key), "planned." + key)
        if problem:
            return problem
    for index, control in enumerate(result.get("controls") or []):
        problem = _control_problem(index, control)
        if problem:
            return problem
    return None


def _checked(results):
    """results with each malformed one replaced by a failed result naming what is wrong."""
    checked = {}
    for name, result in (results or {}).items():
        problem = malformed(result)
        checked[name] = {"failed": True, "msg": "malformed result: %s" % problem} if problem else result
    return checked


def _expected_for(name, catalog_ids, profiles, inventory_profiles):
    """The controls listed for a host without verdicts: the fleet's when the fleet used one
    profile; in a mixed fleet those of the profile its inventory names (auditkit_profile), if
    any, else none (it is one row, as a host)."""
    if len(profiles) == 1:
        return catalog_ids
    wanted = PROFILES.get(str(inventory_profiles.get(name) or ""), {}).get("controls", [])
    return [c for c in catalog_ids if c in wanted]


def build_report(results, hosts=None, plans=None, waivers=None, title=None, generated_at=None,
                 kind="drift_report", generator="auditkit.auditd", rules_files=None, probes=None, host_waivers=None,
                 targets=None, inventory_profiles=None):
    """The report document.

    results: {host: current result, or None when the host has none}; hosts: every host of the
    play (default: the keys of results); plans: {host: audit_rules check-mode result} for a
    remediate dry run; rules_files: {host: the file remediate writes}, for drift_report;
    probes: {host: audit_rules_probe result}, when the run probed (auditkit_probe);
    waivers: {control ID: justification} for every host; host_waivers: {host: its own
    auditkit_waivers}, which apply to that host only; targets: {host: {ip_address, fqdn,
    mac_address}} from its facts (the checklists' target data); inventory_profiles: {host: its
    auditkit_profile from the inventory}, for hosts not judged. Each result and plan is checked
    on the way in (malformed): a bad one becomes that host's error row."""
    results, plans, rules_files, probes = _checked(results), _checked(plans), rules_files or {}, probes or {}
    names = list(hosts) if hosts is not None else sorted(results)
    waivers = waivers_per_host(names, waivers, host_waivers)
    catalog_ids, profiles = _expected_controls(results)
    entries = [host_outcome(name, results.get(name), plans.get(name) if kind == "remediate_check" else None,
                            waivers.get(name), _expected_for(name, catalog_ids, profiles, inventory_profiles or {}),
                            rules_files.get(name), probes.get(name)) for name in names]
    for entry in entries:
        entry["target"] = dict(EMPTY_TARGET, **((targets or {}).get(entry["name"]) or {}))
    return assemble_report(entries, [control_meta(c) for c in catalog_ids], kind, waivers, title, generated_at,
                           generator)


def assemble_report(entries, controls, kind, waivers, title=None, generated_at=None, generator="auditkit.auditd"):
    """The report document around host entries (host_outcome) and the catalog rows of their
    controls (control_meta): one builder for a run's report and for merged slices."""
    host_counts = _host_counts(entries)
    return {
        "schema_version": SCHEMA_VERSION, "generator": generator, "kind": kind,
        "title": title or TITLES[kind], "generated_at": generated_at,
        "summary": {"hosts": len(entries), "host_status": host_counts,
                    "checked": len([h for h in entries if h["status"] not in ("error", "unreachable")]),
                    "unreachable": host_counts["unreachable"], "error": host_counts["error"],
                    "compliant_hosts": len([h for h in entries if h["compliant"]]), "controls": _counts(entries)},
        "waivers": waivers,
        "controls": controls,
        "hosts": entries,
    }


def rows(host):
    """The control rows of a host for the table formats; one host row when it has none."""
    if host["controls"]:
        return host["controls"]
    return [{"id": "(host)", "catalog_id": None, "status": host["status"], "original_status": None,
             "reason": host["error"] or "no controls", "waiver": None, "evidence": [], "missing": [],
             "advisory": [], "notes": [], "planned": None, "probe": None}]


def drift(report):
    """True when a control fails or a host could not be judged: what fail-on-drift gates on."""
    return any(host["status"] in DRIFT_STATUSES for host in report["hosts"])


def artifacts(report, report_dir, files, max_planned=MAX_ARTIFACT_PLANNED):
    """What set_stats publishes (AWX job artifacts): bounded per host."""
    hosts = {}
    for host in report["hosts"]:
        planned = [dict((k, c[k]) for k in ("control", "action", "file", "line")) for c in host["planned_changes"]]
        hosts[host["name"]] = {
            "status": host["status"], "error": host["error"],
            "failing_controls": [c["id"] for c in host["controls"] if c["status"] == "fail"],
            "planned": planned[:max_planned], "truncated": len(planned) > max_planned}
    summary = report["summary"]
    published = {"kind": report["kind"], "report_dir": report_dir, "files": files, "drift": drift(report),
                 "summary": {"hosts": summary["hosts"], "host_status": summary["host_status"],
                             "controls": summary["controls"]},
                 "hosts": hosts}
    published.update(RC.artifact_fields(report))  # transitions, when compared with a baseline
    return published


def headline(report):
    """One line: host counts per status."""
    counts = report["summary"]["host_status"]
    return "%s: %d hosts: %s" % (report["title"], report["summary"]["hosts"],
                                 ", ".join("%s %d" % (s, counts[s]) for s in STATUSES if counts[s]))


def reason_of(host, control):
    if host["error"]:
        return host["error"]
    if control["status"] == "waived":
        return "waived: %s (%s)" % (waiver_text(control), control["reason"])
    return control["reason"]


def planned_text(control):
    """The planned column: expected status and the exact lines, or '' when nothing is planned."""
    planned = control.get("planned")
    if not planned:
        return ""
    lines = ["%s %s: %s" % (c["action"], c["file"], c["line"]) for c in planned["changes"]]
    if not lines and planned["status"] == control["original_status"]:
        return "no change (%s)" % planned["status"]
    return "; ".join(["expected after remediate (written and loaded): %s" % planned["status"]] + lines)


def probe_text(control):
    """The probe column: what the kernel recorded when the action was fired, or ''."""
    probe = control.get("probe")
    if not probe:
        return ""
    return "%s: %s" % (probe["status"], probe["reason"]) if probe["reason"] else probe["status"]


def probed(report):
    """True when some host was probed: the probe column is shown only then."""
    return any(c.get("probe") for host in report["hosts"] for c in host["controls"])


# --- Markdown and CSV ---------------------------------------------------------------------------

# HTML in a cell is text, not markup; a pipe does not end the cell (GitHub-flavoured tables).
MARKDOWN_ESCAPES = {"&": "&amp;", "<": "&lt;", ">": "&gt;", "|": "\\|"}


def _visible_char(char):
    """A control character (CR, NUL, DEL, ...) shown as its escape; newlines and tabs as spaces."""
    if char in "\n\t":
        return " "
    if ord(char) < 32 or 127 <= ord(char) < 160 or char in "\u2028\u2029":
        return "\\x%02x" % ord(char) if ord(char) < 256 else "\\u%04x" % ord(char)
    return MARKDOWN_ESCAPES.get(char, char)


def _cell(text):
    """Host-controlled text (host names, file names, rule text, messages) as one Markdown table
    cell: control characters shown escaped (a CR ends a line in CommonMark), HTML (&, <, >) and
    pipes escaped, so no cell ends its row, starts a heading or renders markup."""
    return "".join(_visible_char(char) for char in str(text if text is not None else ""))


def _table_row(cells):
    return "| %s |" % " | ".join(cells)


def _matrix_markdown(report):
    """Host x control, with each host's warnings in the last column (as many cells in every row,
    also when no host has a control)."""
    ids = [c["id"] for c in report["controls"]]
    header = ["Host", "Status"] + ids + ["Warnings"]
    lines = [_table_row(header), "|" + "---|" * len(header)]
    for host in report["hosts"]:
        by_id = dict((c["id"], c["status"]) for c in host["controls"])
        lines.append(_table_row([_cell(host["name"]), host["status"]] + [by_id.get(i, "-") for i in ids]
                                + [_cell(host_warnings_text(host))]))
    return lines


def render_markdown(report):
    summary = report["summary"]
    dry_run = report["kind"] == "remediate_check"
    lines = ["# %s" % report["title"], "", "Generated %s by %s (%s)." % (report["generated_at"], report["generator"],
                                                                         report["kind"]), ""]
    if dry_run:
        lines += ["Check mode: nothing was written. Status is the current state of each host (what drift_report "
                  "says now); the Planned column is what remediate would change and the verdict it expects.", ""]
    record = report["kind"] == "remediation"
    if record:
        lines += ["Remediation record: each control's verdict before (judged on disk by audit_rules before it wrote), "
                  "the lines written or removed, the load result, and the verdict after (Status: judged again on "
                  "disk and in the kernel after the load handler ran).", ""]
    lines += RC.markdown_lines(report, _cell)  # the transitions summary first, when compared with a baseline
    host_counts = ", ".join("%s %d" % (s, summary["host_status"][s]) for s in STATUSES)
    lines += ["Hosts: %d (%s)." % (summary["hosts"], host_counts), ""]
    lines += _matrix_markdown(report)
    lines += ["", "| Status | Host-control verdicts |", "|---|---|"]
    lines += ["| %s | %d |" % (status, summary["controls"][status]) for status in STATUSES]
    with_probe, with_baseline = probed(report), RC.compared(report)
    header = ("| Host | Control | Status | Reason |" + (" Planned (not applied) |" if dry_run else "")
              + (" Probe (kernel records) |" if with_probe else "") + (" Since the baseline |" if with_baseline else "")
              + (" Remediation (before, lines, load, after) |" if record else ""))
    lines += ["", header, "|---|---|---|---|" + ("---|" if dry_run else "") + ("---|" if with_probe else "")
              + ("---|" if with_baseline else "") + ("---|" if record else "")]
    for host in report["hosts"]:
        for control in rows(host):
            line = "| %s | %s | %s | %s |" % (_cell(host["name"]), _cell(control["id"]), control["status"],
                                              _cell(reason_of(host, control)))
            line += " %s |" % _cell(planned_text(control)) if dry_run else ""
            line += " %s |" % _cell(probe_text(control)) if with_probe else ""
            line += " %s |" % _cell(RC.transition_text(control)) if with_baseline else ""
            lines.append(line + (" %s |" % _cell(RR.remediation_text(control, host)) if record else ""))
    facts = [(host["name"], fact) for host in report["hosts"] for fact in HF.host_facts(host)]
    if facts:
        lines += ["", "Host facts beside the verdicts (a passing rule may still record nothing):", ""]
        lines += ["- %s: %s" % (_cell(name), _cell(fact)) for name, fact in facts]
    return "\n".join(lines) + "\n"


FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def csv_safe(value):
    """A cell a spreadsheet shows as text: a leading ' before = + - @ tab CR (formula injection)."""
    text = str(value if value is not None else "")
    return "'" + text if text.startswith(FORMULA_STARTS) else text


CSV_HEADER = ("host", "host_status", "control", "title", "severity", "status", "reason", "waiver", "evidence",
              "missing", "planned_status", "planned_changes", "probe", "report", "transition", "host_facts",
              "remediation", "host_warnings")


def render_csv(report):
    metas = dict((m["catalog_id"], m) for m in report["controls"])
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(CSV_HEADER)
    for host in report["hosts"]:
        for control in rows(host):
            meta = metas.get(control["catalog_id"], {})
            planned = control.get("planned") or {}
            writer.writerow([csv_safe(v) for v in (
                host["name"], host["status"], control["id"], meta.get("title", ""), meta.get("severity", ""),
                control["status"], reason_of(host, control), waiver_text(control),
                "; ".join("%s:%s" % (e["file"], e["line"]) for e in control["evidence"]),
                "; ".join(control["missing"]), planned.get("status", ""),
                "; ".join("%s %s: %s" % (c["action"], c["file"], c["line"]) for c in planned.get("changes", [])),
                probe_text(control), report["title"], RC.transition_text(control), HF.facts_text(host),
                RR.remediation_text(control, host), host_warnings_text(host))])
    for gone in report.get("gone", []):  # in the baseline, not in this run: a row without a status
        writer.writerow([csv_safe(v) for v in (
            gone["host"], "", gone["id"], metas.get(gone["catalog_id"], {}).get("title", ""), "", "",
            "in the baseline, not in this run" + (" (the host is not in this run)" if gone["host_gone"] else ""),
            "", "", "", "", "", "", report["title"], "gone (was %s)" % gone["baseline_status"], "", "", "")])
    return out.getvalue()


# --- JUnit --------------------------------------------------------------------------------------

_XML_ILLEGAL = re.compile(u"[^\u0009\u000a\u000d\u0020-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


def xml_text(text):
    """Text with the characters XML 1.0 forbids removed."""
    return _XML_ILLEGAL.sub("", str(text if text is not None else ""))


def _attr(text):
    return quoteattr(xml_text(text))


JUNIT_TAGS = {"fail": "failure", "error": "error", "unreachable": "error", "waived": "skipped",
              "not_applicable": "skipped"}


def _testcase(host, control, title):
    head = "    <testcase classname=%s name=%s>" % (_attr(host["name"]), _attr("%s %s" % (control["id"], title)))
    status = control["status"]
    tag = JUNIT_TAGS.get(status)
    planned = planned_text(control)
    regressed = "regressed since the baseline (was %s): " % control["baseline_status"] \
        if control.get("transition") == "regressed" else ""
    if status == "fail":
        text = "\n".join(control["missing"] + (["planned: " + planned] if planned else [])
                         + RC.rule_change_lines(control))
        body = "<failure message=%s>%s</failure>" % (_attr(regressed + control["reason"]), escape(xml_text(text)))
    elif tag == "error":
        body = "<error message=%s/>" % _attr("%s%s: %s" % (regressed, status, host["error"] or control["reason"]))
    elif status == "waived":
        body = "<skipped message=%s/>" % _attr("waived: %s" % waiver_text(control))
    elif status == "not_applicable":
        body = "<skipped message=%s/>" % _attr("not applicable: %s" % control["reason"])
    else:
        body = ""
    facts = HF.facts_text(host, "\n")
    if facts:
        body += "<system-out>%s</system-out>" % escape(xml_text("host facts:\n" + facts))
    return head + body + "</testcase>"


def render_junit(report):
    titles = dict((c["id"], c["title"]) for c in report["controls"])
    cases, tally = [], dict((tag, 0) for tag in set(JUNIT_TAGS.values()))
    for host in report["hosts"]:
        for control in rows(host):
            cases.append(_testcase(host, control, titles.get(control["id"], "")))
            if control["status"] in JUNIT_TAGS:
                tally[JUNIT_TAGS[control["status"]]] += 1
    return ('<?xml version="1.0" encoding="UTF-8"?>\n<testsuites>\n  <testsuite name=%s tests="%d" failures="%d" '
            'errors="%d" skipped="%d" timestamp=%s>\n%s\n  </testsuite>\n</testsuites>\n'
            % (_attr(report["title"]), len(cases), tally["failure"], tally["error"], tally["skipped"],
               _attr(report["generated_at"] or ""), "\n".join(cases)))


# --- DISA checklists (CKLB, CKL): audit_report_checklists.py ------------------------------------

def render_cklb(report, host):
    """A STIG Viewer 3 checklist for one host, or None (audit_report_checklists.render_cklb)."""
    from ansible_collections.auditkit.auditd.plugins.module_utils import audit_report_checklists as CK
    return CK.render_cklb(report, host)


def render_ckl(report, host):
    """A STIG Viewer 2 checklist for one host, or None (audit_report_checklists.render_ckl)."""
    from ansible_collections.auditkit.auditd.plugins.module_utils import audit_report_checklists as CK
    return CK.render_ckl(report, host)


# the checklist formats: one file per host that has controls of a DISA benchmark
CHECKLISTS = (("cklb", ".cklb", render_cklb), ("ckl", ".ckl", render_ckl))


def render_json(report):
    return json.dumps(report, indent=2, sort_keys=True) + "\n"


# (format option, file name, renderer); the checklists are one per host (CHECKLISTS), and so
# are the XCCDF results and HDF files (audit_report_results.PER_HOST)
RENDERERS = (("json", "report.json", render_json), ("markdown", "summary.md", render_markdown),
             ("junit", "junit.xml", render_junit), ("csv", "report.csv", render_csv))
FORMATS = ("json", "markdown", "html", "junit", "csv", "cklb", "ckl", "xccdf", "hdf")
DEFAULT_FORMATS = ("json", "markdown", "html", "junit", "csv", "cklb", "xccdf", "hdf")  # ckl on request (auditkit_report_formats)


FILE_NAME_CHARS = frozenset(string.ascii_letters + string.digits + "-_.")


def safe_name(host):
    """The file name stem of a host's per-host files (CKLB and every other per-host format: the
    one helper they all call). Collision-free: a name that sanitising changed, or that has capital
    letters (a case-insensitive file system would merge Web1 and web1), gets a short hash of the
    real name, which every such file also carries inside."""
    stem = "".join(c if c in FILE_NAME_CHARS else "_" for c in host).lstrip(".") or "host"
    if stem == host and host == host.lower():
        return stem
    return "%s-%s" % (stem, hashlib.sha256(host.encode("utf-8", "surrogateescape")).hexdigest()[:10])


class RenderedFiles(Mapping):
    """{file name: text} whose per-host checklists are rendered when read: the writer holds one
    checklist at a time (10,000 hosts' CKLB and CKL texts together would not fit the report
    step's memory goal)."""

    def __init__(self, texts, deferred):
        self._texts, self._deferred = texts, deferred  # deferred: {name: (render, report, host)}

    def __getitem__(self, name):
        if name in self._texts:
            return self._texts[name]
        render, report, host = self._deferred[name]
        return render(report, host)

    def __iter__(self):
        return iter(list(self._texts) + list(self._deferred))

    def __len__(self):
        return len(self._texts) + len(self._deferred)


def render_files(report, formats, render_html):
    """{file name: text} for the chosen formats (the checklists rendered when read)."""
    from ansible_collections.auditkit.auditd.plugins.module_utils import audit_report_checklists as CK
    renderers = RENDERERS + (("html", "report.html", render_html),)
    files, deferred = {}, {}
    for name, filename, render in renderers:
        if name in formats:
            files[filename] = render(report)
    checklists = [(suffix, render) for name, suffix, render in CHECKLISTS if name in formats]
    for host in report["hosts"] if checklists else ():
        if CK.checklist_stigs(report, host):
            for suffix, render in checklists:
                deferred[safe_name(host["name"]) + suffix] = (render, report, host)
    from ansible_collections.auditkit.auditd.plugins.module_utils.audit_report_results import defer_host_files
    defer_host_files(report, formats, deferred)  # the XCCDF results and HDF files
    return RenderedFiles(files, deferred)
