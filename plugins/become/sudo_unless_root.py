# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

DOCUMENTATION = r"""
name: sudo_unless_root
short_description: sudo, or nothing when the connection user already is the user to become
version_added: 0.1.0
description:
  - The become method of the playbooks C(auditkit.auditd.drift_report) and C(auditkit.auditd.remediate). On the host,
    one shell test decides - when the connection user already is the user to become (uid 0 for C(root)), the command
    runs as it is; otherwise it runs through C(sudo) exactly as the C(ansible.builtin.sudo) method runs it (same
    executable, flags, user, password and prompt).
  - So a host reached as root needs no sudo (minimal images and containers have none, and C(sudo) failing would leave
    only C(No start of json char found)), and a host reached as another user is elevated with sudo as usual.
  - Ansible's own variables choose another method or user - C(ansible_become_method) (for example C(su), C(doas) or
    C(ansible.builtin.sudo)) replaces this method, C(ansible_become_user) the user, C(ansible_become_password) the
    password; C(auditkit_become=false) turns become off.
author:
  - auditkit.auditd maintainers (@auditkit)
options:
  become_user:
    description: The user to become.
    type: str
    default: root
    ini:
      - section: privilege_escalation
        key: become_user
    vars:
      - name: ansible_become_user
      - name: ansible_sudo_user
    env:
      - name: ANSIBLE_BECOME_USER
    keyword:
      - name: become_user
  become_exe:
    description: The sudo executable, used when the connection user is not the user to become.
    type: str
    default: sudo
    ini:
      - section: privilege_escalation
        key: become_exe
    vars:
      - name: ansible_become_exe
      - name: ansible_sudo_exe
    env:
      - name: ANSIBLE_BECOME_EXE
    keyword:
      - name: become_exe
  become_flags:
    description: Options passed to sudo.
    type: str
    default: -H -S -n
    ini:
      - section: privilege_escalation
        key: become_flags
    vars:
      - name: ansible_become_flags
      - name: ansible_sudo_flags
    env:
      - name: ANSIBLE_BECOME_FLAGS
    keyword:
      - name: become_flags
  become_pass:
    description: The sudo password (asked only when sudo runs).
    type: str
    required: false
    vars:
      - name: ansible_become_password
      - name: ansible_become_pass
      - name: ansible_sudo_pass
    env:
      - name: ANSIBLE_BECOME_PASS
  sudo_chdir:
    description: Directory to change to before invoking sudo (ansible-core 2.19 and later).
    type: str
    required: false
    vars:
      - name: ansible_sudo_chdir
    env:
      - name: ANSIBLE_SUDO_CHDIR
"""

import shlex

from ansible.plugins.become.sudo import BecomeModule as SudoBecomeModule


class BecomeModule(SudoBecomeModule):

    name = "auditkit.auditd.sudo_unless_root"

    def build_become_command(self, cmd, shell):
        through_sudo = super(BecomeModule, self).build_become_command(cmd, shell)
        if not cmd:
            return through_sudo
        user = self.get_option("become_user") or "root"
        # the same success marker either way: Ansible waits for it (or for sudo's password prompt)
        direct = self._build_success_command(cmd, shell)
        already = '[ "$(id -u)" = 0 ]' if user == "root" else '[ "$(id -un)" = %s ]' % shlex.quote(user)
        return "if %s; then %s; else %s; fi" % (already, direct, through_sudo)
