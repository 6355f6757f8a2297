//! The architecture invariants of ARCHITECTURE.md, checked against the source text so they stay true.
//!
//! Each test reads `backend/server/src` and fails naming the files (and lines) that break a rule: SQL only in
//! `store/`; nothing below the HTTP layer imports `api`; events are built only from the typed vocabulary; HTTP
//! handlers stay a screenful. Test modules (`#[cfg(test)]` to the end of a file) are not checked.

use std::path::{Path, PathBuf};

/// Every `.rs` file under `src/`, with its path relative to `src/` (forward slashes) and its text up to its
/// test module.
fn sources() -> Vec<(String, String)> {
    fn walk(dir: &Path, out: &mut Vec<PathBuf>) {
        let Ok(entries) = std::fs::read_dir(dir) else {
            return;
        };
        for e in entries.flatten() {
            let p = e.path();
            if p.is_dir() {
                walk(&p, out);
            } else if p.extension().is_some_and(|x| x == "rs") {
                out.push(p);
            }
        }
    }
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut paths = Vec::new();
    walk(&root, &mut paths);
    paths.sort();
    paths
        .into_iter()
        .filter_map(|p| {
            let text = std::fs::read_to_string(&p).ok()?;
            let text = match text.find("#[cfg(test)]") {
                Some(i) => text[..i].to_owned(),
                None => text,
            };
            let rel = p
                .strip_prefix(&root)
                .ok()?
                .to_string_lossy()
                .replace('\\', "/");
            Some((rel, text))
        })
        .collect()
}

/// `file:line: text` for every line of the non-test sources outside the `allowed` folders that `hit` matches.
fn offending(allowed: &[&str], hit: impl Fn(&str) -> bool) -> Vec<String> {
    let mut found = Vec::new();
    for (file, text) in sources() {
        if allowed.iter().any(|a| file.starts_with(a)) {
            continue;
        }
        for (n, line) in text.lines().enumerate() {
            let code = line.trim_start();
            if code.starts_with("//") {
                continue;
            }
            if hit(line) {
                found.push(format!("{file}:{}: {}", n + 1, code));
            }
        }
    }
    found
}

#[test]
fn only_the_store_speaks_sql() {
    let sql = ["\"SELECT ", "\"INSERT INTO ", "\"DELETE FROM ", "\"WITH "];
    let found = offending(&["store/", "architecture.rs"], |line| {
        sql.iter().any(|s| line.contains(s))
            || line
                .find("\"UPDATE ")
                .is_some_and(|i| line[i..].contains(" SET "))
    });
    assert!(
        found.is_empty(),
        "SQL outside backend/server/src/store (write a named store function instead):\n{}",
        found.join("\n")
    );
}

#[test]
fn nothing_below_the_http_layer_imports_it() {
    // `app` wires the router into the server; everything else below or beside the HTTP edge reaches the
    // workflows through `service`, never through `api`.
    let found = offending(&["api/", "app.rs", "architecture.rs"], |line| {
        line.contains("crate::api")
    });
    assert!(
        found.is_empty(),
        "imports of crate::api outside the HTTP layer:\n{}",
        found.join("\n")
    );
}

#[test]
fn events_are_built_only_from_the_typed_vocabulary() {
    // A log row is made by `DomainEvent::to`; nobody else spells a type string into one or compares them.
    let found = offending(&["events/", "store/", "architecture.rs"], |line| {
        (line.contains("NewEvent {") && !line.contains("-> NewEvent {"))
            || line.contains("event_type ==")
            || line.contains("event_type.starts_with(")
            || line.contains("event_type: \"")
    });
    assert!(
        found.is_empty(),
        "events built or matched by their type string outside crate::events:\n{}",
        found.join("\n")
    );
}

#[test]
fn http_handlers_are_a_screenful() {
    // A handler parses, authorises, calls one service and serialises; more than this is a workflow that
    // belongs in `service`.
    const MAX_LINES: usize = 60;
    let mut long = Vec::new();
    for (file, text) in sources() {
        if !file.starts_with("api/") {
            continue;
        }
        let lines: Vec<&str> = text.lines().collect();
        let mut i = 0;
        while i < lines.len() {
            if !lines[i].trim_start().starts_with("#[utoipa::path") {
                i += 1;
                continue;
            }
            let Some(start) = (i..lines.len()).find(|&j| lines[j].contains("fn ")) else {
                break;
            };
            let mut depth = 0i32;
            let mut opened = false;
            let mut end = start;
            for (j, line) in lines.iter().enumerate().skip(start) {
                depth += line.matches('{').count() as i32 - line.matches('}').count() as i32;
                opened |= line.contains('{');
                end = j;
                if opened && depth <= 0 {
                    break;
                }
            }
            let len = end - start + 1;
            if len > MAX_LINES {
                long.push(format!("{file}:{}: {len} lines", start + 1));
            }
            i = end + 1;
        }
    }
    assert!(
        long.is_empty(),
        "handlers longer than {MAX_LINES} lines (move the workflow into a service):\n{}",
        long.join("\n")
    );
}
