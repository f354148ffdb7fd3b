# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The kernel command line's audit parameters, judged (private to auditkit.auditd). Pure: no I/O.

A rule can pass on disk and in the kernel and still record nothing: with ``audit=0`` the kernel
boots with auditing off (and audit 4's audit-rules.service does not even run:
``ConditionKernelCommandLine=!audit=0``); without ``audit=1`` processes started before auditd
carry no audit context and are never audited; a small ``audit_backlog_limit`` loses the records of
early boot. The STIGs and CIS benchmarks have separate controls for ``audit=1`` and
``audit_backlog_limit``. audit_host gathers the command lines (``/proc/cmdline``: the running
kernel's; the boot loader's: the next boot's); ``findings`` turns them into ``kernel_cmdline``
findings beside the verdicts.
"""

MIN_BACKLOG = 8192  # the STIG / CIS value of audit_backlog_limit
RUNNING = "/proc/cmdline"


def parameters(cmdline):
    """{name: value (None for a bare word)} of a kernel command line, as the kernel reads it:
    words split on whitespace outside double quotes, the last occurrence wins, nothing after a
    bare ``--`` (init's arguments)."""
    words, word, quoted = [], "", False
    for char in cmdline or "":
        if char == '"':
            quoted = not quoted
        elif char.isspace() and not quoted:
            if word:
                words.append(word)
            word = ""
        else:
            word += char
    if word:
        words.append(word)
    params = {}
    for item in words:
        if item == "--":
            break
        name, sep, value = item.partition("=")
        params[name] = value if sep else None
    return params


def audit_state(value):
    """"on", "off" or "invalid" for an audit= value, as the kernel's audit_enable() reads it."""
    if value is None:
        return "invalid"
    if value.lower() == "off" or value == "0":
        return "off"
    if value.lower() == "on" or value == "1":
        return "on"
    return "invalid"


def problems(cmdline):
    """[(severity, text)] of one command line's audit parameters."""
    params = parameters(cmdline)
    found = []
    if "audit" in params:
        state = audit_state(params["audit"])
        if state == "off":
            found.append(("error", "audit=%s: auditing is off, the kernel records nothing whatever the rules say "
                          "(audit 4's audit-rules.service does not run either)" % params["audit"]))
        elif state == "invalid":
            found.append(("warning", "audit=%s is not a value the kernel reads (0, off, 1, on): it is ignored"
                          % params["audit"]))
    else:
        found.append(("warning", "no audit=1: processes started before auditd carry no audit context and are "
                      "never audited (the STIGs and CIS require audit=1)"))
    backlog = params.get("audit_backlog_limit")
    if backlog is None or not backlog.isdigit():
        found.append(("warning", "no audit_backlog_limit: the kernel's default backlog (64) loses records at boot "
                      "(the STIGs and CIS require audit_backlog_limit=%d or more)" % MIN_BACKLOG))
    elif int(backlog) < MIN_BACKLOG:
        found.append(("warning", "audit_backlog_limit=%s is below %d (the STIGs and CIS): records may be lost at boot"
                      % (backlog, MIN_BACKLOG)))
    return found


SEVERITIES = ("error", "warning", "info")


def _source_finding(label, entry):
    """One finding for a command line with problems (the worst severity), or None."""
    found = problems(entry["cmdline"])
    if not found:
        return None
    severity = min((s for s, _text in found), key=SEVERITIES.index)
    return {"kind": "kernel_cmdline", "severity": severity,
            "message": "%s (%s): %s" % (label, entry["source"], "; ".join(text for _s, text in found)),
            "file": entry["source"], "line": None, "text": entry["cmdline"]}


def findings(boot):
    """kernel_cmdline findings of the boot facts audit_host gathered ({"running": {source,
    cmdline} or None, "configured": [{source, cmdline}], "unreadable": [text]}), one per command
    line with problems, or [] without facts."""
    if not boot:
        return []
    result = []
    if boot.get("running") is not None:
        result.append(_source_finding("running kernel", boot["running"]))
    result += [_source_finding("next boot", entry) for entry in boot.get("configured") or []]
    result += [{"kind": "kernel_cmdline", "severity": "info", "message": "boot loader command line not read: %s" % text,
                "file": None, "line": None, "text": None} for text in boot.get("unreadable") or []]
    return [f for f in result if f is not None]


def disabled_at_boot(cmdline):
    """True when a command line turns auditing off (audit=0 or audit=off)."""
    params = parameters(cmdline)
    return "audit" in params and audit_state(params["audit"]) == "off"
