//! The engine's module rule, checked on every test run: sibling modules never
//! depend on each other in a cycle. A parent module declares and dispatches,
//! its children implement; a child may use its parent's declarations and its
//! siblings', as long as no sibling uses it back, directly or around a loop.
//! Cycles made every change to one side a change to the other (issue 13 found
//! `error` <-> `secret`, `sync::merge` <-> `sync::policy`, `legacy::importer`
//! <-> its stores).
//!
//! The check reads the source: every `crate::` and `super::` path outside
//! comments, `use` groups included, is an edge from the file's module to the
//! module it names; each edge is lifted to the two siblings under the
//! modules' common parent.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// A module path below the crate root (`["sync", "merge"]`).
type ModulePath = Vec<String>;

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

/// The module a file defines: `a/b.rs` and `a/b/mod.rs` are `a::b`.
fn module_of(src: &Path, file: &Path) -> ModulePath {
    let relative = file.strip_prefix(src).unwrap().with_extension("");
    let mut parts: ModulePath = relative.iter().map(|p| p.to_string_lossy().into_owned()).collect();
    if matches!(parts.last().map(String::as_str), Some("mod" | "lib")) {
        parts.pop();
    }
    parts
}

/// The code of a file without its comments (doc links name modules too, but
/// a comment is not a dependency).
fn code_of(text: &str) -> String {
    text.lines().map(|l| l.split("//").next().unwrap_or("")).collect::<Vec<_>>().join("\n")
}

fn is_ident_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || c == '_'
}

/// The module paths named after each `crate::` or `super::` in `code`,
/// resolved against `module`; a `{...}` group gives one path per member.
fn referenced(code: &str, module: &ModulePath) -> Vec<ModulePath> {
    let mut out = Vec::new();
    let text = code;
    for (prefix, base) in [("crate::", Vec::new()), ("super::", module[..module.len().saturating_sub(1)].to_vec())] {
        let mut from = 0;
        while let Some(found) = text[from..].find(prefix) {
            let at = from + found;
            from = at + prefix.len();
            if at > 0 && text[..at].chars().last().is_some_and(is_ident_char) {
                continue;
            }
            let mut path = base.clone();
            let mut rest = &text[from..];
            // `super::super::x`
            while let Some(next) = rest.strip_prefix("super::") {
                path.pop();
                rest = next;
            }
            paths_in(rest, path, &mut out);
        }
    }
    out
}

/// Follows `a::b::{c, d::e}` from `rest`, pushing each full path.
fn paths_in(rest: &str, mut path: ModulePath, out: &mut Vec<ModulePath>) {
    let mut rest = rest;
    loop {
        if let Some(group) = rest.strip_prefix('{') {
            let mut depth = 1;
            let end = group
                .char_indices()
                .find(|&(_, c)| {
                    match c {
                        '{' => depth += 1,
                        '}' => depth -= 1,
                        _ => {}
                    }
                    depth == 0
                })
                .map_or(group.len(), |(i, _)| i);
            let inner = &group[..end];
            let mut depth = 0;
            let mut start = 0;
            for (i, c) in inner.char_indices().chain([(inner.len(), ',')]) {
                match c {
                    '{' => depth += 1,
                    '}' => depth -= 1,
                    ',' if depth == 0 => {
                        paths_in(inner[start..i].trim(), path.clone(), out);
                        start = i + 1;
                    }
                    _ => {}
                }
            }
            return;
        }
        let name: String = rest.chars().take_while(|&c| is_ident_char(c)).collect();
        if name.is_empty() || name == "self" {
            out.push(path);
            return;
        }
        path.push(name.clone());
        rest = &rest[name.len()..];
        match rest.strip_prefix("::") {
            Some(next) => rest = next,
            None => {
                out.push(path);
                return;
            }
        }
    }
}

/// The sibling edges: (parent, from child, to child), for every reference
/// from inside one child of `parent` to inside another.
fn sibling_edges(modules: &BTreeSet<ModulePath>, uses: &[(ModulePath, ModulePath)]) -> BTreeSet<(ModulePath, String, String)> {
    let mut edges = BTreeSet::new();
    for (from, to) in uses {
        // The longest prefix of `to` that is a module (the rest names items).
        let to = (0..=to.len()).rev().map(|n| to[..n].to_vec()).find(|p| modules.contains(p)).unwrap_or_default();
        let common = from.iter().zip(&to).take_while(|(a, b)| a == b).count();
        if common < from.len() && common < to.len() {
            edges.insert((from[..common].to_vec(), from[common].clone(), to[common].clone()));
        }
    }
    edges
}

/// Every cycle among siblings, as `parent: a -> b -> a`.
fn cycles(edges: &BTreeSet<(ModulePath, String, String)>) -> Vec<String> {
    let mut graphs: BTreeMap<&ModulePath, BTreeMap<&str, BTreeSet<&str>>> = BTreeMap::new();
    for (parent, a, b) in edges {
        graphs.entry(parent).or_default().entry(a).or_default().insert(b);
    }
    let mut found = Vec::new();
    for (parent, graph) in graphs {
        for &start in graph.keys() {
            // A path back to `start`, by breadth-first search.
            let mut previous: BTreeMap<&str, &str> = BTreeMap::new();
            let mut queue = std::collections::VecDeque::from([start]);
            while let Some(node) = queue.pop_front() {
                for &next in graph.get(node).into_iter().flatten() {
                    if next == start {
                        let mut loop_ = vec![start, node];
                        let mut at = node;
                        while let Some(&p) = previous.get(at) {
                            loop_.insert(1, p);
                            at = p;
                        }
                        loop_.dedup();
                        let shown = loop_.iter().chain([&start]).copied().collect::<Vec<_>>().join(" -> ");
                        found.push(format!("{}: {shown}", if parent.is_empty() { "crate".to_string() } else { parent.join("::") }));
                        queue.clear();
                        break;
                    }
                    if next != start && !previous.contains_key(next) {
                        previous.insert(next, node);
                        queue.push_back(next);
                    }
                }
            }
        }
    }
    found.sort();
    found.dedup();
    found
}

#[test]
fn no_sibling_modules_depend_on_each_other_in_a_cycle() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = Vec::new();
    rust_files(&src, &mut files);
    let modules: BTreeSet<ModulePath> = files.iter().map(|f| module_of(&src, f)).collect();
    let mut uses = Vec::new();
    for file in &files {
        let module = module_of(&src, file);
        let code = code_of(&std::fs::read_to_string(file).unwrap());
        uses.extend(referenced(&code, &module).into_iter().map(|to| (module.clone(), to)));
    }
    let found = cycles(&sibling_edges(&modules, &uses));
    assert!(found.is_empty(), "module cycles (let the parent declare what both need, or move it down):\n{}", found.join("\n"));
}

#[test]
fn the_check_sees_a_cycle_through_use_groups_and_super() {
    let modules: BTreeSet<ModulePath> =
        [vec![], vec!["a".into()], vec!["a".into(), "x".into()], vec!["a".into(), "y".into()]].into_iter().collect();
    let x: ModulePath = vec!["a".into(), "x".into()];
    let y: ModulePath = vec!["a".into(), "y".into()];
    let mut uses: Vec<(ModulePath, ModulePath)> =
        referenced("use crate::{a::y::Thing, tables};", &x).into_iter().map(|to| (x.clone(), to)).collect();
    assert!(cycles(&sibling_edges(&modules, &uses)).is_empty(), "one way is fine");
    uses.extend(referenced("fn f() { super::x::g() }", &y).into_iter().map(|to| (y.clone(), to)));
    assert_eq!(cycles(&sibling_edges(&modules, &uses)), ["a: x -> y -> x", "a: y -> x -> y"]);
}
