//! Each crate reads top to bottom: no module imports one that imports it back.
//!
//! The crates' own arrows are guarded by `.ci/run` (`cargo tree`); this guards the arrows
//! between modules inside each crate, read from the source as text. A crate's `error`
//! module is the one exception: it gathers the errors of the modules below it, and every
//! module may return the crate's error, so arrows into it are not counted.
#![allow(clippy::unwrap_used)] // a test: an unreadable source file should fail it loudly

use std::collections::{BTreeMap, BTreeSet};
use std::fs;
use std::path::{Path, PathBuf};

/// Every `.rs` file under `dir`, by module path ("screens::lock"; the root is "crate").
fn modules(dir: &Path) -> BTreeMap<String, String> {
    let mut out = BTreeMap::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for entry in fs::read_dir(&d).unwrap() {
            let path: PathBuf = entry.unwrap().path();
            if path.is_dir() {
                stack.push(path);
            } else if path.extension().is_some_and(|e| e == "rs") {
                let rel = path.strip_prefix(dir).unwrap().with_extension("");
                let mut parts: Vec<String> = rel
                    .components()
                    .map(|c| c.as_os_str().to_string_lossy().into_owned())
                    .collect();
                if parts.last().is_some_and(|p| p == "mod") {
                    parts.pop();
                }
                let name = match parts.join("::").as_str() {
                    "lib" | "main" => "crate".to_string(),
                    other => other.to_string(),
                };
                out.insert(name, fs::read_to_string(&path).unwrap());
            }
        }
    }
    out
}

/// The source without its tests and comments.
fn code(source: &str) -> String {
    let source = source.split("#[cfg(test)]").next().unwrap_or_default();
    source
        .lines()
        .map(|l| l.split("//").next().unwrap_or_default())
        .collect::<Vec<_>>()
        .join("\n")
}

/// The paths a source names after `prefix` ("crate::" or "super::"), `{a, b::c}` groups
/// included.
fn named_after(code: &str, prefix: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut rest = code;
    while let Some(at) = rest.find(prefix) {
        let before = rest[..at].chars().last();
        rest = &rest[at + prefix.len()..];
        if before.is_some_and(|c| c.is_alphanumeric() || c == '_') {
            continue;
        }
        if let Some(group) = rest.strip_prefix('{') {
            let end = group.find('}').unwrap_or(group.len());
            out.extend(group[..end].split(',').map(|p| p.trim().to_string()));
        } else {
            let end = rest
                .find(|c: char| !(c.is_alphanumeric() || c == '_' || c == ':'))
                .unwrap_or(rest.len());
            out.push(rest[..end].to_string());
        }
    }
    out
}

/// The arrows between a crate's modules: module → modules it names.
fn arrows(mods: &BTreeMap<String, String>) -> BTreeMap<String, BTreeSet<String>> {
    let mut names: Vec<&String> = mods.keys().filter(|n| *n != "crate").collect();
    names.sort_by_key(|n| std::cmp::Reverse(n.len()));
    let target = |path: &str| -> Option<String> {
        names
            .iter()
            .find(|n| path == n.as_str() || path.starts_with(&format!("{n}::")))
            .map(|n| n.to_string())
    };
    let mut graph = BTreeMap::new();
    for (module, source) in mods {
        let code = code(source);
        let mut to = BTreeSet::new();
        for path in named_after(&code, "crate::") {
            to.extend(target(&path));
        }
        let parent = module.rsplit_once("::").map(|(p, _)| p);
        for path in named_after(&code, "super::") {
            let full = match parent {
                Some(p) => format!("{p}::{path}"),
                None => path,
            };
            to.extend(target(&full));
        }
        to.retain(|t: &String| {
            t != module
                && !module.starts_with(&format!("{t}::"))
                && t.rsplit("::").next() != Some("error")
        });
        graph.insert(module.clone(), to);
    }
    graph
}

/// A circle of arrows, if there is one.
fn circle(graph: &BTreeMap<String, BTreeSet<String>>) -> Option<Vec<String>> {
    fn visit(
        at: &str,
        graph: &BTreeMap<String, BTreeSet<String>>,
        path: &mut Vec<String>,
        done: &mut BTreeSet<String>,
    ) -> Option<Vec<String>> {
        if let Some(i) = path.iter().position(|p| p == at) {
            let mut found = path[i..].to_vec();
            found.push(at.to_string());
            return Some(found);
        }
        if done.contains(at) {
            return None;
        }
        path.push(at.to_string());
        for next in graph.get(at).into_iter().flatten() {
            if let Some(found) = visit(next, graph, path, done) {
                return Some(found);
            }
        }
        path.pop();
        done.insert(at.to_string());
        None
    }
    let mut done = BTreeSet::new();
    graph
        .keys()
        .find_map(|m| visit(m, graph, &mut Vec::new(), &mut done))
}

#[test]
fn no_module_imports_one_that_imports_it_back() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut crates = vec![root.join("src")];
    for entry in fs::read_dir(root.join("crates")).unwrap() {
        crates.push(entry.unwrap().path().join("src"));
    }
    let mut circles = Vec::new();
    for src in crates {
        let mods = modules(&src);
        assert!(mods.len() > 1 || src.ends_with("src"), "{src:?}");
        if let Some(c) = circle(&arrows(&mods)) {
            circles.push(format!("{}: {}", src.display(), c.join(" → ")));
        }
    }
    assert!(circles.is_empty(), "circles:\n{}", circles.join("\n"));
}

#[test]
fn the_guard_sees_a_circle() {
    let mods: BTreeMap<String, String> = [
        ("crate", "mod a; mod b;"),
        ("a", "use crate::b::Thing;"),
        ("b", "use crate::{a::Other, error::E};"),
        ("error", "use crate::a::Other;"),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_string(), v.to_string()))
    .collect();
    let found = circle(&arrows(&mods)).expect("a → b → a");
    assert_eq!(found.first(), found.last());
    assert!(found.contains(&"a".to_string()) && found.contains(&"b".to_string()));
}
