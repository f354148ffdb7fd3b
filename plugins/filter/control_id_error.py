# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

DOCUMENTATION = r"""
name: control_id_error
short_description: Why control IDs name no bundled control, or an empty string
version_added: 0.1.0
description:
  - Checks control IDs (V-, SV-, STIG, CIS or catalog IDs, one per item or comma-separated) against every bundled
    profile of the collection.
  - Returns the error message, naming close matches, for IDs that no bundled profile has; an empty string when every
    ID is known. An ID of another distribution's profile is known (it is C(not_applicable) on hosts of other profiles).
  - The role C(auditkit.auditd.module_loading) uses it to stop the run once, on the controller, before anything is
    installed or written; it passes every play host's selection at once, so an item may itself be a list (or a
    comma-separated string) of IDs.
author:
  - auditkit.auditd maintainers (@auditkit)
options:
  _input:
    description: The control IDs to select (the role's C(auditkit_controls)); items may be lists of IDs.
    type: list
    elements: raw
    required: true
  skipped:
    description: The control IDs to skip (the role's C(auditkit_skip_controls)); items may be lists of IDs.
    type: list
    elements: raw
    default: []
"""

EXAMPLES = r"""
- name: Stop at once on a control ID that no profile has
  ansible.builtin.assert:
    that: _error == ''
    fail_msg: "{{ _error }}"
  vars:
    _error: "{{ auditkit_controls | auditkit.auditd.control_id_error(auditkit_skip_controls) }}"
"""

RETURN = r"""
_value:
  description: The error message, or an empty string when every ID is a control of some bundled profile.
  type: str
"""

from ansible.errors import AnsibleFilterError

from ansible_collections.auditkit.auditd.plugins.module_utils import audit_profiles as PF


def _as_list(value, nested=True):
    """A survey or -e gives one comma-separated string; the role's variables are lists; the role
    passes the lists of every play host, so one level of nesting is flattened."""
    if isinstance(value, str):
        return [value]
    if isinstance(value, (list, tuple)):
        if not nested:
            return list(value)
        return [i for item in value for i in _as_list(item, nested=False)]
    raise AnsibleFilterError("control_id_error: control IDs must be a list of strings, not %s" % type(value).__name__)


def control_id_error(wanted, skipped=None):
    try:
        PF.check_ids(_as_list(wanted), _as_list(skipped or []))
    except PF.ProfileError as exc:
        return str(exc)
    return ""


class FilterModule(object):
    def filters(self):
        return {"control_id_error": control_id_error}
