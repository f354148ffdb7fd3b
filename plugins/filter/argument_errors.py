# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

DOCUMENTATION = r"""
name: argument_errors
short_description: What is wrong with variables against an argument specification, one message each
version_added: 0.1.0
description:
  - Validates O(values) against O(_input) (the C(options) of a role's C(meta/argument_specs.yml) entry point) the way
    C(ansible.builtin.validate_argument_spec) does, with ansible-core's C(ArgumentSpecValidator), and returns the
    error messages (an empty list when every value is valid).
  - The role C(auditkit.auditd.module_loading) uses it to validate its variables once for the play and fail with
    these messages alone (C(validate_argument_spec) prints the whole specification back with a failure, several
    KB before the reason).
author:
  - auditkit.auditd maintainers (@auditkit)
options:
  _input:
    description: The argument specification (option name to its type, choices, elements, default).
    type: dict
    required: true
  values:
    description: The variables to validate (option name to value); options without a value (or V(null), a variable
      that is not set) are not checked.
    type: dict
    required: true
"""

EXAMPLES = r"""
- name: Validate the role's variables, failing with the reasons only
  ansible.builtin.assert:
    that: _errors | length == 0
    fail_msg: "{{ _errors | join('; ') }}"
  vars:
    _errors: "{{ {'auditkit_profile': {'type': 'str', 'choices': ['auto', 'stig_rhel9']}}
      | auditkit.auditd.argument_errors({'auditkit_profile': auditkit_profile}) }}"
"""

RETURN = r"""
_value:
  description: One message per invalid value, as ansible-core words it (for example naming the choices).
  type: list
  elements: str
"""

from ansible.errors import AnsibleFilterError
from ansible.module_utils.common.arg_spec import ArgumentSpecValidator


def argument_errors(spec, values):
    if not isinstance(spec, dict) or not isinstance(values, dict):
        raise AnsibleFilterError("argument_errors: the specification and the values must be mappings")
    given = dict((name, value) for name, value in values.items() if value is not None)  # None: not set
    result = ArgumentSpecValidator(dict(spec)).validate(given)
    return [str(message) for message in result.error_messages]


class FilterModule(object):
    def filters(self):
        return {"argument_errors": argument_errors}
