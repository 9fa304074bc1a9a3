#!/usr/bin/env python3
"""Rewrites each function's Policies block in template.yaml, or in the nested stack (stacks/) that
holds it, from what tests/api/iam.rs derived.

Usage: IAM_PRINT_NEEDED=1 cargo test -p integration-tests --test api -- iam::every --nocapture > /tmp/iam.log
       scripts/iam-policies.py /tmp/iam.log
The test then checks the result both ways; review the diff like any other change.
"""
import json, pathlib, re, sys
needed = {}
for line in open(sys.argv[1]):
    if line.startswith("NEEDED "):
        _, logical, rest = line.split(" ", 2)
        needed[logical] = json.loads(rest)
order_actions = ["dynamodb:Query","dynamodb:GetItem","dynamodb:PutItem","dynamodb:UpdateItem","dynamodb:DeleteItem"]
def res(r, nested):
    # A nested stack gets the table's ARN as its parameter TableArn.
    if r == "Table.Arn": return "!Ref TableArn" if nested else "!GetAtt Table.Arn"
    if r == "*": return '"*"'
    if r.startswith("arn:"): return f'!Sub "{r}"'
    return f"!Ref {r}"
def key(a): return (order_actions.index(a) if a in order_actions else 100, a)
root = pathlib.Path(__file__).resolve().parent.parent
for p in [root / "template.yaml", *sorted((root / "stacks").glob("*.yaml"))]:
    nested = p.parent.name == "stacks"
    lines = open(p).read().split("\n")
    out = []; i = 0; current = None
    while i < len(lines):
        l = lines[i]
        m = re.match(r"^  ([A-Za-z]+):$", l)
        if m: current = m.group(1)
        if l == "      Policies:" and current in needed:
            out.append(l); i += 1
            while i < len(lines) and (lines[i].startswith("        ") ):
                i += 1
            by_res = {}
            warm = False
            for action, resource in needed[current]:
                if " if dynamodb:LeadingKeys" in resource: warm = True; continue
                by_res.setdefault(resource, []).append(action)
            if warm: out.append("        - !Ref StoreWarmUpPolicy")
            if by_res:
                out.append("        - Statement:")
                # table first, then secrets, then the rest
                def rk(r): return (0 if r == "Table.Arn" else 1 if not (r.startswith("arn:") or r == "*") else 2, r)
                for r in sorted(by_res, key=rk):
                    acts = sorted(set(by_res[r]), key=key)
                    out.append("            - Effect: Allow")
                    out.append(f"              Action: [{', '.join(acts)}]")
                    out.append(f"              Resource: {res(r, nested)}")
            continue
        out.append(l); i += 1
    open(p, "w").write("\n".join(out))
