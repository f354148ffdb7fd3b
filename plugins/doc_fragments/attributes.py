# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The platform attribute every module of this collection shares."""


class ModuleDocFragment(object):

    DOCUMENTATION = r"""
attributes:
  platform:
    description: Linux hosts with the audit userspace tools (the report module also runs on the controller).
    platforms: posix
    support: full
"""
