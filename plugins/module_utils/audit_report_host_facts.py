# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Host facts shown beside a host's verdicts in every report format (private to auditkit.auditd).

A rule can pass and still record nothing: the kernel booted with ``audit=0``, a module tool is
not kmod, the rules are locked until a reboot. Such facts reach the report as the host's
findings (audit_evaluate) and, for UID_MIN, in the host's profile; this module turns them into
the short lines each renderer puts beside the verdicts. Pure: no I/O."""

from ansible_collections.auditkit.auditd.plugins.module_utils import audit_report_remediation as RR

# Findings that are facts about the host rather than about one rules line.
HOST_FACT_KINDS = ("kernel_cmdline", "module_tool", "reboot_required", "rules_loader")


def host_facts(host):
    """The lines shown beside ``host``'s verdicts (a report host entry), most important first."""
    facts = []
    for finding in host.get("findings") or []:
        if isinstance(finding, dict) and finding.get("kind") in HOST_FACT_KINDS:
            facts.append("%s (%s): %s" % (finding["kind"], finding.get("severity", "info"), finding.get("message", "")))
    reboot = RR.reboot_text(host)
    if reboot:
        facts.append("reboot: %s" % reboot)
    profile = host.get("profile") or {}
    if profile.get("uid_min_used"):
        facts.append("uid_min: auid>=%s for the CIS controls (%s)" % (profile.get("uid_min"), profile.get("uid_min_source")))
    return facts


def facts_text(host, separator="; "):
    return separator.join(host_facts(host))
