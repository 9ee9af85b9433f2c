//! The architecture, held by a test (like `read_only.rs` holds the read-only rule): the module
//! graph of both crates has no import cycle, commands do not import commands, renderers do not
//! look checks up in the registry, and sign-in and the Graph layer never see the CLI's types.
//!
//! Dependencies are read from the source: every `crate::a::b` path and `use crate::{a, b}`
//! group in code (comments and test-only code left out).

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

fn rust_files(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for entry in std::fs::read_dir(&d).expect("source folder") {
            let path = entry.expect("entry").path();
            if path.is_dir() {
                stack.push(path);
            } else if path.extension().is_some_and(|e| e == "rs") {
                out.push(path);
            }
        }
    }
    out.sort();
    out
}

/// The module path of a file below `root` (`commands/audit.rs` → `commands::audit`).
fn module_of(root: &Path, file: &Path) -> String {
    let rel = file.strip_prefix(root).expect("below root");
    let mut parts: Vec<String> = rel
        .iter()
        .map(|p| p.to_string_lossy().trim_end_matches(".rs").to_string())
        .collect();
    if parts
        .last()
        .is_some_and(|p| p == "mod" || p == "lib" || p == "main")
    {
        parts.pop();
    }
    parts.join("::")
}

/// The code a module is built from: test-only code, comments and files of tests left out.
fn production_code(text: &str) -> String {
    let end = ["#[cfg(test)]", "#[cfg(all(test"]
        .iter()
        .filter_map(|m| text.find(m))
        .min()
        .unwrap_or(text.len());
    text[..end]
        .lines()
        .filter(|l| !l.trim_start().starts_with("//"))
        .collect::<Vec<_>>()
        .join("\n")
}

/// `super::x` paths of module `module`, rewritten as `crate::parent::x`.
fn resolve_super(code: &str, module: &str) -> String {
    let parent = module.rsplit_once("::").map_or("", |(p, _)| p);
    let prefix = if parent.is_empty() {
        "crate::".to_string()
    } else {
        format!("crate::{parent}::")
    };
    code.replace("super::", &prefix)
}

/// The crate modules a piece of code refers to (first path segment, and the second for the
/// modules that are folders).
fn references(code: &str, folders: &BTreeSet<String>) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    let ident = |s: &str| -> String {
        s.chars()
            .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
            .collect()
    };
    for (i, _) in code.match_indices("crate::") {
        let rest = &code[i + "crate::".len()..];
        if let Some(group) = rest.strip_prefix('{') {
            for item in group.split('}').next().unwrap_or("").split(',') {
                let name = ident(item.trim());
                if !name.is_empty() {
                    out.insert(name);
                }
            }
            continue;
        }
        let first = ident(rest);
        if first.is_empty() {
            continue;
        }
        let after = &rest[first.len()..];
        match after.strip_prefix("::") {
            Some(next) if folders.contains(&first) && !ident(next).is_empty() => {
                out.insert(format!("{first}::{}", ident(next)));
            }
            _ => {
                out.insert(first);
            }
        }
    }
    out
}

/// Module → the modules it refers to, for one crate. `group` maps a module to the node it
/// counts as (e.g. every check file counts as `checks`).
fn graph(
    root: &Path,
    group: &dyn Fn(&str) -> Option<String>,
) -> BTreeMap<String, BTreeSet<String>> {
    let files = rust_files(root);
    let folders: BTreeSet<String> = files
        .iter()
        .map(|f| module_of(root, f))
        .filter_map(|m| m.split_once("::").map(|(a, _)| a.to_string()))
        .collect();
    let mut g: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for file in &files {
        let Some(node) = group(&module_of(root, file)) else {
            continue;
        };
        let text = std::fs::read_to_string(file).expect("source");
        let deps = g.entry(node.clone()).or_default();
        let module = module_of(root, file);
        let code = resolve_super(&production_code(&text), &module);
        for r in references(&code, &folders) {
            if let Some(target) = group(&r) {
                if target != node && !target.is_empty() {
                    deps.insert(target);
                }
            }
        }
    }
    g
}

/// A cycle in the graph, if there is one.
fn cycle(g: &BTreeMap<String, BTreeSet<String>>) -> Option<Vec<String>> {
    fn visit(
        n: &str,
        g: &BTreeMap<String, BTreeSet<String>>,
        path: &mut Vec<String>,
        done: &mut BTreeSet<String>,
    ) -> Option<Vec<String>> {
        if let Some(pos) = path.iter().position(|p| p == n) {
            let mut c = path[pos..].to_vec();
            c.push(n.to_string());
            return Some(c);
        }
        if done.contains(n) {
            return None;
        }
        path.push(n.to_string());
        for d in g.get(n).into_iter().flatten() {
            if let Some(c) = visit(d, g, path, done) {
                return Some(c);
            }
        }
        path.pop();
        done.insert(n.to_string());
        None
    }
    let mut done = BTreeSet::new();
    g.keys()
        .find_map(|n| visit(n, g, &mut Vec::new(), &mut done))
}

fn manifest() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// The checks crate, one node per module; the check files count as `checks`, test helpers are
/// left out.
fn checks_graph() -> BTreeMap<String, BTreeSet<String>> {
    graph(&manifest().join("checks/src"), &|m: &str| {
        let top = m.split("::").next().unwrap_or(m);
        let test_only = top == "testkit" || top.ends_with("_tests") || m.ends_with("tests");
        (!(test_only || top.is_empty())).then(|| top.to_string())
    })
}

/// The binary crate, one node per top-level module (each command and each Graph file its own).
fn binary_graph() -> BTreeMap<String, BTreeSet<String>> {
    graph(&manifest().join("src"), &|m: &str| {
        let mut parts = m.split("::");
        let top = parts.next().unwrap_or(m);
        match (top, parts.next()) {
            ("", _) => None,
            _ if m.ends_with("::tests") => None,
            ("commands" | "graph", Some(sub)) => Some(format!("{top}::{sub}")),
            _ => Some(top.to_string()),
        }
    })
}

#[test]
fn the_checks_crate_has_no_import_cycle() {
    let g = checks_graph();
    assert!(g.contains_key("catalog") && g.contains_key("checks"));
    assert_eq!(cycle(&g), None, "{g:#?}");
}

#[test]
fn the_binary_crate_has_no_import_cycle() {
    let g = binary_graph();
    assert!(g.contains_key("auth") && g.contains_key("graph::client"));
    assert_eq!(cycle(&g), None, "{g:#?}");
}

#[test]
fn commands_do_not_import_commands() {
    let g = binary_graph();
    for (node, deps) in g.iter().filter(|(n, _)| n.starts_with("commands::")) {
        for d in deps {
            assert!(!d.starts_with("commands"), "{node} imports {d}");
        }
    }
}

#[test]
fn sign_in_and_graph_never_see_the_cli() {
    let g = binary_graph();
    for (node, deps) in &g {
        let layer = node.starts_with("graph")
            || ["auth", "live", "signin", "cloud"].contains(&node.as_str());
        if layer {
            for cli in ["cli", "cli_connect", "commands"] {
                assert!(!deps.contains(cli), "{node} imports {cli}");
            }
        }
    }
    for file in rust_files(&manifest().join("src/graph"))
        .into_iter()
        .chain(rust_files(&manifest().join("src/auth")))
        .filter(|f| !f.ends_with("tests.rs"))
    {
        let code = production_code(&std::fs::read_to_string(&file).unwrap());
        assert!(!code.contains("clap::"), "{} uses clap", file.display());
    }
}

#[test]
fn renderers_do_not_look_checks_up() {
    for file in rust_files(&manifest().join("src/render")) {
        let code = production_code(&std::fs::read_to_string(&file).unwrap());
        for forbidden in ["intune_audit_checks::find", "REGISTRY", "checks::find"] {
            assert!(
                !code.contains(forbidden),
                "{} uses {forbidden}",
                file.display()
            );
        }
    }
}

#[test]
fn the_dependency_reader_sees_what_it_must() {
    let folders: BTreeSet<String> = ["graph".to_string()].into();
    let refs = references(
        "use crate::{render, EXIT_OK};\nuse crate::graph::client::X;\nfn f() { crate::text::one_line(\"\"); }",
        &folders,
    );
    assert_eq!(
        refs,
        ["EXIT_OK", "graph::client", "render", "text"]
            .map(String::from)
            .into()
    );
    let g: BTreeMap<String, BTreeSet<String>> = [
        ("a".to_string(), ["b".to_string()].into()),
        ("b".to_string(), ["a".to_string()].into()),
    ]
    .into();
    assert!(cycle(&g).is_some(), "a cycle is found");
    assert_eq!(
        production_code("use crate::a;\n// crate::b\n#[cfg(test)]\nuse crate::c;"),
        "use crate::a;"
    );
    assert_eq!(
        resolve_super("use super::audit::X;", "commands::diff"),
        "use crate::commands::audit::X;"
    );
}

/// Graph's type names are read in one place: the typed model and the targeting rules. Test
/// code may write them into fixtures.
#[test]
fn graph_type_names_live_in_the_model() {
    let allowed = ["model.rs", "targeting.rs", "testkit.rs"];
    for root in ["src", "checks/src"] {
        for file in rust_files(&manifest().join(root)) {
            let name = file.file_name().unwrap().to_string_lossy().to_string();
            if allowed.contains(&name.as_str()) || name.ends_with("_tests.rs") || name == "tests.rs"
            {
                continue;
            }
            let code = production_code(&std::fs::read_to_string(&file).unwrap());
            assert!(
                !code.contains("\"#microsoft.graph."),
                "{} spells a Graph type name; use the model's",
                file.display()
            );
        }
    }
}
