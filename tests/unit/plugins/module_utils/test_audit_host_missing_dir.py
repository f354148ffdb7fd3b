# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""A missing rules directory names what is missing: the audit package, or the part of the path
that does not exist (an image tree that is not mounted)."""
from ansible_collections.auditkit.auditd.plugins.module_utils import audit_host as H


def test_a_missing_rules_directory_names_what_is_missing(tmp_path):
    (tmp_path / "etc").mkdir()
    assert H.missing_dir_hint(str(tmp_path / "etc" / "audit" / "rules.d")) == "is the audit package installed?"
    (tmp_path / "etc" / "audit").mkdir()
    assert H.missing_dir_hint(str(tmp_path / "etc" / "audit" / "rules.d")) == "is the audit package installed?"
    image = tmp_path / "mnt" / "image" / "etc" / "audit" / "rules.d"
    assert H.missing_dir_hint(str(image)) == "%s does not exist" % (tmp_path / "mnt")
