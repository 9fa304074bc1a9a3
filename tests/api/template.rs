//! `template.yaml`, `functions/`, `events/` and the router must describe the same endpoints:
//! every function has a package, an event and a route with the same method and path, both ways.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use integration_tests::camel;
use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::path::PathBuf;

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..")
}

/// An `AWS::Serverless::Function` resource: logical id, binary (its `CodeUri` is
/// `build/lambda/<binary>/`), and the API methods (method, path) API Gateway sends to it.
type TemplateFunction = (String, String, Vec<(String, String)>);

/// The functions of template.yaml, each with the methods of the API's `DefinitionBody` whose
/// integration invokes its `live` alias.
fn template_functions() -> Vec<TemplateFunction> {
    let text = integration_tests::template_text();
    let mut out: Vec<TemplateFunction> = Vec::new();
    let mut methods: Vec<(String, String, String)> = Vec::new(); // (logical id, method, path)
    let (mut path, mut method) = (String::new(), String::new());
    for line in text.lines() {
        let trimmed = line.trim();
        let indent = line.len() - line.trim_start().len();
        if indent == 2 && trimmed.ends_with(':') && !trimmed.starts_with('#') {
            out.push((trimmed.trim_end_matches(':').to_owned(), String::new(), Vec::new()));
        } else if let Some(dir) = trimmed.strip_prefix("CodeUri: build/lambda/") {
            out.last_mut().unwrap().1 = dir.trim_end_matches('/').to_owned();
        } else if indent == 10 && trimmed.starts_with('/') && trimmed.ends_with(':') {
            path = trimmed.trim_end_matches(':').to_owned();
        } else if indent == 12 && trimmed.ends_with(':') {
            method = trimmed.trim_end_matches(':').to_uppercase();
        } else if let Some(target) = trimmed.split("{fn: !Ref ").nth(1) {
            let logical = target.split(".Alias").next().unwrap().to_owned();
            methods.push((logical, method.clone(), path.clone()));
        }
    }
    for (logical, method, path) in methods {
        let f = out.iter_mut().find(|f| f.0 == logical).unwrap_or_else(|| panic!("{method} {path}: no {logical}"));
        f.2.push((method, path));
    }
    out.into_iter().filter(|(_, bin, _)| !bin.is_empty()).collect()
}

/// The aliases `ApiInvokeRole` may invoke (logical ids of their functions).
fn invocable() -> BTreeSet<String> {
    let text = integration_tests::template_text();
    let role = text.split("\n  ApiInvokeRole:\n").nth(1).unwrap().split("\n\n").next().unwrap();
    role.lines().filter_map(|l| l.trim().strip_prefix("- !Ref ")?.strip_suffix(".Alias").map(str::to_owned)).collect()
}

#[test]
fn template_packages_events_and_routes_agree() {
    let functions = template_functions();
    assert!(!functions.is_empty());
    let routes = shared::api::routes::routes();
    let from_template: BTreeSet<String> = functions.iter().map(|f| f.1.clone()).collect();
    let from_routes: BTreeSet<String> = routes.iter().map(|r| r.function.to_owned()).collect();
    let packages: BTreeSet<String> = std::fs::read_dir(root().join("functions"))
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .filter(|n| n != "local-api")
        .collect();
    let events: BTreeSet<String> = integration_tests::event_files().into_iter().map(|(name, _)| name).collect();
    let http_functions: BTreeSet<String> =
        functions.iter().filter(|f| f.2.iter().any(|(m, _)| m != "OPTIONS")).map(|f| f.1.clone()).collect();
    assert_eq!(from_template, packages, "template.yaml functions vs functions/ packages");
    assert_eq!(http_functions, from_routes, "template.yaml API functions vs router");
    let mut expected_events = from_routes.clone();
    expected_events.extend(functions.iter().filter(|f| !http_functions.contains(&f.1)).map(|f| f.1.clone()));
    assert_eq!(expected_events, events, "functions vs events/");
    // Every routed path answers browsers' preflights: its OPTIONS goes to the preflight function,
    // which takes no other method.
    let paths: BTreeSet<String> = routes.iter().map(|r| r.path.to_owned()).collect();
    let preflight = functions.iter().find(|f| f.1 == "preflight").expect("a preflight function");
    assert!(preflight.2.iter().all(|(m, _)| m == "OPTIONS"), "preflight takes OPTIONS only");
    let preflights: Vec<String> = preflight.2.iter().map(|(_, p)| p.clone()).collect();
    assert_eq!(preflights.iter().cloned().collect::<BTreeSet<_>>(), paths, "paths without an OPTIONS method");
    assert_eq!(preflights.len(), paths.len(), "a path with two OPTIONS methods");
    for (logical, binary, apis) in &functions {
        assert_eq!(logical, &format!("{}Function", camel(binary)), "logical id of {binary}");
        for (method, path) in apis.iter().filter(|(m, _)| m != "OPTIONS") {
            assert!(
                routes.iter().any(|r| r.function == binary && r.method.as_str() == method && r.path == path),
                "{binary}: {method} {path} is not routed to it"
            );
        }
    }
    for r in &routes {
        let f = functions.iter().find(|f| f.1 == r.function).unwrap();
        assert!(
            f.2.iter().any(|(m, p)| m == r.method.as_str() && p == r.path),
            "{} {} is not a method of the API invoking {}Function",
            r.method,
            r.path,
            camel(r.function)
        );
    }
    // API Gateway invokes with ApiInvokeRole: it may invoke exactly the functions the API names.
    let invoked: BTreeSet<String> = functions.iter().filter(|f| !f.2.is_empty()).map(|f| f.0.clone()).collect();
    assert_eq!(invocable(), invoked, "ApiInvokeRole's aliases vs the functions the API invokes");
}

#[test]
fn the_openapi_spec_documents_every_route_and_nothing_else() {
    let text = std::fs::read_to_string(root().join("openapi.yaml")).unwrap();
    let mut documented = BTreeSet::new();
    let mut in_paths = false;
    let mut path = String::new();
    for line in text.lines() {
        if line == "paths:" {
            in_paths = true;
        } else if in_paths && !line.starts_with(' ') {
            break;
        } else if in_paths && line.starts_with("  /") && !line.starts_with("   ") {
            path = line.trim().trim_end_matches(':').trim_matches('\'').to_owned();
        } else if let Some(method) = line.strip_prefix("    ").and_then(|m| m.strip_suffix(':'))
            && ["get", "post", "put", "delete", "patch"].contains(&method)
        {
            documented.insert(format!("{} {path}", method.to_uppercase()));
        }
    }
    let routed: BTreeSet<String> =
        shared::api::routes::routes().iter().map(|r| format!("{} {}", r.method, r.path)).collect();
    assert_eq!(documented, routed);
}

/// The names of the environment variables template.yaml declares: the Globals' and, by logical
/// id, each resource's own.
fn template_environments() -> (BTreeSet<String>, BTreeMap<String, BTreeSet<String>>) {
    let text = integration_tests::template_text();
    let (mut globals, mut own) = (BTreeSet::new(), BTreeMap::<String, BTreeSet<String>>::new());
    let (mut section, mut resource, mut variables_at) = (String::new(), String::new(), None::<usize>);
    for line in text.lines() {
        let trimmed = line.trim();
        if trimmed.is_empty() || trimmed.starts_with('#') {
            continue;
        }
        let indent = line.len() - line.trim_start().len();
        match (indent, variables_at) {
            (0, _) => (section, resource, variables_at) = (trimmed.to_owned(), String::new(), None),
            (2, _) => (resource, variables_at) = (trimmed.trim_end_matches(':').to_owned(), None),
            (i, Some(at)) if i > at => {
                let name = trimmed.split(':').next().unwrap().to_owned();
                if section == "Globals:" {
                    globals.insert(name);
                } else {
                    own.entry(resource.clone()).or_default().insert(name);
                }
            }
            _ => variables_at = (trimmed == "Variables:").then_some(indent),
        }
    }
    (globals, own)
}

/// `events/env.json`, for `sam local invoke --env-vars`: sam local sets only the variables a
/// function's template entry declares and ignores any other, so the file must give each function
/// exactly those, pointing it at DynamoDB Local on the Docker host with the sandbox on, in values
/// the binary reads without error.
#[test]
fn env_json_sets_every_variable_each_function_declares() {
    let text = std::fs::read_to_string(root().join("events/env.json")).unwrap();
    let file: serde_json::Map<String, serde_json::Value> = serde_json::from_str(&text).unwrap();
    let (globals, own) = template_environments();
    assert!(globals.contains("AWS_ENDPOINT_URL_DYNAMODB") && globals.contains("AUTH_SANDBOX"));
    let functions: BTreeSet<String> = template_functions().into_iter().map(|f| f.0).collect();
    let hint = "scripts/lambda-emulator.py --write-env-json rewrites it from template.yaml";
    assert_eq!(
        file.keys().cloned().collect::<BTreeSet<_>>(),
        functions,
        "events/env.json names every function: {hint}"
    );
    for logical in &functions {
        let vars: HashMap<String, String> = file[logical]
            .as_object()
            .unwrap_or_else(|| panic!("events/env.json: {logical} is not an object"))
            .iter()
            .map(|(k, v)| (k.clone(), v.as_str().unwrap_or_else(|| panic!("{logical}.{k} is not a string")).to_owned()))
            .collect();
        let mut declared = globals.clone();
        declared.extend(own.get(logical).cloned().unwrap_or_default());
        assert_eq!(vars.keys().cloned().collect::<BTreeSet<_>>(), declared, "events/env.json: {logical}: {hint}");
        assert_eq!(vars["AWS_ENDPOINT_URL_DYNAMODB"], "http://host.docker.internal:8000", "{logical}");
        assert_eq!((vars["AUTH_STORE"].as_str(), vars["AUTH_SANDBOX"].as_str()), ("dynamodb", "true"), "{logical}");
        let config = shared::config::Config::from_map(&vars).unwrap_or_else(|e| panic!("{logical}: {e}"));
        let secrets = declared.iter().filter(|v| v.ends_with("_SECRET_ID")).count();
        assert_eq!(config.key_secrets.len(), secrets, "{logical}: every key secret variable names a secret");
    }
}

fn rust_files(dir: &std::path::Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

/// Each Lambda binary serves its own routes: its `main` names its package, which names its routes
/// in the route table ([`shared::api::routes::named`]).
#[test]
fn every_http_function_serves_its_own_routes() {
    for route in shared::api::routes::routes() {
        let main = std::fs::read_to_string(root().join(format!("functions/{}/src/main.rs", route.function))).unwrap();
        assert!(
            main.contains(&format!("api::lambda::run(\"{}\")", route.function)),
            "functions/{0}/src/main.rs must call api::lambda::run(\"{0}\")",
            route.function
        );
        assert!(!shared::api::routes::named(route.function).is_empty());
    }
}

/// The layout's bounds: no source file over 400 lines (unit tests at the end of a file do not
/// count), and no layer importing from one above it: the domain imports nothing of the layers
/// around it; the use cases (`app/`) nothing of the HTTP edge or of any adapter; the store's
/// ports and adapters nothing of the use cases or the edge.
#[test]
fn source_files_stay_small_and_no_layer_imports_from_one_above_it() {
    let mut files = Vec::new();
    rust_files(&root().join("shared/src"), &mut files);
    rust_files(&root().join("functions"), &mut files);
    let mut too_long = Vec::new();
    for file in &files {
        let text = std::fs::read_to_string(file).unwrap();
        let code = text.split("\n#[cfg(test)]").next().unwrap_or("");
        if code.lines().count() > 400 {
            too_long.push(format!("{} ({} lines)", file.display(), code.lines().count()));
        }
    }
    assert!(too_long.is_empty(), "over 400 lines: {too_long:?}");
    let edge = ["lambda_http", "lambda_runtime", "axum", "tower", "hyper", "crate::api"];
    let adapters = [
        "aws_sdk",
        "aws_config",
        "DynamoStore",
        "MemoryStore",
        "SnsSms",
        "SandboxSms",
        "SesEmail",
        "SnsPush",
        "SecretsManagerKeys",
        "EphemeralKeys",
    ];
    let layers: [(&str, Vec<&str>); 3] = [
        (
            "/shared/src/domain/",
            [&edge[..], &adapters[..], &["tokio", "crate::store", "crate::app", "crate::model"]].concat(),
        ),
        ("/shared/src/app/", [&edge[..], &adapters[..]].concat()),
        ("/shared/src/store/", [&edge[..], &["crate::app"]].concat()),
    ];
    for (layer, forbidden) in &layers {
        for file in files.iter().filter(|f| f.to_string_lossy().contains(layer)) {
            let text = std::fs::read_to_string(file).unwrap();
            let code = text.split("\n#[cfg(test)]").next().unwrap_or("");
            for word in forbidden {
                assert!(!code.contains(word), "{} uses {word}: {layer} imports from a layer above it", file.display());
            }
        }
    }
}

/// The WAF's per-IP rate rule covers every operation that needs no token (`security: []` in
/// `openapi.yaml`) but the public keys: its path, with any parameter, holds one of the rule's
/// strings.
#[test]
fn the_waf_rate_rule_covers_every_operation_that_needs_no_token() {
    let spec = std::fs::read_to_string(root().join("openapi.yaml")).unwrap();
    let (mut path, mut method, mut open) = (String::new(), String::new(), BTreeSet::new());
    for line in spec.lines() {
        if line.starts_with("  /") && !line.starts_with("   ") {
            path = line.trim().trim_end_matches(':').trim_matches('\'').to_owned();
        } else if let Some(m) = line.strip_prefix("    ").and_then(|m| m.strip_suffix(':'))
            && ["get", "post", "put", "delete", "patch"].contains(&m)
        {
            method = m.to_uppercase();
        } else if line.trim() == "security: []" {
            open.insert(format!("{method} {path}"));
        }
    }
    assert!(open.len() > 10, "openapi.yaml marks the operations that need no token: {open:?}");
    let template = integration_tests::template_text();
    let rule = template.split("- Name: unauthenticated-per-ip").nth(1).unwrap().split("- Name: ").next().unwrap();
    let strings: Vec<&str> =
        rule.split("SearchString: ").skip(1).map(|s| s.split(',').next().unwrap().trim()).collect();
    assert!(rule.contains("Type: URL_DECODE") && rule.contains("Type: NORMALIZE_PATH"), "decoded and normalised");
    // The public keys: no secret is checked and nothing is stored, they are cached, and the
    // services that verify tokens fetch them from a few addresses.
    let exempt = ["GET /.well-known/jwks.json"];
    for operation in open.iter().filter(|o| !exempt.contains(&o.as_str())) {
        let path = operation.split(' ').nth(1).unwrap();
        let concrete: String =
            path.split('/').map(|s| if s.starts_with('{') { "x" } else { s }).collect::<Vec<_>>().join("/");
        assert!(
            strings.iter().any(|s| concrete.contains(s)),
            "{operation} needs no token but the WAF rate rule does not cover it ({strings:?})"
        );
    }
}

/// A nested stack (`stacks/`) is a part of the root's, split off only to keep each stack under
/// CloudFormation's resource limit: its functions must run exactly as if they were the root's.
/// So its `Globals` are the root's (the metrics' namespace named after the root stack, which it
/// passes), its conditions are the root's, and each of its parameters is passed by the root under
/// the same name: a root parameter of the same type, a resource of the root by reference, or a
/// documented few expressions.
#[test]
fn nested_stacks_share_the_roots_globals_and_get_every_parameter() {
    // A top-level section's text: its line and the ones under it, up to the next top-level key.
    let section = |text: &str, name: &str| -> String {
        let mut lines = text.lines().skip_while(|l| *l != format!("{name}:"));
        let first = lines.next().unwrap_or_else(|| panic!("no {name}"));
        let body = lines.take_while(|l| l.is_empty() || l.starts_with(' ') || l.starts_with('#'));
        std::iter::once(first).chain(body).collect::<Vec<_>>().join("\n").trim_end().to_owned()
    };
    let root_text = std::fs::read_to_string(root().join("template.yaml")).unwrap();
    let root_yaml = yaml_rust2::YamlLoader::load_from_str(&root_text).unwrap().remove(0);
    let stacks = integration_tests::nested_stacks(&root_text);
    assert!(!stacks.is_empty(), "template.yaml names its nested stacks");
    let expressions = BTreeMap::from([("TableArn", "!GetAtt Table.Arn"), ("ParentStackName", "!Ref AWS::StackName")]);
    for (stack, location, passed) in stacks {
        let text = std::fs::read_to_string(root().join(&location)).unwrap();
        let yaml = yaml_rust2::YamlLoader::load_from_str(&text).unwrap().remove(0);
        let globals = section(&root_text, "Globals").replace("!Ref AWS::StackName", "!Ref ParentStackName");
        assert_eq!(section(&text, "Globals"), globals, "{location}: its Globals are the root's");
        for (name, condition) in yaml["Conditions"].as_hash().unwrap() {
            assert_eq!(condition, &root_yaml["Conditions"][name.as_str().unwrap()], "{location}: condition {name:?}");
        }
        let declared: BTreeSet<String> =
            yaml["Parameters"].as_hash().unwrap().keys().map(|k| k.as_str().unwrap().to_owned()).collect();
        let given: BTreeSet<String> = passed.iter().map(|(n, _)| n.clone()).collect();
        assert_eq!(declared, given, "{stack}: the parameters {location} declares are the ones the root passes");
        for (name, value) in &passed {
            let root_parameter = &root_yaml["Parameters"][name.as_str()];
            if let Some(expression) = expressions.get(name.as_str()) {
                assert_eq!(value, expression, "{stack}: {name}");
            } else if !root_parameter.is_badvalue() {
                assert_eq!(value, &format!("!Ref {name}"), "{stack}: {name} passes the root's own");
                assert_eq!(
                    yaml["Parameters"][name.as_str()]["Type"],
                    root_parameter["Type"],
                    "{location}: {name}'s type"
                );
            } else {
                assert!(
                    !root_yaml["Resources"][name.as_str()].is_badvalue(),
                    "{stack}: {name} is no resource of the root"
                );
                assert_eq!(value, &format!("!Ref {name}"), "{stack}: {name} passes the root's resource");
            }
        }
    }
}
