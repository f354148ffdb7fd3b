# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""One report from the partial reports of a sliced job (private to auditkit.auditd). Pure: no I/O.

Each slice of an AWX sliced job reports on its own hosts (report.json, published as artifacts).
``merge_reports`` takes their report documents as they are (statuses, waivers and plans were
decided by the slice with the same code as an unsliced run), checks that each host appears in
one slice only, gives every expected host that no slice reported the status ``error`` through
the same ``host_outcome`` as a host without a result, names the slices that failed or never
reported, and builds the document with the same ``assemble_report``: the renderers of
audit_report_document.py write it unchanged.

AWX slices an inventory of hosts sorted by name by index modulo the slice count (host i goes to
slice i % count + 1); with ``hosts`` in that order and ``slice_count``, a missing slice is named
by its number.
"""

from ansible_collections.auditkit.auditd.plugins.module_utils import audit_report_document as RD

SLICE_STATUSES = ("reported", "failed", "missing")


def _check_document(name, report):
    if not isinstance(report, dict) or not isinstance(report.get("hosts"), list):
        raise ValueError("slice %s: not a report document (report.json of audit_report)" % name)
    if report.get("schema_version") != RD.SCHEMA_VERSION:
        raise ValueError("slice %s: report schema_version %r, expected %d (run every slice with the same collection)"
                         % (name, report.get("schema_version"), RD.SCHEMA_VERSION))
    if report.get("kind") not in RD.KINDS:
        raise ValueError("slice %s: unknown report kind %r" % (name, report.get("kind")))


def _slice_number(names, positions, count):
    """The slice number (1-based) of a slice holding these hosts, when their positions agree."""
    numbers = set(positions[n] % count + 1 for n in names if n in positions)
    return numbers.pop() if len(numbers) == 1 and all(n in positions for n in names) else None


def _slice_rows(slices, hosts, slice_count):
    """One row per slice given (reported, failed), then one per slice number of slice_count
    that no reported slice holds (missing), named by number when the hosts tell it."""
    rows = [{"name": str(s["name"]), "status": "reported" if s.get("report") is not None else "failed",
             "hosts": len(s["report"]["hosts"]) if s.get("report") is not None else 0,
             "error": None if s.get("report") is not None else (s.get("error") or "the slice published no report")}
            for s in slices]
    reported = [s for s in slices if s.get("report") is not None]
    if not slice_count or len(reported) >= slice_count:
        return rows
    positions = dict((name, index) for index, name in enumerate(hosts or []))
    numbers = [_slice_number([h["name"] for h in s["report"]["hosts"]], positions, slice_count) for s in reported]
    if None in numbers:
        missing = ["?"] * (slice_count - len(reported))
    else:
        missing = [n for n in range(1, slice_count + 1) if n not in numbers]
    rows += [{"name": "slice %s of %d" % (n, slice_count), "status": "missing", "hosts": 0,
              "error": "no report: the slice failed before its report or never ran"} for n in missing]
    return rows


def _unreported_message(name, positions, slice_count, rows):
    problems = [r for r in rows if r["status"] != "reported"]
    missing = set(r["name"] for r in problems if r["status"] == "missing")
    where = ""
    if slice_count and name in positions:
        label = "slice %d of %d" % (positions[name] % slice_count + 1, slice_count)
        where = " (%s by AWX's host order)" % label if label in missing else ""
    named = "; ".join("%s: %s" % (r["name"], r["error"]) for r in problems) or "it is in no slice"
    return "no slice reported this host%s: %s" % (where, named)


def merge_reports(slices, hosts=None, slice_count=None, title=None, generated_at=None):
    """The merged report document.

    slices: [{"name": str, "report": a report document or None, "error": why there is none}];
    hosts: every host the sliced job targeted (default: those the slices reported), in AWX's
    order when slice_count is given; slice_count: how many slices the job had."""
    reported = [s for s in slices if s.get("report") is not None]
    for s in reported:
        _check_document(s["name"], s["report"])
    kinds = set(s["report"]["kind"] for s in reported)
    if len(kinds) > 1:
        raise ValueError("slices of different kinds cannot be merged: %s" % ", ".join(sorted(kinds)))
    kind = kinds.pop() if kinds else "drift_report"
    entries, owner, controls, waivers = {}, {}, [], {}
    for s in reported:
        for entry in s["report"]["hosts"]:
            if entry["name"] in owner:
                raise ValueError("host %s is in slice %s and in slice %s: slices must not overlap"
                                 % (entry["name"], owner[entry["name"]], s["name"]))
            owner[entry["name"]], entries[entry["name"]] = s["name"], entry
        known = set(c["catalog_id"] for c in controls)
        controls += [c for c in s["report"]["controls"] if c["catalog_id"] not in known]
        waivers.update(s["report"].get("waivers") or {})
    names = list(hosts) if hosts is not None else sorted(entries)
    listed = set(names)
    names += sorted(n for n in entries if n not in listed)  # a slice's host outside hosts stays in the report
    rows = _slice_rows(slices, names, slice_count)
    positions = dict((name, index) for index, name in enumerate(hosts or []))
    profiles = set((e.get("profile") or {}).get("name") for e in entries.values() if e.get("controls") and
                   e.get("profile"))
    expected = [c["catalog_id"] for c in controls] if len(profiles) == 1 else []
    merged = [entries[n] if n in entries else
              RD.host_outcome(n, {"failed": True, "msg": _unreported_message(n, positions, slice_count, rows)},
                              expected=expected)
              for n in names]
    document = RD.assemble_report(merged, controls, kind, waivers, title, generated_at)
    document["slices"] = rows
    return document


def slice_headline(document):
    """The headline of the merged report with the slices that did not report."""
    problems = [r["name"] for r in document.get("slices", []) if r["status"] != "reported"]
    text = RD.headline(document)
    if problems:
        text += "; slices without a report: %s" % ", ".join(problems)
    return text
