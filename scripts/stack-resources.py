#!/usr/bin/env python3
"""The stack's size as CloudFormation sees it: template.yaml transformed by the SAM translator
(the same library `sam deploy` and CloudFormation's transform use), every resource counted,
conditional ones included. Fails above LIMIT: CloudFormation refuses a stack of more than 500
resources, and the room below it is for the endpoints to come (docs/operations.md has the
arithmetic). Runs from scripts/sam.sh's virtualenv (scripts/check-template.sh calls it)."""
import collections, os, sys

from samtranslator.translator.transform import transform
from samtranslator.yaml_helper import yaml_parse

LIMIT = 400
ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def main():
    os.environ.setdefault("AWS_DEFAULT_REGION", "us-east-1")
    template = yaml_parse(open(os.path.join(ROOT, "template.yaml")).read())
    # What `sam package` does before the transform: each local CodeUri becomes an S3 object.
    for resource in template["Resources"].values():
        if resource.get("Type") == "AWS::Serverless::Function":
            resource.setdefault("Properties", {})["CodeUri"] = "s3://bucket/key"
    resources = transform(template, {}, None)["Resources"]
    kinds = collections.Counter(r["Type"] for r in resources.values())
    functions = kinds["AWS::Lambda::Function"]
    per_function = sum(kinds[k] for k in ("AWS::Lambda::Function", "AWS::Lambda::Version", "AWS::Lambda::Alias",
                                          "AWS::CodeDeploy::DeploymentGroup")) + functions  # + one role each
    print(f"stack resources: {len(resources)} of at most {LIMIT} (CloudFormation's limit is 500); "
          f"{functions} functions, {per_function / functions:.0f} resources each; "
          f"room for {(LIMIT - len(resources)) * functions // per_function} more functions")
    for kind, n in kinds.most_common():
        print(f"  {n:4} {kind}")
    if len(resources) > LIMIT:
        sys.exit(f"the stack has {len(resources)} resources, more than {LIMIT}")


if __name__ == "__main__":
    main()
