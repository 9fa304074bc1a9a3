#!/usr/bin/env python3
"""The stacks' sizes as CloudFormation sees them: template.yaml and each nested stack it names
(`AWS::Serverless::Application` with a local template, under stacks/) transformed by the SAM
translator (the same library `sam deploy` and CloudFormation's transform use), every resource
counted, conditional ones included. Fails when a stack has more than LIMIT: CloudFormation refuses
a stack of more than 500 resources, and the room below it is for the endpoints to come
(docs/operations.md has the arithmetic). Runs from scripts/sam.sh's virtualenv
(scripts/check-template.sh calls it)."""
import collections, os, sys

from samtranslator.translator.transform import transform
from samtranslator.yaml_helper import yaml_parse

LIMIT = 400
ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def count(path):
    """The transformed template at `path`: (resources by kind, the nested templates it names)."""
    template = yaml_parse(open(path).read())
    nested = []
    for resource in template["Resources"].values():
        properties = resource.setdefault("Properties", {})
        # What `sam package` does before the transform: each local CodeUri or nested template
        # becomes an S3 object.
        if resource.get("Type") == "AWS::Serverless::Function":
            properties["CodeUri"] = "s3://bucket/key"
        if resource.get("Type") == "AWS::Serverless::Application" and isinstance(properties.get("Location"), str):
            nested.append(os.path.join(os.path.dirname(path), properties["Location"]))
            properties["Location"] = "https://s3.amazonaws.com/bucket/key.yaml"
    resources = transform(template, {}, None)["Resources"]
    return collections.Counter(r["Type"] for r in resources.values()), nested


def main():
    os.environ.setdefault("AWS_DEFAULT_REGION", "us-east-1")
    pending, failed, total_functions = [os.path.join(ROOT, "template.yaml")], [], 0
    while pending:
        path = pending.pop(0)
        kinds, nested = count(path)
        pending += nested
        size, functions = sum(kinds.values()), kinds["AWS::Lambda::Function"]
        total_functions += functions
        per_function = 5  # the function, its role, version, alias and CodeDeploy deployment group
        print(f"{os.path.relpath(path, ROOT)}: {size} resources of at most {LIMIT} (CloudFormation's limit is 500); "
              f"{functions} functions; room for {(LIMIT - size) // per_function} more functions")
        for kind, n in kinds.most_common():
            print(f"  {n:4} {kind}")
        if size > LIMIT:
            failed.append(f"{os.path.relpath(path, ROOT)} has {size} resources, more than {LIMIT}")
    print(f"{total_functions} functions in all")
    if failed:
        sys.exit("; ".join(failed))


if __name__ == "__main__":
    main()
