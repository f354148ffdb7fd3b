#!/usr/bin/python
# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
---
module: zz_tmp_skeleton_probe
short_description: Temporary probe module for the build plumbing
version_added: 0.1.0
description:
  - Returns its input. Exists only to check the build plumbing.
author:
  - auditkit maintainers (@auditkit)
options:
  name:
    description:
      - A name to echo back.
    type: str
    required: true
attributes:
  check_mode:
    description: Can run in check_mode and return changed status prediction without modifying target.
    support: full
  diff_mode:
    description: Will return details on what has changed (or possibly needs changing in check_mode), when in diff mode.
    support: none
  platform:
    description: Target OS/families that can be operated against.
    support: full
    platforms: posix
"""

EXAMPLES = r"""
- name: Echo a name
  auditkit.auditd.zz_tmp_skeleton_probe:
    name: example
"""

RETURN = r"""
name:
  description: The name that was passed in.
  returned: always
  type: str
  sample: example
"""

from ansible.module_utils.basic import AnsibleModule


def main():
    module = AnsibleModule(
        argument_spec=dict(name=dict(type="str", required=True)),
        supports_check_mode=True,
    )
    module.exit_json(changed=False, name=module.params["name"])


if __name__ == "__main__":
    main()
