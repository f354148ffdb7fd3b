# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Verdicts and findings for one host (private to auditkit.auditd). Pure: no I/O.

The I/O layer gathers a Snapshot (audit_snapshot.py: rules files in load order, the compiled
file, the kernel's rules and status, facts about watched paths); ``evaluate`` turns it into the result the
modules return: one verdict per requirement with evidence on disk and in the kernel, and
findings (rejected lines, suppression, duplicates, drift, symlink watches, -e 2, ...).
"""

from ansible_collections.auditkit.auditd.plugins.module_utils import audit_boot as B
from ansible_collections.auditkit.auditd.plugins.module_utils import audit_coverage as C
from ansible_collections.auditkit.auditd.plugins.module_utils import audit_ruleset as R
from ansible_collections.auditkit.auditd.plugins.module_utils import audit_semantics as S
from ansible_collections.auditkit.auditd.plugins.module_utils.audit_errors import AuditRuleError, Location
from ansible_collections.auditkit.auditd.plugins.module_utils.audit_parser import parse_line
from ansible_collections.auditkit.auditd.plugins.module_utils.audit_snapshot import same_entry_paths, symlinked

# -s status names of the settings a rules file can make.
STATUS_OF_SETTING = {"-e": "enabled", "-f": "failure", "-b": "backlog_limit", "-r": "rate_limit",
                     "--backlog_wait_time": "backlog_wait_time"}


# --- evidence as plain data ---------------------------------------------------------------------

def _where(location):
    return {"file": location.file, "line": location.line}


def _line_evidence(loaded, found=None, canon=None):
    entry = _where(loaded.source)
    entry["text"] = loaded.rule.text.strip()
    if found is not None:
        entry["syscalls"] = C.target_names(found, canon)
    return entry


def _finding(kind, severity, message, location=None, text=None, **extra):
    entry = {"kind": kind, "severity": severity, "message": message,
             "file": location.file if location else None, "line": location.line if location else None,
             "text": text}
    entry.update(extra)
    return entry


def _view(verdict):
    req = verdict.required
    return {
        "status": verdict.status,
        "evidence": [_line_evidence(loaded, found, req) for loaded, found in verdict.evidence],
        "suppressed_by": [_line_evidence(loaded, found, req) for loaded, found in verdict.suppressed],
        "missing_syscalls": C.target_names(verdict.missing, req),
    }


# --- the rule lists of each view ----------------------------------------------------------------

def all_disk_rules(files, machine, is_dir=None):
    """Every rule line on disk that resolves (whatever the load would do), as LoadedRule."""
    rules = []
    for rules_file in files:
        for location, item in rules_file.items:
            if getattr(item, "kind", None) == "rule" and item.operation != "delete":
                try:
                    rules.append(R.LoadedRule(item, S.canonical(item, machine, is_dir), location))
                except AuditRuleError:
                    continue
    return rules


# --- per-requirement verdicts --------------------------------------------------------------------

def _reason(requirement, disk, kernel, on_disk_anywhere, stop):
    def names(found):
        return ", ".join(C.target_names(found, requirement.canon))

    if disk.suppressed:
        first, found = disk.suppressed[0]
        return "suppressed: %s at %s:%s drops %s before any rule records it" % (
            first.rule.text.strip(), first.source.file, first.source.line, names(found))
    if disk.missing:
        if on_disk_anywhere.status == "covered" and stop is not None:
            return "not loadable: auditctl -R stops at %s:%s (%s) before the rules that cover it" % (
                stop.file, stop.line, stop.reason)
        return "missing on disk: %s" % names(disk.missing)
    if kernel is not None and kernel.status != "covered":
        if kernel.suppressed:
            first, found = kernel.suppressed[0]
            return "suppressed in the kernel by %s" % first.rule.text.strip()
        return "persisted but not in the kernel: %s (load the rules)" % names(kernel.missing)
    return "covered on disk%s" % (" and in the kernel" if kernel is not None else "")


def _commented_out(requirement, files, machine, snapshot):
    hints = []
    for rules_file in files:
        for location, item in rules_file.items:
            if getattr(item, "kind", None) != "comment":
                continue
            try:
                rule = parse_line(item.body, location)
                canon = S.canonical(rule, machine, snapshot.is_dir) if rule.kind == "rule" else None
            except AuditRuleError:
                continue
            if canon is not None and S.covered_syscalls(canon, requirement.canon, "coverage", "any"):
                hints.append({"file": location.file, "line": location.line, "text": item.text.strip()})
    return hints


def missing_rule(requirement, verdict, machine):
    """The line that would add exactly what ``verdict`` lacks (the whole requirement if all)."""
    if not verdict.missing:
        return None
    if verdict.missing == C.targets(requirement.canon):
        return requirement.rendered(machine)
    rule = requirement.effective
    keep = []
    for token, column in rule.syscalls:
        number = token if rule.list == "io_uring" else S.A.syscall_number(token, requirement.canon.table)
        if number in verdict.missing:
            keep.append((token, column))
    partial = rule.replace(syscalls=keep)
    return S.render(partial, machine)


def _symlink_warnings(requirement, snapshot):
    return ["%s is a symlink to %s: a watch on it records nothing when the tool runs; watch %s instead"
            % (path, link, link) for path, link in symlinked(requirement.effective, snapshot.paths)]


def _same_entry_forms(canon, paths):
    """[(alias path, required path, Canonical)]: the requirement with one watched file path
    spelled as another path that names the same directory entry on this host."""
    forms = []
    for name, op, value in sorted(canon.filters, key=repr):
        if name == "path" and op == "=":
            for alias in same_entry_paths(value, paths):
                filters = (canon.filters - {(name, op, value)}) | {(name, op, alias)}
                forms.append((alias, value, canon._replace(filters=frozenset(filters))))
    return forms


def covered_as_same_entry(canon, rules, paths, policy):
    """True when ``rules`` cover the requirement spelled through another path to the same
    directory entry (what audit_rules need not write again)."""
    return any(not C.judge(form, rules, (), policy, honour_never=False).missing
               for _alias, _path, form in _same_entry_forms(canon, paths))


def _judge_views(canon, context):
    """(disk, kernel or None, anywhere) verdicts of one canonical requirement."""
    disk = C.judge(canon, context.disk.rules(canon.list), context.disk.rules("task"), context.policy)
    kernel = None
    if context.kernel is not None:
        kernel = C.judge(canon, context.kernel.rules(canon.list), context.kernel.rules("task"), context.policy)
    anywhere = C.judge(canon, context.all_rules, (), context.policy, honour_never=False)
    return disk, kernel, anywhere


def _passed(disk, kernel):
    return disk.status == "covered" and (kernel is None or kernel.status == "covered")


def _judge_with_same_entries(requirement, context):
    """The requirement's verdicts; when it fails as written, a watch spelled through another
    path to the same directory entry (merged /usr) covers it, with a note saying so."""
    views = _judge_views(requirement.canon, context)
    if _passed(views[0], views[1]):
        return views, None
    for alias, path, canon in _same_entry_forms(requirement.canon, context.snapshot.paths):
        other = _judge_views(canon, context)
        if _passed(other[0], other[1]):
            note = ("covered as %s: on this host %s and %s name the same directory entry (their directories"
                    " resolve to one inode, e.g. merged /usr)" % (alias, alias, path))
            return other, note
    return views, None


def evaluate_requirement(requirement, context):
    """One requirement's verdict dict (see the audit_rules_info RETURN documentation)."""
    entry = {"rule": requirement.text, "controls": list(requirement.controls),
             "catalog_controls": list(requirement.catalog_controls), "advisory": requirement.advisory,
             "notes": list(requirement.notes),
             "effective": None, "on_disk": None, "in_kernel": None, "missing": [], "commented_out": [],
             "warnings": []}
    if requirement.not_applicable:
        entry.update(status="not_applicable", reason=requirement.not_applicable)
        return entry
    snap, machine = context.snapshot, context.snapshot.machine
    (disk, kernel, anywhere), same_entry = _judge_with_same_entries(requirement, context)
    if same_entry:
        entry["notes"].append(same_entry)
    passed = _passed(disk, kernel)
    missing = missing_rule(requirement, anywhere, machine)
    entry.update(
        status="pass" if passed else "fail",
        reason=_reason(requirement, disk, kernel, anywhere, context.disk.stop),
        effective=requirement.rendered(machine),
        on_disk=_view(disk),
        in_kernel=_view(kernel) if kernel is not None else None,
        missing=[missing] if missing else [],
        commented_out=[] if passed else _commented_out(requirement, snap.files, machine, snap),
        warnings=_symlink_warnings(requirement, snap),
    )
    return entry


def _setting_evidence(option, on_disk):
    """Where the setting that wins on disk stands, with its line as reports show evidence."""
    value, location = on_disk
    entry = _where(location)
    entry["text"] = ("%s %s" % (option, value)).strip() if value is not None else option
    return entry


def evaluate_setting(requirement, context):
    """Verdict for a required setting line (``-b 8192``): the last one on disk wins."""
    option, value = requirement.rule.option, requirement.rule.value
    on_disk = context.disk.settings.get(option)
    entry = {"rule": requirement.text, "controls": list(requirement.controls),
             "catalog_controls": list(requirement.catalog_controls), "advisory": requirement.advisory,
             "notes": [], "effective": requirement.text,
             "on_disk": {"status": "covered" if on_disk and on_disk[0] == value else "missing",
                         "evidence": [_setting_evidence(option, on_disk)] if on_disk else [], "suppressed_by": [],
                         "missing_syscalls": []},
             "in_kernel": None, "missing": [], "commented_out": [], "warnings": []}
    kernel_ok = True
    if context.snapshot.kernel is not None and context.snapshot.kernel.read and option in STATUS_OF_SETTING:
        current = context.snapshot.kernel.status.get(STATUS_OF_SETTING[option])
        kernel_ok = current == value
        entry["in_kernel"] = {"status": "covered" if kernel_ok else "missing", "value": current}
    passed = entry["on_disk"]["status"] == "covered" and kernel_ok
    entry.update(status="pass" if passed else "fail",
                 reason="set on disk%s" % (" and in the kernel" if entry["in_kernel"] else "") if passed
                 else "%s %s is not in effect" % (option, value))
    if entry["on_disk"]["status"] != "covered":
        entry["missing"] = [requirement.text]
    return entry


class Context(object):
    """The shared, computed views of a snapshot (built once per evaluation), judged with
    ``policy`` (S.MatchPolicy)."""

    def __init__(self, snapshot, policy=S.DEFAULT_POLICY):
        self.snapshot = snapshot
        self.policy = policy
        self.items = snapshot.load_items()
        self.texts = dict((location, R.item_text(item)) for rules_file in snapshot.files
                          for location, item in rules_file.items)
        self.disk = R.simulate_load(self.items, snapshot.machine, snapshot.is_dir,
                                    host_problem=snapshot.host_problem)
        # every line auditctl would reject, not only the first one it stops at
        self.all_rejected = R.simulate_load(self.items, snapshot.machine, snapshot.is_dir, True,
                                            snapshot.host_problem).rejected
        self.all_rules = all_disk_rules(snapshot.files, snapshot.machine, snapshot.is_dir)
        self.kernel = None
        if snapshot.kernel is not None and snapshot.kernel.read:
            self.kernel_items = R.kernel_items(snapshot.kernel.listing)
            self.kernel = R.simulate_load(self.kernel_items, snapshot.machine, snapshot.is_dir,
                                          continue_on_error=True)


# --- findings ----------------------------------------------------------------------------------

def _file_findings(snapshot):
    findings = []
    for name, reason in snapshot.skipped:
        findings.append(_finding("ignored_file", "info", reason, Location(name)))
    for rules_file in snapshot.files:
        if not rules_file.readable:
            findings.append(_finding("unreadable_file", "error", rules_file.problem, Location(rules_file.path)))
        elif rules_file.invalid_utf8:
            number, line = R.first_undecodable_line(rules_file.text)
            findings.append(_finding("invalid_utf8", "warning", "not valid UTF-8 (from this line on, undecodable bytes"
                                     " are shown as \\xNN escapes); the file keeps its bytes as they are",
                                     Location(rules_file.path, number), line))
    return findings


def _load_findings(context):
    findings = []
    result = context.disk
    for error in context.all_rejected:
        findings.append(_finding("rejected_line", "error", "auditctl rejects this line: %s" % error.reason,
                                 error.location, _text_at(context, error.location), column=error.column))
    if result.stop is not None:
        findings.append(_finding(
            "load_stops", "error",
            "auditctl -R stops here%s: the %d rule and setting lines after it are never loaded"
            % (" after -D has cleared the kernel" if "-D" in result.settings else "", len(result.not_loaded)),
            result.stop.location, _text_at(context, result.stop.location),
            not_loaded=[_where(location) for location in result.not_loaded]))
    return findings


def _text_at(context, location):
    return context.texts.get(location)


def _duplicate_findings(context):
    groups = {}
    for loaded in context.all_rules:
        groups.setdefault(S._without_keys(loaded.canon), []).append(loaded)
    findings = []
    for rules in groups.values():
        if len(rules) < 2:
            continue
        first = rules[0]
        for other in rules[1:]:
            if R.kernel_identity(other.rule, other.canon) == R.kernel_identity(first.rule, first.canon):
                continue  # identical: a rejected_line finding already says the kernel refuses it
            findings.append(_finding("duplicate", "warning",
                                     "equivalent to %s:%s: the first one in load order decides, this one never "
                                     "matches" % (first.source.file, first.source.line),
                                     other.source, other.rule.text.strip(), first=_where(first.source)))
    return findings


def _never_findings(context):
    findings = []
    for loaded in context.all_rules:
        if loaded.canon.list == "task" and loaded.canon.action == "never":
            findings.append(_finding("task_never", "warning",
                                     "-a never,task stops all syscall auditing for the processes it matches",
                                     loaded.source, loaded.rule.text.strip()))
    return findings


def _symlink_findings(context):
    findings = []
    for loaded in context.all_rules:
        for path, link in symlinked(loaded.rule, context.snapshot.paths):
            findings.append(_finding(
                "symlink_watch", "warning",
                "%s is a symlink to %s: the kernel watches the link itself, so running the tool "
                "records nothing; watch %s instead" % (path, link, link),
                loaded.source, loaded.rule.text.strip(), target=link))
    return findings


def _compiled_findings(context):
    snapshot = context.snapshot
    if snapshot.mode != "augenrules":
        return []
    if snapshot.compiled is None or not snapshot.compiled.readable:
        return [_finding("compiled_missing", "warning",
                         "%s does not exist or cannot be read: run augenrules" % snapshot.compiled_path,
                         Location(snapshot.compiled_path))]
    expected = R.rule_lines(snapshot.compile())
    actual = R.rule_lines(snapshot.compiled.items)
    if expected == actual:
        return []
    index = next((i for i, (a, b) in enumerate(zip(expected, actual)) if a != b), min(len(expected), len(actual)))
    return [_finding("compiled_stale", "warning",
                     "%s is not what augenrules builds from %s (first difference at rule line %d: expected %r, "
                     "found %r): augenrules --load will change the kernel's rules"
                     % (snapshot.compiled_path, snapshot.rules_dir, index + 1,
                        expected[index] if index < len(expected) else None,
                        actual[index] if index < len(actual) else None),
                     Location(snapshot.compiled_path))]


def _drift_findings(context):
    if context.kernel is None:
        return []
    not_loaded, not_persisted = R.unmatched(context.disk.rules(), context.kernel.rules())
    return ([_finding("loaded_not_persisted", "warning",
                      "in the kernel but not in the persisted rules: lost at the next load or boot",
                      loaded.source, loaded.rule.text.strip()) for loaded in not_persisted]
            + [_finding("persisted_not_loaded", "warning",
                        "persisted but not in the kernel: load the rules (augenrules --load)",
                        loaded.source, loaded.rule.text.strip()) for loaded in not_loaded])


def _kernel_findings(context):
    snapshot = context.snapshot
    findings = []
    if context.disk.enabled == 2:
        location = context.disk.settings["-e"][1]
        findings.append(_finding("immutable_on_disk", "warning",
                                 "-e 2 locks the rules once loaded: later changes need a reboot", location, "-e 2"))
    kernel = snapshot.kernel
    if kernel is None:
        return findings
    if not kernel.read:
        findings.append(_finding("kernel_unreadable", "warning",
                                 "the kernel's audit rules could not be read: %s" % kernel.reason))
        return findings
    if kernel.enabled == 2:
        findings.append(_finding("kernel_immutable", "warning",
                                 "the kernel's audit rules are locked (enabled 2): changes need a reboot"))
    for error in context.kernel.rejected:
        findings.append(_finding("kernel_rule_unparsed", "info",
                                 "cannot read this auditctl -l line back: %s" % error.reason,
                                 error.location, _kernel_text(context, error.location)))
    if "-D" not in context.disk.settings and context.kernel.rules():
        findings.append(_finding("no_delete_all", "warning",
                                 "the persisted rules do not start with -D: auditctl -R appends to the kernel's "
                                 "rules and stops at the first one already loaded (Rule exists)"))
    return findings


def _reboot_finding(snapshot, verdicts):
    """reboot_required: the kernel's rules are locked (enabled 2) and lack what the files, which are
    right, require; only a reboot loads them. None otherwise (with wrong files, fix them first)."""
    kernel = snapshot.kernel
    if kernel is None or not kernel.read or kernel.enabled != 2:
        return None
    required = [v for v in verdicts if not v.get("advisory") and v["status"] != "not_applicable"]
    if not required or any((v.get("on_disk") or {}).get("status") != "covered" for v in required):
        return None
    missing = [v["rule"] for v in required if (v.get("in_kernel") or {}).get("status") not in (None, "covered")]
    if not missing:
        return None
    return _finding("reboot_required", "warning",
                    "the kernel's audit rules are locked (enabled 2, -e 2) and lack %d required rule(s) the files "
                    "have: only a reboot loads them (auditkit_reboot_ok: true lets the role reboot this host)"
                    % len(missing), requirements=missing)


def _module_tool_findings(snapshot):
    """module_tool: an insmod/rmmod/modprobe that is not kmod, which the kmod path rule does not record."""
    findings = []
    for tool in snapshot.module_tools:
        if not tool["is_kmod"]:
            what = "a copy of kmod's bytes" if tool["kmod_copy"] else "a program of its own"
            findings.append(_finding(
                "module_tool", "warning",
                "%s resolves to %s, %s, not kmod: the kmod rule (-F path=/usr/bin/kmod) does not record it; the "
                "kmod control requires a path rule for it where its text has one (see the control's notes)"
                % (tool["path"], tool["resolves_to"], what), Location(tool["path"]), tool["resolves_to"]))
    return findings


def _kernel_text(context, location):
    lines = R.split_lines(context.snapshot.kernel.listing)
    return lines[location.line - 1] if 0 < location.line <= len(lines) else None


def _suppression_findings(requirements):
    findings, seen = [], set()
    for entry in requirements:
        for suppressor in (entry.get("on_disk") or {}).get("suppressed_by", []):
            key = (suppressor["file"], suppressor["line"], entry["rule"])
            if key not in seen:
                seen.add(key)
                findings.append(_finding("suppressed", "error",
                                         "drops events of %s before any rule records them (first match wins)"
                                         % entry["rule"], Location(suppressor["file"], suppressor["line"]),
                                         suppressor["text"], requirement=entry["rule"]))
    return findings


# --- the whole result --------------------------------------------------------------------------

def _files_data(snapshot):
    data = []
    for rules_file in snapshot.files:
        lines = []
        for location, item in rules_file.items:
            if isinstance(item, AuditRuleError):
                lines.append({"line": location.line, "kind": "invalid", "text": R.item_text(item),
                              "error": item.reason})
            elif item.kind != "blank":
                lines.append({"line": location.line, "kind": item.kind, "text": item.text})
        data.append({"path": rules_file.path, "readable": rules_file.readable, "problem": rules_file.problem,
                     "lines": lines})
    return data


def _kernel_data(snapshot):
    kernel = snapshot.kernel
    if kernel is None:
        return {"read": False, "reason": "not requested (loaded=false)", "enabled": None, "immutable": None,
                "status": {}, "rules": []}
    return {"read": kernel.read, "reason": kernel.reason, "enabled": kernel.enabled,
            "immutable": kernel.enabled == 2 if kernel.read else None, "status": kernel.status,
            "rules": R.split_lines(kernel.listing) if kernel.read and kernel.listing.strip() != "No rules" else []}


def _summary(requirements, findings):
    counts = dict((status, 0) for status in ("pass", "fail", "not_applicable"))
    for entry in requirements:
        if not entry.get("advisory"):
            counts[entry["status"]] += 1
    counts["total"] = len([e for e in requirements if not e.get("advisory")])
    counts["advisory_fail"] = len([e for e in requirements if e.get("advisory") and e["status"] == "fail"])
    counts["findings"] = dict((severity, sum(1 for f in findings if f["severity"] == severity))
                              for severity in ("error", "warning", "info"))
    return counts


def evaluate(snapshot, requirements, policy=S.DEFAULT_POLICY):
    """The full result for one host: settings, kernel state, verdicts and findings, judged with
    ``policy`` (S.MatchPolicy)."""
    context = Context(snapshot, policy)
    verdicts = [evaluate_setting(r, context) if r.is_control else evaluate_requirement(r, context)
                for r in requirements]
    findings = (_file_findings(snapshot) + _load_findings(context) + _duplicate_findings(context)
                + _never_findings(context) + _suppression_findings(verdicts) + _symlink_findings(context)
                + _compiled_findings(context) + _drift_findings(context) + _kernel_findings(context)
                + B.findings(snapshot.boot) + _module_tool_findings(snapshot))
    reboot = _reboot_finding(snapshot, verdicts)
    findings += [reboot] if reboot else []
    summary = _summary(verdicts, findings)
    return {
        "reboot_required": reboot is not None,
        "mode": snapshot.mode,
        "mode_evidence": snapshot.mode_evidence,
        "machine": snapshot.machine,
        "rules_dir": snapshot.rules_dir,
        "compiled_file": snapshot.compiled_path,
        "files": _files_data(snapshot),
        "ignored_files": [{"name": name, "reason": reason} for name, reason in snapshot.skipped],
        "settings": dict((option, {"value": value, "file": where.file, "line": where.line})
                         for option, (value, where) in context.disk.settings.items()),
        "kernel": _kernel_data(snapshot),
        "requirements": verdicts,
        "findings": findings,
        "summary": summary,
        "compliant": summary["fail"] == 0,
    }
