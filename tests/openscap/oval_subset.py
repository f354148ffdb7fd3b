# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Cut an SSG OVAL document down to some definitions and everything they reference, so that
``oscap oval eval`` on one rules tree takes milliseconds instead of seconds."""
import re
import xml.etree.ElementTree as ET

OVAL_NS = "http://oval.mitre.org/XMLSchema/oval-definitions-5"
SECTIONS = ("definitions", "tests", "objects", "states", "variables")
ID_PATTERN = re.compile(r"oval:[A-Za-z0-9_.\-]+:(?:def|tst|obj|ste|var):\d+")


def _register_namespaces(path):
    for _event, (prefix, uri) in ET.iterparse(path, events=["start-ns"]):
        ET.register_namespace(prefix, uri)


def _references(element):
    found = set()
    for node in element.iter():
        for value in list(node.attrib.values()) + [node.text or ""]:
            found.update(ID_PATTERN.findall(value))
    return found


def subset(source, definition_ids, target):
    """Write to ``target`` the OVAL document with only ``definition_ids`` and their closure."""
    _register_namespaces(source)
    tree = ET.parse(source)
    root = tree.getroot()
    index = {}
    for section in SECTIONS:
        holder = root.find("{%s}%s" % (OVAL_NS, section))
        if holder is not None:
            for element in holder:
                index[element.get("id")] = element
    wanted, queue = set(), list(definition_ids)
    while queue:
        ident = queue.pop()
        if ident in wanted or ident not in index:
            continue
        wanted.add(ident)
        queue.extend(_references(index[ident]) - wanted)
    missing = [i for i in definition_ids if i not in index]
    if missing:
        raise KeyError("not in %s: %s" % (source, ", ".join(missing)))
    for section in SECTIONS:
        holder = root.find("{%s}%s" % (OVAL_NS, section))
        if holder is None:
            continue
        for element in list(holder):
            if element.get("id") not in wanted:
                holder.remove(element)
        if not len(holder):
            root.remove(holder)
    tree.write(target, xml_declaration=True, encoding="UTF-8")
