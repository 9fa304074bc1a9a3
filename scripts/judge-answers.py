#!/usr/bin/env python3
"""Judges recorded answers by openapi.yaml (scripts/spec_check.py): a file of JSON lines
{"method", "path", "status", "body"} as a browser test recorded every answer its pages received
from the API. Prints one test result line; exits 1 on an answer the spec does not describe.

Usage: scripts/judge-answers.py ANSWERS.jsonl "what recorded them"
"""
import json, os, sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from spec_check import check  # noqa: E402

path, what = sys.argv[1], sys.argv[2]
answers = [json.loads(line) for line in open(path) if line.strip()]
problems = [p for a in answers if (p := check(a["method"], a["path"], a["status"], a["body"]))]
for p in problems:
    print(f"FAIL {p}")
ok = answers and not problems
print(f"{len(answers)} answers judged by openapi.yaml")
print(f"test result: {'ok. 1 passed; 0 failed' if ok else 'FAILED. 0 passed; 1 failed'}; 0 ignored ({what})")
sys.exit(0 if ok else 1)
