//! The server's layout, checked: dependencies between the files of `server/src` point one
//! way (no import cycle, between files or between top-level modules), SQL is written only
//! under `db/`, and roles and organisation kinds are compared only as types.
//!
//! The checks read the source, not the compiled crate: a file depends on another when it
//! names a path into it (`crate::log::sequencer::…`, `super::…`, or a child module it
//! declares), outside comments and `#[cfg(test)]` modules. A path is resolved to the
//! deepest file it names; a re-export counts as a dependency of the file that makes it.
#![allow(clippy::unwrap_used)] // Tests: a failed unwrap is a failed test.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

fn source_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("src")
}

/// Every `.rs` file under `src`, by its path relative to `src` (`log/sequencer.rs`).
fn files() -> BTreeMap<String, String> {
    fn walk(dir: &Path, root: &Path, out: &mut BTreeMap<String, String>) {
        let mut entries: Vec<_> = std::fs::read_dir(dir)
            .expect("read src")
            .map(|e| e.expect("entry").path())
            .collect();
        entries.sort();
        for path in entries {
            if path.is_dir() {
                walk(&path, root, out);
            } else if path.extension().is_some_and(|e| e == "rs") {
                let relative = path
                    .strip_prefix(root)
                    .expect("under src")
                    .to_string_lossy()
                    .replace('\\', "/");
                out.insert(relative, std::fs::read_to_string(&path).expect("read file"));
            }
        }
    }
    let mut out = BTreeMap::new();
    walk(&source_root(), &source_root(), &mut out);
    out
}

/// The code of a file without comments and without its `#[cfg(test)]` module.
fn code(text: &str) -> String {
    let text = match text.find("#[cfg(test)]\nmod tests") {
        Some(at) => &text[..at],
        None => text,
    };
    text.lines()
        .map(|line| {
            // Comments start at `//` outside a string; strings with `//` (URLs) lose only
            // their tail, which holds no path.
            let mut in_string = false;
            let bytes = line.as_bytes();
            for i in 0..bytes.len() {
                match bytes[i] {
                    b'"' if i == 0 || bytes[i - 1] != b'\\' => in_string = !in_string,
                    b'/' if !in_string && bytes.get(i + 1) == Some(&b'/') => return &line[..i],
                    _ => {}
                }
            }
            line
        })
        .collect::<Vec<_>>()
        .join("\n")
}

/// The module path of a file: `log/sequencer.rs` is `["log", "sequencer"]`, `lib.rs` and
/// `main.rs` the root.
fn module_of(file: &str) -> Vec<String> {
    let trimmed = file.trim_end_matches(".rs");
    let mut parts: Vec<String> = trimmed.split('/').map(str::to_owned).collect();
    if parts
        .last()
        .is_some_and(|p| p == "mod" || p == "lib" || p == "main")
    {
        parts.pop();
    }
    parts
}

/// The file that defines the module at `path`, if there is one.
fn file_of(path: &[String], files: &BTreeMap<String, String>) -> Option<String> {
    if path.is_empty() {
        return Some("lib.rs".to_owned());
    }
    let joined = path.join("/");
    [format!("{joined}.rs"), format!("{joined}/mod.rs")]
        .into_iter()
        .find(|f| files.contains_key(f))
}

/// The deepest file a path names, read from `start` (a module path) along `segments`.
fn resolve(
    start: &[String],
    segments: &[&str],
    files: &BTreeMap<String, String>,
) -> Option<String> {
    let mut path = start.to_vec();
    let mut found = None;
    for segment in segments {
        path.push((*segment).to_owned());
        match file_of(&path, files) {
            Some(file) => found = Some(file),
            None => break,
        }
    }
    found
}

/// The paths a `use` tree names: `crate::db::{self, outbox::{self, Row}}` gives
/// `crate::db`, `crate::db::outbox` and `crate::db::outbox::Row` (an alias is dropped).
fn expand(tree: &str) -> Vec<String> {
    let tree = tree.trim();
    let Some(open) = tree.find('{') else {
        let path = tree.split(" as ").next().unwrap_or(tree).trim();
        return vec![path.to_owned()];
    };
    let prefix = tree[..open].trim().trim_end_matches("::");
    let close = tree.rfind('}').filter(|c| *c > open).unwrap_or(tree.len());
    let inner = &tree[open + 1..close];
    let mut items = Vec::new();
    let (mut depth, mut start) = (0, 0);
    for (i, c) in inner.char_indices() {
        match c {
            '{' => depth += 1,
            '}' => depth -= 1,
            ',' if depth == 0 => {
                items.push(&inner[start..i]);
                start = i + 1;
            }
            _ => {}
        }
    }
    items.push(&inner[start..]);
    items
        .into_iter()
        .map(str::trim)
        .filter(|item| !item.is_empty())
        .flat_map(|item| {
            expand(item)
                .into_iter()
                .map(move |path| match path.as_str() {
                    "self" => prefix.to_owned(),
                    _ if prefix.is_empty() => path,
                    _ => format!("{prefix}::{path}"),
                })
        })
        .collect()
}

/// The paths named by the `use` declarations of a file's code, expanded: each starts a
/// line (after `pub`, `pub(crate)` or `pub(super)`) and ends at its `;`.
fn use_paths(code: &str) -> Vec<String> {
    let mut paths = Vec::new();
    let mut lines = code.lines();
    while let Some(line) = lines.next() {
        let trimmed = line.trim_start();
        let declaration = ["use ", "pub use ", "pub(crate) use ", "pub(super) use "]
            .iter()
            .find_map(|prefix| trimmed.strip_prefix(prefix));
        let Some(start) = declaration else {
            continue;
        };
        let mut tree = start.to_owned();
        while !tree.contains(';') {
            match lines.next() {
                Some(more) => tree.push_str(more),
                None => break,
            }
        }
        let tree = tree.split(';').next().unwrap_or_default();
        let tree: String = tree.split_whitespace().collect::<Vec<_>>().join(" ");
        paths.extend(expand(&tree));
    }
    paths
}

/// Every file each file depends on.
fn dependencies(files: &BTreeMap<String, String>) -> BTreeMap<String, BTreeSet<String>> {
    let mut graph = BTreeMap::new();
    for (file, text) in files {
        let code = code(text);
        let here = module_of(file);
        let is_module_root = file.ends_with("mod.rs") || file == "lib.rs" || file == "main.rs";
        // A file that is not a `mod.rs` is its own module; `super` is its parent.
        let parent: Vec<String> = here[..here.len().saturating_sub(1)].to_vec();
        let children: Vec<String> = code
            .lines()
            .filter_map(|l| {
                let l = l.trim();
                let l = l.strip_prefix("pub ").unwrap_or(l);
                let name = l.strip_prefix("mod ")?.strip_suffix(';')?;
                Some(name.trim().to_owned())
            })
            .collect();
        let mut targets = BTreeSet::new();
        let expanded = use_paths(&code);
        let words: Vec<&str> = code
            .split(|c: char| !(c.is_alphanumeric() || c == '_' || c == ':'))
            .filter(|w| w.contains("::"))
            .chain(expanded.iter().map(String::as_str))
            .collect();
        for word in words {
            let segments: Vec<&str> = word.split("::").filter(|s| !s.is_empty()).collect();
            let Some(first) = segments.first() else {
                continue;
            };
            let target = match *first {
                "crate" => resolve(&[], &segments[1..], files),
                "super" => {
                    let mut base = if is_module_root {
                        here[..here.len().saturating_sub(1)].to_vec()
                    } else {
                        parent.clone()
                    };
                    let mut rest = &segments[1..];
                    while rest.first() == Some(&"super") {
                        base.pop();
                        rest = &rest[1..];
                    }
                    resolve(&base, rest, files).or_else(|| file_of(&base, files))
                }
                // A child module: `a/mod.rs` and `a/b.rs` alike have theirs under `a/`
                // and `a/b/` (`here` is the module's own path either way).
                name if children.iter().any(|c| c == name) => resolve(&here, &segments, files),
                _ => None,
            };
            if let Some(target) = target
                && &target != file
            {
                targets.insert(target);
            }
        }
        // `use super::*;` and the like name the parent's file without a further segment.
        if code.contains("super::*") {
            let base = if is_module_root {
                here[..here.len().saturating_sub(1)].to_vec()
            } else {
                parent.clone()
            };
            if let Some(target) = file_of(&base, files)
                && &target != file
            {
                targets.insert(target);
            }
        }
        graph.insert(file.clone(), targets);
    }
    // The binary is its own crate: it reaches the library by name, never by `crate::`.
    graph.remove("main.rs");
    graph
}

/// The strongly connected components with more than one member (Tarjan's algorithm).
fn cycles(graph: &BTreeMap<String, BTreeSet<String>>) -> Vec<Vec<String>> {
    struct Walk<'g> {
        graph: &'g BTreeMap<String, BTreeSet<String>>,
        index: BTreeMap<&'g str, usize>,
        low: BTreeMap<&'g str, usize>,
        stack: Vec<&'g str>,
        on_stack: BTreeSet<&'g str>,
        next: usize,
        found: Vec<Vec<String>>,
    }
    impl<'g> Walk<'g> {
        fn visit(&mut self, node: &'g str) {
            self.index.insert(node, self.next);
            self.low.insert(node, self.next);
            self.next += 1;
            self.stack.push(node);
            self.on_stack.insert(node);
            let graph = self.graph;
            for next in graph.get(node).into_iter().flatten() {
                let next = next.as_str();
                if !graph.contains_key(next) {
                    continue;
                }
                if !self.index.contains_key(next) {
                    self.visit(next);
                    let low = self.low[node].min(self.low[next]);
                    self.low.insert(node, low);
                } else if self.on_stack.contains(next) {
                    let low = self.low[node].min(self.index[next]);
                    self.low.insert(node, low);
                }
            }
            if self.low[node] == self.index[node] {
                let mut component = Vec::new();
                while let Some(top) = self.stack.pop() {
                    self.on_stack.remove(top);
                    component.push(top.to_owned());
                    if top == node {
                        break;
                    }
                }
                if component.len() > 1 {
                    component.sort();
                    self.found.push(component);
                }
            }
        }
    }
    let mut walk = Walk {
        graph,
        index: BTreeMap::new(),
        low: BTreeMap::new(),
        stack: Vec::new(),
        on_stack: BTreeSet::new(),
        next: 0,
        found: Vec::new(),
    };
    for node in graph.keys() {
        if !walk.index.contains_key(node.as_str()) {
            walk.visit(node);
        }
    }
    walk.found
}

/// The top-level module of a file: `log/sequencer.rs` is in `log`, `app.rs` is `app`.
fn top_level(file: &str) -> String {
    file.split('/')
        .next()
        .unwrap_or(file)
        .trim_end_matches(".rs")
        .to_owned()
}

#[test]
fn no_file_of_the_server_depends_on_itself_through_others() {
    let graph = dependencies(&files());
    // The checker sees the dependencies it must (a sanity check of its parsing).
    assert!(graph["log/sequencer.rs"].contains("db/mod.rs"), "{graph:?}");
    assert!(
        graph["routes/mod.rs"].contains("routes/statements.rs"),
        "{graph:?}"
    );
    let found = cycles(&graph);
    let edges: Vec<String> = found
        .iter()
        .flat_map(|component| {
            let graph = &graph;
            component.iter().flat_map(move |from| {
                graph[from]
                    .iter()
                    .filter(|to| component.contains(to))
                    .map(move |to| format!("{from} -> {to}"))
            })
        })
        .collect();
    assert!(
        found.is_empty(),
        "import cycles between files: {found:#?}\nthrough: {edges:#?}"
    );
}

#[test]
fn top_level_modules_depend_on_each_other_one_way() {
    let graph = dependencies(&files());
    let mut modules: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for (file, targets) in &graph {
        let from = top_level(file);
        let entry = modules.entry(from.clone()).or_default();
        for target in targets {
            let to = top_level(target);
            // `lib.rs` declares the modules and re-exports the application.
            if to != from && from != "lib" && to != "lib" {
                entry.insert(to);
            }
        }
    }
    let found = cycles(&modules);
    assert!(
        found.is_empty(),
        "cycles between top-level modules: {found:#?}"
    );
    // The rules know nothing of the database, the log's machinery or HTTP.
    for forbidden in [
        "db",
        "log",
        "routes",
        "auth",
        "app",
        "notify",
        "scheduler",
        "outbox",
    ] {
        assert!(
            !modules["domain"].contains(forbidden),
            "domain depends on {forbidden}: {:?}",
            modules["domain"]
        );
    }
    // Nor does the domain use actix, diesel or tokio.
    for (file, text) in files() {
        if file.starts_with("domain/") {
            let code = code(&text);
            for crate_name in [
                "actix_web",
                "diesel",
                "tokio",
                "ureq",
                "r2d2",
                "std::fs",
                "std::net",
            ] {
                assert!(
                    !code.contains(&format!("{crate_name}::")),
                    "{file} uses {crate_name}"
                );
            }
        }
    }
}

/// Whether the code writes SQL or builds queries: diesel's query builder or raw SQL.
fn has_sql(code: &str) -> bool {
    [
        "sql_query(",
        "insert_into(",
        "diesel::update(",
        "diesel::delete(",
        "diesel::select(",
        // diesel's tables (`db/schema.rs`), however they are imported.
        "schema::",
        ".execute(conn",
        ".execute(&mut",
        ".load(conn",
        ".load(&mut",
        ".load::<",
        ".get_result(",
        ".get_results(",
        ".first(conn",
        ".first(&mut",
        ".first::<",
        ".get_result::<",
        ".get_results::<",
        "diesel::dsl::sql",
        "PgConnection::establish",
    ]
    .iter()
    .any(|needle| code.contains(needle))
}

#[test]
fn sql_lives_under_db() {
    let mut outside = BTreeSet::new();
    for (file, text) in files() {
        if !file.starts_with("db/") && has_sql(&code(&text)) {
            outside.insert(file);
        }
    }
    assert!(
        outside.is_empty(),
        "SQL outside db/ in {outside:?}: put the queries in db/"
    );
}

/// The names of roles and organisation kinds, which only `domain/types.rs` compares.
const IDENTITIES: [&str; 9] = [
    "platform",
    "platform_admin",
    "organisation_admin",
    "procurement_officer",
    "bidder_representative",
    "supervisor",
    "buyer",
    "supplier",
    "charity",
];

#[test]
fn roles_and_organisation_kinds_are_compared_as_types() {
    let mut found = Vec::new();
    for (file, text) in files() {
        if file == "domain/types.rs" {
            continue;
        }
        let code = code(&text);
        for name in IDENTITIES {
            let quoted = format!("\"{name}\"");
            let patterns = [
                format!("== {quoted}"),
                format!("!= {quoted}"),
                format!("{quoted} =>"),
                format!("| {quoted}"),
                format!("{quoted} |"),
                format!("Some({quoted})"),
                format!("contains(&{quoted})"),
                format!(".eq({quoted})"),
                format!("{quoted} =="),
                format!("{quoted} !="),
                format!("{quoted}) =>"),
                // In SQL: `role IN ('supplier', …)`, `kind = 'buyer'`.
                format!("'{name}'"),
            ];
            for pattern in patterns {
                if code.contains(&pattern) {
                    found.push(format!("{file}: {pattern}"));
                }
            }
            // A list of names checked for membership, or a `matches!` of names.
            for line in code.lines() {
                if line.contains(&quoted)
                    && (line.contains(".contains(") || line.contains("matches!"))
                {
                    found.push(format!("{file}: {}", line.trim()));
                }
            }
        }
    }
    assert!(
        found.is_empty(),
        "roles or organisation kinds compared as text (use Role and OrganisationKind): {found:#?}"
    );
}
