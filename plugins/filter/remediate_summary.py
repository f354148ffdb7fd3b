# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

DOCUMENTATION = r"""
name: remediate_summary
short_description: What each host's audit_rules call changed, and which controls still fail
version_added: 0.1.0
description:
  - Turns the registered M(auditkit.auditd.audit_rules) results of every host of a play into one mapping, so that the
    role publishes them (AWX artifact C(auditkit_remediate)) and reports what still fails in one task on the
    controller instead of one task per host.
  - Hosts whose result has no C(planned) verdicts (the call failed, or the host never ran it) are left out; the report
    step reports them.
author:
  - auditkit.auditd maintainers (@auditkit)
options:
  _input:
    description: Host name to its registered C(audit_rules) result.
    type: dict
    required: true
  reasons:
    description: Also give, per host, the reason of each control that still fails (C(reasons)).
    type: bool
    default: false
"""

EXAMPLES = r"""
- name: Publish what changed per host
  ansible.builtin.set_stats:
    data:
      auditkit_remediate: "{{ dict(ansible_play_hosts | zip(ansible_play_hosts | map('extract', hostvars)
        | map(attribute='auditkit_result', default={}))) | auditkit.auditd.remediate_summary }}"
  run_once: true
"""

RETURN = r"""
_value:
  description:
    - >-
      Host name to C(changed) (bool), C(added) (number of lines written or, in check mode, to write) and
      C(failing_controls) (IDs of the controls that still fail after writing), and with O(reasons) C(reasons)
      (one C(ID: reason) per failing control).
  type: dict
"""

from ansible.errors import AnsibleFilterError


def _host_summary(result, reasons):
    failing = [c for c in result["planned"].get("controls", []) if c.get("status") == "fail"]
    summary = {"changed": bool(result.get("changed")), "added": len(result.get("added") or []),
               "failing_controls": [c["id"] for c in failing]}
    if reasons:
        summary["reasons"] = ["%s: %s" % (c["id"], c.get("reason", "")) for c in failing]
    return summary


def remediate_summary(results, reasons=False):
    if not isinstance(results, dict):
        raise AnsibleFilterError("remediate_summary: expects host name to result, not %s" % type(results).__name__)
    return dict((host, _host_summary(result, reasons)) for host, result in results.items()
                if isinstance(result, dict) and isinstance(result.get("planned"), dict))


class FilterModule(object):
    def filters(self):
        return {"remediate_summary": remediate_summary}
