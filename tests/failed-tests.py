#!/usr/bin/env python3
"""Prints every failed test in the given .trx files: project, name, duration, the first lines of its message and
stack trace, and the last lines of its output. tests/run.sh calls it at the end of a failed run, so the failures
are in the tail of the log, which is the part CI keeps."""
import sys
import xml.etree.ElementTree as ET

NS = {"t": "http://microsoft.com/schemas/VisualStudio/TeamTest/2010"}


def first_lines(text, count):
    lines = (text or "").strip().splitlines()
    return lines[:count] + (["..."] if len(lines) > count else [])


def last_lines(text, count):
    lines = (text or "").strip().splitlines()
    return (["..."] if len(lines) > count else []) + lines[-count:]


failed = 0
for path in sys.argv[1:]:
    try:
        root = ET.parse(path).getroot()
    except (OSError, ET.ParseError) as error:
        print(f"{path}: cannot read: {error}")
        continue
    for result in root.iterfind(".//t:UnitTestResult", NS):
        if result.get("outcome") not in ("Failed", "Error", "Timeout", "Aborted"):
            continue
        failed += 1
        print(f"\n-- FAILED {result.get('testName')} ({result.get('duration')}) in {path.rsplit('/', 1)[-1]}")
        output = result.find("t:Output", NS)
        if output is None:
            continue
        message = output.findtext("t:ErrorInfo/t:Message", default="", namespaces=NS)
        stack = output.findtext("t:ErrorInfo/t:StackTrace", default="", namespaces=NS)
        stdout = output.findtext("t:StdOut", default="", namespaces=NS)
        for line in first_lines(message, 25):
            print(f"   {line}")
        for line in first_lines(stack, 8):
            print(f"   {line}")
        if stdout.strip():
            print("   output (last lines):")
            for line in last_lines(stdout, 30):
                print(f"   | {line}")
print(f"\n{failed} failed test(s) in {len(sys.argv) - 1} result file(s)")
