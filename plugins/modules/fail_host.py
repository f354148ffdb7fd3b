#!/usr/bin/python
# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

DOCUMENTATION = r"""
module: fail_host
short_description: Fail a host after the report, as unreachable when the report says it is
version_added: 0.1.0
description:
  - Runs on the controller (an action plugin of the same name) and never contacts the host.
  - Like M(ansible.builtin.fail), except that with O(unreachable=true) the host ends as Ansible's own unreachable
    hosts do - counted C(unreachable=1 failed=0) in the play recap, removed from the play, and C(ansible-playbook)
    exits with 4 (when any host is unreachable) instead of 2.
  - The role's report tasks use it after M(auditkit.auditd.audit_report), so that a host the report calls
    V(unreachable) (a check task registered with C(ignore_unreachable)) is unreachable in the recap too.
author:
  - auditkit.auditd maintainers (@auditkit)
extends_documentation_fragment:
  - auditkit.auditd.attributes
attributes:
  check_mode:
    description: Fails the same in check mode.
    support: full
  diff_mode:
    description: No diff.
    support: none
options:
  msg:
    description: Why the host fails; the task's message.
    type: str
    required: true
  unreachable:
    description: End the host as unreachable instead of failed.
    type: bool
    default: false
"""

EXAMPLES = r"""
- name: Fail the hosts the report could not judge; unreachable ones as unreachable
  auditkit.auditd.fail_host:
    msg: "{{ auditkit_report_result.artifacts.hosts[inventory_hostname].error }}"
    unreachable: "{{ auditkit_report_result.artifacts.hosts[inventory_hostname].status == 'unreachable' }}"
  when: auditkit_report_result.artifacts.hosts[inventory_hostname].status in ['error', 'unreachable']
"""

RETURN = r"""
msg:
  description: The message given in O(msg).
  returned: always
  type: str
unreachable:
  description: True when the host ended as unreachable.
  returned: with O(unreachable=true)
  type: bool
"""
