#!/usr/bin/env python3
"""Prints one line of totals over the given .trx files, `N passed, N failed, N skipped`, after each project's own
lines, so a run of every test project ends with one count. A result file that cannot be read counts as a failure."""
import sys
import xml.etree.ElementTree as ET

NS = {"t": "http://microsoft.com/schemas/VisualStudio/TeamTest/2010"}

passed = failed = skipped = unreadable = 0
for path in sys.argv[1:]:
    try:
        counters = ET.parse(path).getroot().find("t:ResultSummary/t:Counters", NS)
    except (OSError, ET.ParseError) as error:
        print(f"{path}: cannot read: {error}")
        unreadable += 1
        continue
    if counters is None:
        print(f"{path}: no result counters")
        unreadable += 1
        continue
    passed += int(counters.get("passed", 0))
    failed += int(counters.get("failed", 0)) + int(counters.get("error", 0)) + int(counters.get("timeout", 0)) + int(counters.get("aborted", 0))
    skipped += int(counters.get("notExecuted", 0))
print(f"{passed} passed, {failed + unreadable} failed, {skipped} skipped")
sys.exit(1 if failed + unreadable else 0)
