"""openapi.yaml as the judge of an answer, for the scripts that call the API (the Lambda
emulator, the smoke test): the operation found by method and path, the schema of its status,
`$ref`s resolved within the document, the body validated as JSON Schema 2020-12 (OpenAPI 3.1).
The Rust tests judge theirs with tests/support/spec.rs, by the same rules.

    from spec_check import check
    problem = check("GET", "/identities", 200, body)   # None, or what the spec does not describe
"""
import functools
import os
import re

import yaml
from jsonschema import Draft202012Validator
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


@functools.lru_cache(maxsize=1)
def spec():
    with open(os.path.join(ROOT, "openapi.yaml")) as f:
        return yaml.safe_load(f)


@functools.lru_cache(maxsize=1)
def registry():
    return Registry().with_resource("urn:openapi", Resource.from_contents(spec(), default_specification=DRAFT202012))


def template_of(path):
    """The spec's path template that `path` matches (a `{parameter}` is one non-empty segment)."""
    segments = path.strip("/").split("/")
    # Literal segments before parameters: /sessions/revoke_others is not /sessions/{id}.
    for template in sorted(spec()["paths"], key=lambda t: t.count("{")):
        pattern = template.strip("/").split("/")
        if len(pattern) == len(segments) and all(p == s or (p.startswith("{") and s) for p, s in zip(pattern, segments)):
            return template
    return None


def escape(segment):
    return segment.replace("~", "~0").replace("/", "~1")


def check(method, path, status, body):
    """None when the spec describes the answer; otherwise what it does not describe."""
    template = template_of(path.split("?")[0])
    if template is None:
        return f"{method} {path}: no path of the spec"
    op = spec()["paths"][template].get(method.lower())
    if op is None:
        return f"{method} {template}: not an operation of the spec"
    responses = op.get("responses", {})
    key = str(status) if str(status) in responses else ("default" if "default" in responses else None)
    if key is None:
        return f"{method} {template}: status {status} is not described: {body}"
    pointer = f"/paths/{escape(template)}/{method.lower()}/responses/{key}"
    response = responses[key]
    if "$ref" in response:
        pointer = response["$ref"].lstrip("#")
        response = functools.reduce(lambda d, k: d[k.replace("~1", "/").replace("~0", "~")], pointer.strip("/").split("/"), spec())
    schema = (response.get("content") or {}).get("application/json", {}).get("schema")
    if schema is None:
        return None if body in (None, "") else f"{method} {template} {status}: no body is described, the answer has {body}"
    fragment = re.sub(r"[{}]", lambda m: "%7B" if m.group() == "{" else "%7D", f"{pointer}/content/application~1json/schema")
    validator = Draft202012Validator({"$ref": f"urn:openapi#{fragment}"}, registry=registry())
    errors = [f"{e.message} at {'/'.join(map(str, e.absolute_path))}" for e in validator.iter_errors(body)]
    return f"{method} {template} {status}: not what the spec describes: {errors[:3]}" if errors else None


if __name__ == "__main__":
    # The judge judges: a described answer passes, an undescribed one does not.
    assert check("GET", "/authentication_factors", 200, {"factors": [{"type": "OTP", "channel": "SMS", "status": "ACTIVE"}]}) is None
    assert check("GET", "/authentication_factors", 200, {"factors": [{"type": "OTP", "channel": "FAX", "status": "ACTIVE"}]})
    assert check("GET", "/authentication_factors", 418, None)
    print("spec_check: ok")
