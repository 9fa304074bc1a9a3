//! The configuration, tied together both ways: the environment variables the code reads, what
//! `template.yaml` sets (its `Globals` and each function's `Environment`) and from which
//! `Parameters`, and the configuration table of docs/operations.md. Every variable the code reads is listed
//! in that table exactly once, and is either set by the template (the table names the
//! parameter) or marked local only; the template sets no variable the code does not read; and
//! every template parameter reaches a variable, or is listed in its table of
//! parameters that configure resources, and is used by one.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use integration_tests::template_yaml;
use yaml_rust2::Yaml;

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..")
}

/// Every variable named in the service's code: a string literal that is a variable name of
/// ours (`AUTH_*`, `TABLE_NAME`, `PORT`), and `RUST_LOG` (read by the log filter's default).
fn read_by_code() -> BTreeSet<String> {
    fn walk(dir: &Path, out: &mut BTreeSet<String>) {
        for entry in std::fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                walk(&path, out);
            } else if path.extension().is_some_and(|e| e == "rs") {
                let text = std::fs::read_to_string(&path).unwrap();
                // Unit tests name variables too; they set what the code reads, nothing more.
                let code = text.split("#[cfg(test)]").next().unwrap();
                for literal in code.split('"').skip(1).step_by(2) {
                    let ours = literal.starts_with("AUTH_") || literal == "TABLE_NAME" || literal == "PORT";
                    if ours && literal.chars().all(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || c == '_') {
                        out.insert(literal.to_owned());
                    }
                }
            }
        }
    }
    let mut out = BTreeSet::new();
    walk(&root().join("shared/src"), &mut out);
    walk(&root().join("functions"), &mut out);
    let telemetry = std::fs::read_to_string(root().join("shared/src/telemetry.rs")).unwrap();
    assert!(telemetry.contains("EnvFilter::try_from_default_env"), "the log filter reads RUST_LOG");
    out.insert("RUST_LOG".to_owned());
    // Read by the AWS SDK, not by our code; the template declares it for `sam local` only.
    out.insert("AWS_ENDPOINT_URL_DYNAMODB".to_owned());
    out
}

/// What the template sets: variable → the parameters its values come from (empty when a
/// resource or a literal), over `Globals` and every function.
fn set_by_template(template: &Yaml) -> BTreeMap<String, BTreeSet<String>> {
    let parameters: BTreeSet<String> =
        template["Parameters"].as_hash().unwrap().keys().map(|k| k.as_str().unwrap().to_owned()).collect();
    let mut out: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    let mut add = |vars: &Yaml| {
        for (name, value) in vars.as_hash().into_iter().flatten() {
            let from = out.entry(name.as_str().unwrap().to_owned()).or_default();
            // `!Ref P`, or a function over parameters such as `!If [Cond, !Ref P, ...]`.
            let values = match value {
                Yaml::Array(items) => items.iter().filter_map(Yaml::as_str).collect(),
                other => other.as_str().into_iter().collect::<Vec<_>>(),
            };
            from.extend(values.into_iter().filter(|v| parameters.contains(*v)).map(str::to_owned));
        }
    };
    add(&template["Globals"]["Function"]["Environment"]["Variables"]);
    for (_, resource) in template["Resources"].as_hash().unwrap() {
        if resource["Type"].as_str() == Some("AWS::Serverless::Function") {
            add(&resource["Properties"]["Environment"]["Variables"]);
        }
    }
    out
}

/// The rows of the operations guide's table under `heading`: first cell's names (a row may name several,
/// comma-separated), and every cell.
fn docs_table(heading: &str) -> Vec<(Vec<String>, Vec<String>)> {
    let doc = std::fs::read_to_string(root().join("docs/operations.md")).unwrap();
    let section = doc.split(heading).nth(1).unwrap_or_else(|| panic!("docs/operations.md has no `{heading}`"));
    section
        .lines()
        .skip_while(|l| !l.starts_with('|'))
        .take_while(|l| l.starts_with('|'))
        .skip(2)
        .map(|row| {
            let cells: Vec<String> = row.trim_matches('|').split(" | ").map(|c| c.trim().to_owned()).collect();
            let names = cells[0].split(',').map(|n| n.trim().trim_matches('`').to_owned()).collect();
            (names, cells)
        })
        .collect()
}

#[test]
fn the_code_the_template_and_the_readme_agree_on_every_variable() {
    let template = template_yaml();
    let code = read_by_code();
    let wired = set_by_template(&template);
    let rows = docs_table("## Configuration");
    let mut problems = Vec::new();
    let mut listed: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for (names, cells) in &rows {
        assert_eq!(cells.len(), 4, "configuration row: variable | default | in AWS | meaning: {cells:?}");
        for name in names {
            if listed.insert(name.clone(), cells.clone()).is_some() {
                problems.push(format!("docs/operations.md lists {name} twice"));
            }
        }
    }
    for name in &code {
        let Some(cells) = listed.get(name) else {
            problems.push(format!("{name} is read by the code but not in docs/operations.md's table"));
            continue;
        };
        match wired.get(name) {
            Some(parameters) => {
                if cells[2].contains("local only") {
                    problems.push(format!("{name}: the template sets it, docs/operations.md says local only"));
                }
                for p in parameters {
                    if !cells[2].contains(&format!("`{p}`")) {
                        problems.push(format!("{name}: docs/operations.md does not name its parameter `{p}`"));
                    }
                }
            }
            None if !cells[2].contains("local only") => {
                problems.push(format!("{name}: not set by the template, so docs/operations.md must say local only"));
            }
            None if cells[1].is_empty() => problems.push(format!("{name}: a local-only variable needs its default")),
            None => {}
        }
    }
    for name in listed.keys().filter(|n| !code.contains(*n)) {
        problems.push(format!("docs/operations.md lists {name}, which the code does not read"));
    }
    for name in wired.keys().filter(|n| !code.contains(*n)) {
        problems.push(format!("template.yaml sets {name}, which the code does not read"));
    }
    assert!(problems.is_empty(), "configuration mismatches:\n{}", problems.join("\n"));
}

#[test]
fn every_template_parameter_reaches_a_variable_or_a_documented_resource() {
    let template = template_yaml();
    let text = integration_tests::template_text();
    let to_variables: BTreeSet<String> = set_by_template(&template).into_values().flatten().collect();
    let resources: BTreeMap<String, String> = docs_table("### Template parameters")
        .into_iter()
        .flat_map(|(names, cells)| names.into_iter().map(move |n| (n, cells[1].clone())))
        .collect();
    let mut problems = Vec::new();
    for (name, _) in template["Parameters"].as_hash().unwrap() {
        let name = name.as_str().unwrap();
        let used = text.matches(&format!("!Ref {name}")).count() + text.matches(&format!("Ref: {name}")).count();
        match (to_variables.contains(name), resources.get(name)) {
            (true, Some(_)) => {
                problems.push(format!("{name} reaches a variable: the variable table of docs/operations.md names it"))
            }
            (true, None) => {}
            (false, Some(_)) if used > 0 => {}
            (false, Some(_)) => problems.push(format!("{name} is documented but nothing in the template uses it")),
            (false, None) => {
                problems.push(format!("{name} reaches no variable and docs/operations.md does not say what it sets"))
            }
        }
    }
    for name in resources.keys() {
        if template["Parameters"][name.as_str()].is_badvalue() {
            problems.push(format!("docs/operations.md documents a parameter {name} the template does not have"));
        }
    }
    assert!(problems.is_empty(), "parameter mismatches:\n{}", problems.join("\n"));
}
