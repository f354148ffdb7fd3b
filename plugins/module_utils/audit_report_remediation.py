# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The remediation record of a real remediate run (private to auditkit.auditd). Pure: no I/O.

The report of kind ``remediation`` is built like a drift report from the verdicts judged again
after the load handler ran (audit_rules_info, on disk and in the kernel: the after). This module
adds beside each control what the run did (``remediation``): the verdict audit_rules judged on
disk before writing (its ``before``), the lines it wrote or removed for that control, and the
host's load result (audit_rules_load, or why it did not run).
"""


def _load_of(load):
    """{status: loaded | not_loaded | failed | not_run, message} of a host's audit_rules_load result."""
    if not isinstance(load, dict):
        return {"status": "not_run", "message": "no load ran (nothing changed, or auditkit_load=false)"}
    if load.get("skipped"):
        return {"status": "not_run", "message": "the load handler was skipped (auditkit_load=false, or nothing "
                                                "changed that needs loading)"}
    if load.get("failed"):
        return {"status": "failed", "message": load.get("msg") or "the load failed"}
    if load.get("loaded"):
        return {"status": "loaded", "message": "loaded with %s" % (load.get("mode") or "the loader")}
    return {"status": "not_loaded", "message": load.get("reason") or "not loaded"}


def _lines_for(catalog_id, record, before_status, after_status):
    """The lines the run wrote (add) or removed (remove) for one control."""
    owners = dict((e.get("rule"), e.get("catalog_controls", []))
                  for e in (record.get("planned") or {}).get("requirements", []))
    lines = [{"action": "add", "file": a.get("file"), "line": a.get("rule"), "line_number": a.get("line")}
             for a in record.get("added", []) if catalog_id in owners.get(a.get("requirement"), [])]
    if before_status == "fail" and after_status != "fail":
        # a removed suppressing rule served every control it suppressed
        lines += [{"action": "remove", "file": r.get("file"), "line": r.get("rule"), "line_number": r.get("line")}
                  for r in record.get("removed", [])]
    return lines


def _host_record(host, record, load):
    """A copy of a host entry with each control's remediation (record: the audit_rules result)."""
    if not isinstance(record, dict) or record.get("failed") or record.get("unreachable") or "before" not in record:
        why = (record or {}).get("msg") if isinstance(record, dict) else None
        message = why or "remediate did not write on this host (it failed or was skipped before audit_rules)"
        return dict(host, remediation={"changed": False, "error": message, "load": _load_of(load)},
                    controls=[dict(c, remediation=None) for c in host["controls"]])
    before = dict((c["catalog_id"], c) for c in (record.get("before") or {}).get("controls", []))
    controls = []
    for control in host["controls"]:
        old = before.get(control["catalog_id"])
        old_status = old["status"] if old else None
        controls.append(dict(control, remediation={
            "before": old_status, "before_reason": old.get("reason", "") if old else "",
            "lines": _lines_for(control["catalog_id"], record, old_status, control["original_status"]),
            "after": control["status"]}))
    return dict(host, controls=controls, remediation={"changed": bool(record.get("changed")), "error": None,
                                                      "load": _load_of(load)})


def with_remediation(report, records, loads):
    """The report (a new document) with what the run did per host and control.

    records: {host: its audit_rules result of the run}; loads: {host: its audit_rules_load result}."""
    hosts = [_host_record(h, records.get(h["name"]), loads.get(h["name"])) for h in report["hosts"]]
    return dict(report, hosts=hosts)


def remediation_text(control, host):
    """before -> after, the lines and the load, as one cell ('' outside a remediation record)."""
    done = control.get("remediation")
    if not done:
        return ((host.get("remediation") or {}).get("error") or "") if host.get("remediation") else ""
    parts = ["before %s, after %s" % (done["before"], done["after"])]
    parts += ["%s %s: %s" % (line["action"], line["file"], line["line"]) for line in done["lines"]]
    load = host["remediation"]["load"]
    parts.append("load: %s (%s)" % (load["status"], load["message"]))
    return "; ".join(parts)


def _verdicts(judged):
    """{control id: status} of an audit_rules_info result (None when it did not run)."""
    if not isinstance(judged, dict) or judged.get("skipped") or "controls" not in judged:
        return None
    return dict((c.get("id"), c.get("status")) for c in judged["controls"] if isinstance(c, dict))


def reboot_record(before, rebooted, after):
    """{required, rebooted, before, after} of a host's reboot step (roles/module_loading/tasks/reboot.yml:
    its registered judge before, reboot and judge after), or None when the step did not run."""
    verdicts = _verdicts(before)
    if verdicts is None:
        return None
    return {"required": bool(before.get("reboot_required")),
            "rebooted": isinstance(rebooted, dict) and bool(rebooted.get("rebooted")),
            "before": verdicts, "after": _verdicts(after)}


def with_reboots(report, steps):
    """The remediation record with each host's reboot (steps: {host: (before, rebooted, after)})."""
    hosts = []
    for host in report["hosts"]:
        record = reboot_record(*(steps.get(host["name"]) or (None, None, None)))
        if record is not None and host.get("remediation") is not None:
            host = dict(host, remediation=dict(host["remediation"], reboot=record))
        hosts.append(host)
    return dict(report, hosts=hosts)


def reboot_text(host):
    """The reboot of an immutable host as one line ('' when none was needed or judged)."""
    record = (host.get("remediation") or {}).get("reboot")
    if not record or not record["required"]:
        return ""

    def listed(verdicts):
        return ", ".join("%s %s" % pair for pair in sorted(verdicts.items()))

    if not record["rebooted"]:
        return "not rebooted (the reboot did not run); before: %s" % listed(record["before"])
    return "rebooted (auditkit_reboot_ok); before: %s; after: %s" % (listed(record["before"]),
                                                                     listed(record["after"] or {}))
