# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Options of the modules that write report files (audit_report, audit_report_merge)."""


class ModuleDocFragment(object):

    DOCUMENTATION = r"""
options:
  formats:
    description:
      - The files to write.
      - C(xccdf) writes C(<host>.xccdf.xml) per STIG host, XCCDF 1.2 results with DISA's benchmark and rule IDs
        (OpenSCAP, STIG Manager); C(hdf) writes C(<host>.hdf.json) per host, the Heimdall Data Format (Heimdall).
    type: list
    elements: str
    choices: [json, markdown, html, junit, csv, cklb, ckl, xccdf, hdf]
    default: [json, markdown, html, junit, csv, cklb, xccdf, hdf]
  mode:
    description: Permissions of every report file (octal string such as C('0640')).
    type: raw
    default: '0640'
"""
