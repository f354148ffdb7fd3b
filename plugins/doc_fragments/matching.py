# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Options that decide when an existing rule counts for a required one."""


class ModuleDocFragment(object):

    DOCUMENTATION = r"""
options:
  match:
    description:
      - V(strict) needs an existing rule with the same list, action, arch and filters as the required one.
      - V(coverage) also accepts broader rules (fewer filters, no arch filter). A narrower rule never counts.
    type: str
    choices: [strict, coverage]
    default: strict
  key_policy:
    description:
      - V(any) accepts a covering rule whatever its key; V(exact) needs the required key among the rule's keys.
    type: str
    choices: [any, exact]
    default: any
"""
