//! The docs point at things that exist: every relative link (and its `#anchor`) of the README
//! and `docs/`, every test a doc cites as a rule's evidence, every source path it names. A doc
//! that names a renamed test or a moved file fails here rather than misleading its reader.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).parent().unwrap().to_path_buf()
}

/// What the docs may name that a run makes rather than the repository holds: files, and
/// everything under the folders of tools and builds.
const MADE_BY_A_RUN: &[&str] = &["packaged.yaml", ".tools/", "build/"];

/// Every file of the repository, relative to its root, outside what builds and tools leave.
fn repository_files() -> Vec<String> {
    fn walk(dir: &Path, root: &Path, out: &mut Vec<String>) {
        for entry in std::fs::read_dir(dir).unwrap().flatten() {
            let path = entry.path();
            let name = entry.file_name().to_string_lossy().into_owned();
            if path.is_dir() {
                if ![".git", "target", "build", ".tools", "node_modules", ".aws-sam"].contains(&name.as_str()) {
                    walk(&path, root, out);
                }
            } else {
                out.push(path.strip_prefix(root).unwrap().to_string_lossy().into_owned());
            }
        }
    }
    let mut out = Vec::new();
    walk(&root(), &root(), &mut out);
    out
}

fn docs() -> Vec<PathBuf> {
    let mut docs = vec![root().join("README.md")];
    let mut more: Vec<PathBuf> = std::fs::read_dir(root().join("docs"))
        .unwrap()
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|e| e == "md"))
        .collect();
    more.sort();
    docs.extend(more);
    docs
}

/// The doc's prose: fenced code blocks left out (their text is shell, not references).
fn prose(text: &str) -> String {
    let mut fenced = false;
    let mut out = String::new();
    for line in text.lines() {
        if line.trim_start().starts_with("```") {
            fenced = !fenced;
        } else if !fenced {
            out.push_str(line);
            out.push('\n');
        }
    }
    out
}

/// GitHub's anchor for a heading: lower case, punctuation dropped, spaces as hyphens.
fn anchor(heading: &str) -> String {
    heading
        .trim()
        .to_lowercase()
        .chars()
        .filter(|c| c.is_alphanumeric() || *c == '-' || *c == ' ' || *c == '_')
        .map(|c| if c == ' ' { '-' } else { c })
        .collect()
}

fn anchors(path: &Path) -> BTreeSet<String> {
    let text = std::fs::read_to_string(path).unwrap();
    prose(&text).lines().filter(|l| l.starts_with('#')).map(|l| anchor(l.trim_start_matches('#'))).collect()
}

/// `](target)` of every link and image.
fn links(prose: &str) -> Vec<String> {
    prose
        .split("](")
        .skip(1)
        .filter_map(|rest| rest.split_once(')').map(|(target, _)| target.to_owned()))
        .filter(|t| !t.contains(' '))
        .collect()
}

/// The text between backticks.
fn code_spans(prose: &str) -> Vec<String> {
    prose.lines().flat_map(|l| l.split('`').skip(1).step_by(2).map(str::to_owned).collect::<Vec<_>>()).collect()
}

fn is_word(s: &str) -> bool {
    !s.is_empty() && s.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
}

/// A test's name as docs cite it: `module::test_name`, or a bare name of at least four words.
fn cited_test(span: &str) -> Option<&str> {
    let parts: Vec<&str> = span.split("::").collect();
    let last = *parts.last()?;
    let named = parts.iter().all(|p| is_word(p) && p.starts_with(|c: char| c.is_ascii_lowercase()));
    (named && (parts.len() > 1 || last.split('_').count() >= 4)).then_some(last)
}

/// Every name a test could be cited by: functions and modules of the Rust sources, and the
/// words of the scripts and browser tests (their checks and cases).
fn names(files: &[String]) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    for file in files {
        let path = Path::new(file);
        let rust = file.ends_with(".rs");
        let script = file.starts_with("scripts/") || file.ends_with(".mjs") || file.ends_with(".py");
        if !(rust || script) {
            continue;
        }
        if let Some(stem) = path.file_stem() {
            out.insert(stem.to_string_lossy().into_owned());
        }
        let text = std::fs::read_to_string(root().join(file)).unwrap_or_default();
        let words: Vec<&str> = text.split(|c: char| !(c.is_ascii_alphanumeric() || c == '_')).collect();
        for pair in words.windows(2) {
            if !rust || pair[0] == "fn" || pair[0] == "mod" {
                out.insert(pair[1].to_owned());
            }
        }
    }
    out
}

fn looks_like_a_path(span: &str) -> bool {
    let exts = [".rs", ".py", ".sh", ".mjs", ".c", ".yaml", ".yml", ".json", ".toml", ".md"];
    let chars_ok = span.chars().all(|c| c.is_ascii_alphanumeric() || "._-/".contains(c));
    // API paths (`/users`) and URLs are not the repository's.
    let local = !span.starts_with('/') && !span.contains("//");
    chars_ok
        && local
        && span.contains(|c: char| c.is_ascii_alphabetic())
        && (exts.iter().any(|e| span.ends_with(e)) || span.contains('/'))
}

#[test]
fn every_link_test_name_and_path_the_docs_cite_exists() {
    let files = repository_files();
    let names = names(&files);
    let dirs: BTreeSet<String> = files
        .iter()
        .flat_map(|f| Path::new(f).ancestors().skip(1).map(|a| a.to_string_lossy().into_owned()).collect::<Vec<_>>())
        .collect();
    let mut problems = Vec::new();
    for doc in docs() {
        let shown = doc.strip_prefix(root()).unwrap().display().to_string();
        let prose = prose(&std::fs::read_to_string(&doc).unwrap());
        for link in links(&prose) {
            if link.contains("://") || link.starts_with("mailto:") {
                continue;
            }
            let (path, fragment) = link.split_once('#').unwrap_or((&link, ""));
            let target = if path.is_empty() { doc.clone() } else { doc.parent().unwrap().join(path) };
            if !target.exists() {
                problems.push(format!("{shown}: link to {link}: no such file"));
            } else if !fragment.is_empty()
                && target.extension().is_some_and(|e| e == "md")
                && !anchors(&target).contains(fragment)
            {
                problems.push(format!("{shown}: link to {link}: no such heading"));
            }
        }
        for span in code_spans(&prose) {
            if let Some(test) = cited_test(&span) {
                if !names.contains(test) {
                    problems.push(format!("{shown}: cites `{span}`, which no source names"));
                }
            } else if looks_like_a_path(&span)
                && !MADE_BY_A_RUN.iter().any(|m| span == *m || (m.ends_with('/') && span.starts_with(m)))
            {
                let named = span.trim_end_matches('/');
                let is = |f: &String| f == named || f.ends_with(&format!("/{named}"));
                let found = files.iter().any(is) || dirs.iter().any(is);
                if !found {
                    problems.push(format!("{shown}: names `{span}`, which is not in the repository"));
                }
            }
        }
    }
    assert!(problems.is_empty(), "the docs point at what does not exist:\n{}", problems.join("\n"));
}

#[test]
fn the_readme_is_short_and_links_every_doc() {
    let readme = std::fs::read_to_string(root().join("README.md")).unwrap();
    assert!(readme.lines().count() <= 250, "README.md has {} lines; the rest belongs in docs/", readme.lines().count());
    for doc in docs().iter().skip(1) {
        let name = doc.file_name().unwrap().to_string_lossy();
        assert!(readme.contains(&format!("](docs/{name}")), "README.md does not link docs/{name}");
    }
}

#[test]
fn a_doc_pointing_at_nothing_is_caught() {
    let prose = prose("see [x](nowhere.md) and `tests/api/no_such.rs`\n```\n`ignored::in_code`\n```\n");
    assert_eq!(links(&prose), vec!["nowhere.md"]);
    assert_eq!(code_spans(&prose), vec!["tests/api/no_such.rs"]);
    assert_eq!(cited_test("revert_seams::a_reset_nonce"), Some("a_reset_nonce"));
    assert_eq!(cited_test("a_rule_is_proven_here"), Some("a_rule_is_proven_here"));
    assert_eq!(cited_test("AUTH_LOCKOUT_SECONDS"), None);
    assert_eq!(anchor("The edge: AWS WAF"), "the-edge-aws-waf");
}
