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
  waivers:
    description:
      - Each host's waivers (the role's C(auditkit_waivers)), as a mapping of host name to its waivers. A key must be
        an ID some bundled control has (V-, SV-, STIG ID, CIS number, catalog ID; any case).
    type: dict
    default: {}
  run_tags:
    description:
      - The run's tags (C(ansible_run_tags)). Those that look like control IDs (V-, SV-, CIS_ or a bare CIS number,
        a STIG ID such as RHEL-09-654075) must be one of O(control_tags) exactly (tags are case-sensitive), else the
        message names close matches.
    type: list
    elements: str
    default: []
  control_tags:
    description: The control-ID tags the role's tasks carry (the role's C(_auditkit_control_tags)).
    type: list
    elements: str
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

import difflib
import re

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


# Tags that look like a control ID: V-/SV- IDs, CIS numbers (tagged CIS_<number>), STIG IDs
# (RHEL-09-654075, AZLX-23-002135, OL08-00-030360), also cut or in another case.
_CONTROL_LIKE_TAG = re.compile(r"^((s?v|cis)[-_ .]?\d|cis[-_ ]|\d+(\.\d+)+$|[a-z]{2,5}\d{0,2}-\d{2}-\d)", re.I)


def _tag_error(run_tags, control_tags):
    """Why a run tag that looks like a control ID selects no task of the role, or ''."""
    known = set(PF.catalog_index())
    problems = []
    for tag in run_tags:
        if tag in control_tags or not _CONTROL_LIKE_TAG.match(tag):
            continue
        as_id = re.sub(r"^cis_", "", tag, flags=re.I).upper()
        if as_id in known:
            exact = [t for t in control_tags if re.sub(r"^CIS_", "", t).upper() in
                     set(i.upper() for c in PF.catalog_index()[as_id] for i in PF.labels(c))]
            problems.append("%s (the role's tasks are tagged %s: tags are case-sensitive, and name a control by its "
                            "V- or STIG ID, a CIS number as CIS_<number>; or give any of its IDs in "
                            "auditkit_controls)" % (tag, ", ".join(exact) or "with V- and STIG IDs only"))
            continue
        close = difflib.get_close_matches(tag, control_tags, n=3, cutoff=0.6)
        problems.append("%s (did you mean %s?)" % (tag, ", ".join(close)) if close else tag)
    if not problems:
        return ""
    return ("--tags: %s: not a control tag of any bundled profile, so no task would run for it; docs/profiles.md "
            "lists every control and its IDs" % "; ".join(problems))


def _waiver_error(waivers):
    for host in sorted(waivers or {}):
        given = waivers[host]
        if not given:
            continue
        if not isinstance(given, dict):
            return ("auditkit_waivers of host %s: expected a mapping of control ID to justification, got %s"
                    % (host, type(given).__name__))
        try:
            PF.check_ids([str(key) for key in given], option="auditkit_waivers of host %s" % host)
        except PF.ProfileError as exc:
            return str(exc)
    return ""


def control_id_error(wanted, skipped=None, waivers=None, run_tags=None, control_tags=None):
    try:
        PF.check_ids(_as_list(wanted), _as_list(skipped or []))
    except PF.ProfileError as exc:
        return str(exc)
    return _tag_error(run_tags or [], control_tags or []) or _waiver_error(waivers)


class FilterModule(object):
    def filters(self):
        return {"control_id_error": control_id_error}
