# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Options that select a bundled control profile."""


class ModuleDocFragment(object):

    DOCUMENTATION = r"""
options:
  profile:
    description:
      - A bundled profile whose controls' rules are required, before the rules of O(rules).
      - V(auto) picks the STIG profile for the target's distribution and major version from C(/etc/os-release)
        (Amazon Linux 2023, RHEL and rebuilds 7 to 10, Oracle Linux 8 and 9, Ubuntu 22.04) and says which in
        the C(picked_by) field of RV(profile); it fails on other systems.
      - C(stig_*) profiles follow the DISA STIGs, C(cis_*) the CIS Benchmarks; C(cis_rhel7_v3) and C(cis_rhel8_v1)
        are the older watch forms. See the collection's C(docs/profiles.md).
    type: str
    choices: [auto, cis_al2023, cis_rhel7, cis_rhel7_v3, cis_rhel8, cis_rhel8_v1, cis_rhel9, cis_ubuntu2204,
              stig_al2023, stig_ol8, stig_ol9, stig_rhel10, stig_rhel7, stig_rhel8, stig_rhel9, stig_ubuntu2204]
  controls:
    description:
      - Only these controls, by any of their IDs (V-274091, SV-274091r1120261_rule or SV-274091, AZLX-23-002135, a
        CIS number such as 6.3.3.19, or an older ID the catalog records such as V-72187). An item may be a
        comma-separated list; spaces around IDs are ignored, and so is case. Empty means all.
      - A control of another bundled profile than the one this host is judged by (another distribution on a mixed
        fleet) is reported C(not_applicable) in RV(controls), with the reason, and requires nothing here. An ID of
        no bundled profile fails, naming close matches.
    type: list
    elements: str
    default: []
  skip_controls:
    description: Controls of O(profile) to leave out, by any of their IDs (another profile's are ignored).
    type: list
    elements: str
    default: []
  b32_twins:
    description:
      - On x86_64 and s390x, also require the C(arch=b32) twin of a benchmark's b64-only syscall rule, as advisory
        hardening (a 32-bit process could otherwise load modules unaudited). Advisory rules are written by
        M(auditkit.auditd.audit_rules) and reported, but never fail a control.
      - Profiles whose benchmark text requires the b32 rule list it among their rules and require it whatever
        this says. On 32-bit machines (i386/i686, arm) every profile requires the C(arch=b32) form in place of each
        C(arch=b64) rule. See the collection's C(docs/profiles.md) for each profile's policy and its benchmark's words.
    type: bool
    default: true
  b32_on_aarch64:
    description: Apply the benchmark's C(arch=b32) rules on aarch64 too (left out by default).
    type: bool
    default: false
"""
