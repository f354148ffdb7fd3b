# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Options shared by the auditkit.auditd modules that read rules files."""


class ModuleDocFragment(object):

    DOCUMENTATION = r"""
options:
  rules_dir:
    description:
      - Directory whose C(*.rules) files augenrules compiles, read in C(ls -1v) order as augenrules does.
      - Other files (backups, C(.rpmsave), hidden files) are ignored and reported.
    type: path
    default: /etc/audit/rules.d
  compiled_file:
    description:
      - The compiled rules file C(auditctl -R) loads (augenrules writes it from O(rules_dir)).
    type: path
    default: /etc/audit/audit.rules
  loader:
    description:
      - How the host loads its rules at boot.
      - V(augenrules) compiles O(rules_dir) into O(compiled_file); V(auditctl) loads O(compiled_file) directly
        (the older configuration), so only that file counts.
      - V(auto) reads the auditd systemd unit (C(ExecStartPost)) or C(/etc/sysconfig/auditd) (C(USE_AUGENRULES)).
        A non-default O(rules_dir) or O(compiled_file) means V(augenrules).
    type: str
    choices: [auto, augenrules, auditctl]
    default: auto
  arch:
    description:
      - Machine the rules are judged for, as C(uname -m) prints it (V(x86_64), V(aarch64), V(ppc64le), V(s390x), ...).
      - Defaults to the target's own machine. Set it to judge a tree or an image built for another machine.
    type: str
  max_rules_bytes:
    description:
      - The most bytes the rules files that are read (the C(*.rules) files of O(rules_dir), or O(compiled_file)
        alone with O(loader=auditctl); O(compiled_file) is measured on its own) may hold together. More fails the
        task with an error naming this limit, before anything is parsed or written.
      - It bounds the module's memory and result (BENCHMARKS.md has the peak memory at the default limits).
    type: int
    default: 16777216
  max_rules_lines:
    description:
      - The most lines those files may hold together (the engine needs about 7 KB of memory per line). More fails
        the task with an error naming this limit, before anything is parsed or written.
    type: int
    default: 20000
"""
