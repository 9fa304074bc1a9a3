#!/usr/bin/env bash
# Validates template.yaml and its nested stacks (stacks/) with the SAM CLI and cfn-lint, and the deploy workflow against GitHub's workflow schema (check-jsonschema),
# from a git-ignored virtualenv that this script creates the first time (all work offline).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
# The SAM CLI and cfn-lint come pinned from scripts/sam.sh's virtualenv.
# Each nested stack (stacks/) too: the root's validation does not open them.
for template in "$root/template.yaml" "$root"/stacks/*.yaml; do
  "$root/scripts/sam.sh" validate --lint --region us-east-1 --template-file "$template"
done
"$root/scripts/sam.sh" cfn-lint "$root/template.yaml" "$root"/stacks/*.yaml
# The documented example of another API protected by a JWT authorizer naming this issuer.
"$root/scripts/sam.sh" validate --lint --region us-east-1 --template-file "$root/docs/examples/jwt-authorizer.yaml"
"$root/scripts/sam.sh" cfn-lint "$root/docs/examples/jwt-authorizer.yaml"
# The transformed stack's resource count, against the limit with room to grow.
"$root/.tools/sam/bin/python" "$root/scripts/stack-resources.py" 2> >(grep -v "Feature Toggle" >&2)
# events/env.json as `sam local invoke --env-vars` reads it, through the SAM CLI's own code (sam
# local itself needs Docker): every function must get every value the file gives it, so that no
# variable is silently dropped for want of a declaration in template.yaml.
(cd "$root" && "$root/.tools/sam/bin/python" - <<'PY'
import json, sys
from samcli.commands.local.lib.local_lambda import LocalLambdaRunner
from samcli.lib.providers.sam_function_provider import SamFunctionProvider
from samcli.lib.providers.sam_stack_provider import SamLocalStackProvider

wanted = json.load(open("events/env.json"))
stacks, _ = SamLocalStackProvider.get_stacks("template.yaml")
runner = LocalLambdaRunner.__new__(LocalLambdaRunner)  # only its env-vars logic is used
runner.env_vars_values, runner.get_aws_creds, runner.is_debugging = wanted, (lambda: {}), (lambda: False)
problems = []
for function in SamFunctionProvider(stacks).get_all():
    given = wanted.get(function.name)
    if given is None:
        problems.append(f"{function.name}: not in events/env.json")
        continue
    env = runner._make_env_vars(function).resolve()
    problems += [f"{function.name}: {k} is not passed (sam local passes declared variables only)" for k, v in given.items() if env.get(k) != v]
if problems:
    sys.exit("events/env.json:\n  " + "\n  ".join(problems))
PY
)
lint="$root/.tools/lint"
# Its own virtualenv: it needs a newer click than the SAM CLI pins.
if [ ! -x "$lint/bin/check-jsonschema" ]; then
  python3 -m venv "$lint"
  "$lint/bin/pip" install -q 'check-jsonschema==0.39.0' >&2
fi
"$lint/bin/check-jsonschema" --builtin-schema vendor.github-workflows "$root/.github/workflows/deploy.yml"
echo "template.yaml: sam validate --lint and cfn-lint passed, the stack within its resource budget; events/env.json: every value reaches its function under sam local; deploy workflow: valid against the GitHub workflow schema"
