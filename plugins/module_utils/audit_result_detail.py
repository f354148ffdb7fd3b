# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The per-host result that travels back to the controller, bounded (private to auditkit.auditd).

``detail=report`` keeps what the fleet report reads (audit_report_document.py: statuses, reasons,
evidence file:line:text, missing lines, findings) and drops what only a reader of one host's
full result needs: the catalog text of each control (the controller has the catalog), the
files read, settings, kernel status, canonical rule forms. Findings are capped at
MAX_FINDINGS per host, with the number left out. Runs on the host: Python 3.6."""

MAX_FINDINGS = 100
# Every detail mode: at most this many findings, and evidence lines per requirement view, with
# the number left out beside them (a directory of duplicates made hundreds of MB of findings).
MAX_FULL_FINDINGS = 1000
MAX_EVIDENCE = 100
RESULT_KEYS = ("mode", "machine", "rules_dir", "compiled_file", "summary", "compliant",
               "profile", "controls", "requirements", "findings", "warnings", "reboot_required")
CONTROL_KEYS = ("id", "catalog_id", "status", "reason", "advisory", "notes")
REQUIREMENT_KEYS = ("rule", "catalog_controls", "advisory", "missing", "status", "reason")
VIEW_KEYS = ("status", "evidence")


def _view(view):
    if not isinstance(view, dict):
        return view
    return dict((k, view[k]) for k in VIEW_KEYS if k in view)


def _requirement(entry):
    trimmed = dict((k, entry[k]) for k in REQUIREMENT_KEYS if k in entry)
    for view in ("on_disk", "in_kernel"):
        trimmed[view] = _view(entry.get(view))
    return trimmed


def for_report(result):
    """The result with detail=report (a new dict; result is not changed)."""
    trimmed = dict((k, result[k]) for k in RESULT_KEYS if k in result)
    trimmed["controls"] = [dict((k, c[k]) for k in CONTROL_KEYS if k in c) for c in result.get("controls", [])]
    trimmed["requirements"] = [_requirement(e) for e in result.get("requirements", [])]
    findings = result.get("findings", [])
    trimmed["findings"] = findings[:MAX_FINDINGS]
    trimmed["findings_left_out"] = max(0, len(findings) - MAX_FINDINGS)
    trimmed["detail"] = "report"
    return trimmed


def _bounded_view(view):
    if not isinstance(view, dict) or len(view.get("evidence") or []) <= MAX_EVIDENCE:
        return view
    return dict(view, evidence=view["evidence"][:MAX_EVIDENCE], evidence_left_out=len(view["evidence"]) - MAX_EVIDENCE)


def bounded(result):
    """The result with at most MAX_FULL_FINDINGS findings (``findings_left_out``: how many more)
    and MAX_EVIDENCE evidence lines per requirement view (``evidence_left_out``), in every detail
    mode (a new dict)."""
    bounded_result = dict(result)
    findings = result.get("findings") or []
    if len(findings) > MAX_FULL_FINDINGS or "findings_left_out" in result:
        bounded_result["findings"] = findings[:MAX_FULL_FINDINGS]
        bounded_result["findings_left_out"] = result.get("findings_left_out", 0) + max(0, len(findings) - MAX_FULL_FINDINGS)
    bounded_result["requirements"] = [
        dict(entry, **dict((view, _bounded_view(entry[view])) for view in ("on_disk", "in_kernel") if view in entry))
        for entry in result.get("requirements") or []]
    return bounded_result
