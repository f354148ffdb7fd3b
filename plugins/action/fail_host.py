# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""fail_host on the controller: fail a host with a message, or end it as unreachable, so that
the play recap counts a host the report calls unreachable as unreachable=1, not failed=1
(documentation: plugins/modules/fail_host.py)."""

from __future__ import annotations

from ansible.plugins.action import ActionBase

OPTIONS = {"msg": {"type": "str", "required": True}, "unreachable": {"type": "bool", "default": False}}


class ActionModule(ActionBase):

    TRANSFERS_FILES = False
    _requires_connection = False  # the host is not contacted: an unreachable one could not be

    def run(self, tmp=None, task_vars=None):
        result = super(ActionModule, self).run(tmp, task_vars or {})
        del tmp
        _validation, params = self.validate_argument_spec(argument_spec=OPTIONS)
        # The strategy treats unreachable=True as Ansible's own unreachable hosts: counted in the
        # recap's unreachable column (without ignore_unreachable), host removed from the play, rc 4.
        outcome = "unreachable" if params["unreachable"] else "failed"
        return dict(result, msg=params["msg"], **{outcome: True})
