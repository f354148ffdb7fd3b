# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Make this checkout importable as ``ansible_collections.auditkit.auditd`` for pytest.

The repository root is the collection; a symlink under .build/ gives it the
namespace path that module_utils imports use, as an installed collection would have.
"""
import os
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
NAMESPACE_ROOT = os.path.join(ROOT, ".build", "pytest")
LINK = os.path.join(NAMESPACE_ROOT, "ansible_collections", "auditkit", "auditd")

if not os.path.islink(LINK):
    os.makedirs(os.path.dirname(LINK), exist_ok=True)
    os.symlink(ROOT, LINK)
if NAMESPACE_ROOT not in sys.path:
    sys.path.insert(0, NAMESPACE_ROOT)
