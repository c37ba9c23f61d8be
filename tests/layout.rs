//! The rules the source layout keeps (README, Layout), read from the sources themselves:
//! the library names no command line, no command's room imports another's, the crate's OS
//! `cfg` lives in `src/sys/` only, and the README's table names every folder of sources.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// Every `.rs` file under `dir`, as paths relative to the crate root.
fn sources(dir: &str) -> Vec<PathBuf> {
    fn walk(dir: &Path, out: &mut Vec<PathBuf>) {
        let Ok(entries) = std::fs::read_dir(dir) else {
            return;
        };
        for e in entries.flatten() {
            let path = e.path();
            if e.file_type().is_ok_and(|t| t.is_dir()) {
                walk(&path, out);
            } else if path.extension().is_some_and(|x| x == "rs") {
                out.push(path);
            }
        }
    }
    let mut out = Vec::new();
    walk(&root().join(dir), &mut out);
    out.sort();
    out.into_iter()
        .map(|p| p.strip_prefix(root()).unwrap().to_path_buf())
        .collect()
}

fn text(path: &Path) -> String {
    std::fs::read_to_string(root().join(path)).unwrap()
}

/// The code of a file without its comments (so prose may name what code may not).
fn code(path: &Path) -> String {
    text(path)
        .lines()
        .map(|l| match l.find("//") {
            Some(i) => &l[..i],
            None => l,
        })
        .collect::<Vec<_>>()
        .join("\n")
}

#[test]
fn nothing_outside_the_command_line_names_it() {
    let mut found = Vec::new();
    for path in sources("src") {
        let p = path.to_string_lossy();
        if p.starts_with("src/cli/") || p == "src/main.rs" {
            continue;
        }
        let c = code(&path);
        for word in [
            "clap",
            "anyhow",
            "crate::cli",
            "feature = \"cli\"",
            "humantime",
        ] {
            if c.contains(word) {
                found.push(format!("{p} names {word}"));
            }
        }
    }
    assert!(found.is_empty(), "{found:#?}");
}

/// The command a file of `src/cli/commands/` belongs to.
fn command_of(path: &Path) -> Option<String> {
    let rel = path.strip_prefix("src/cli/commands").ok()?;
    let first = rel.components().next()?.as_os_str().to_string_lossy();
    (first != "mod.rs").then(|| first.trim_end_matches(".rs").to_string())
}

#[test]
fn no_command_imports_another_commands_room() {
    let commands: BTreeSet<String> = sources("src/cli/commands")
        .iter()
        .filter_map(|p| command_of(p))
        .collect();
    assert!(commands.len() >= 10, "{commands:?}");
    let mut found = Vec::new();
    for path in sources("src/cli/commands") {
        let Some(own) = command_of(&path) else {
            continue;
        };
        // A command's file reaches the commands' folder by `super::` (a file of its own) or
        // `super::super::` (a part in its folder), or by the full path.
        let depth = path.components().count() - 3;
        let up = "super::".repeat(depth);
        let c = code(&path);
        for other in commands.iter().filter(|o| **o != own) {
            for reach in [format!("commands::{other}"), format!("{up}{other}")] {
                if c.contains(&format!("{reach}::")) || c.contains(&format!("{reach};")) {
                    found.push(format!("{} reaches {reach}", path.display()));
                }
            }
        }
    }
    assert!(found.is_empty(), "{found:#?}");
}

#[test]
fn os_cfg_lives_in_sys_only() {
    let os_words = [
        "target_os",
        "target_family",
        "target_vendor",
        "unix",
        "windows",
        "target_env",
    ];
    let mut found = Vec::new();
    // The crate's sources; the lab tests and benches are Linux's by nature (namespaces).
    for path in sources("src") {
        if path.starts_with("src/sys") {
            continue;
        }
        for (n, line) in code(&path).lines().enumerate() {
            let Some(at) = line.find("cfg(").or_else(|| line.find("cfg!(")) else {
                continue;
            };
            let cond = &line[at..];
            if os_words.iter().any(|w| cond.contains(w)) {
                found.push(format!("{}:{}: {}", path.display(), n + 1, line.trim()));
            }
        }
    }
    assert!(found.is_empty(), "{found:#?}");
}

#[test]
fn the_readme_table_names_every_folder_of_sources() {
    let readme = text(Path::new("README.md"));
    let section = readme
        .split("## Layout")
        .nth(1)
        .and_then(|s| s.split("\n## ").next())
        .expect("README has a Layout section");
    // The folders the table's first column names ("`src/cli/commands/send/`, `recv/`": a
    // name ending in / continues the path of the one before it).
    let mut named = BTreeSet::new();
    for row in section.lines().filter(|l| l.starts_with("| `")) {
        let first = row.split('|').nth(1).unwrap_or("");
        let mut parent = String::new();
        for cell in first.split(',') {
            let name = cell
                .trim()
                .trim_matches('`')
                .trim_end_matches('/')
                .to_string();
            let full = if name.contains('/') || parent.is_empty() {
                name
            } else {
                format!("{parent}/{name}")
            };
            parent = Path::new(&full)
                .parent()
                .map(|p| p.to_string_lossy().into_owned())
                .unwrap_or_default();
            named.insert(full);
        }
    }
    let mut folders = BTreeSet::new();
    for dir in ["src", "tests", "benches", "fuzz/fuzz_targets"] {
        for path in sources(dir) {
            let folder = path.parent().unwrap().to_string_lossy().into_owned();
            folders.insert(folder);
        }
    }
    // tests/lab and tests/common are named in the tests row's words.
    let described: BTreeSet<String> = folders
        .iter()
        .filter(|f| named.contains(*f) || section.contains(&format!("`{f}/`")))
        .cloned()
        .collect();
    let missing: Vec<&String> = folders.difference(&described).collect();
    assert!(
        missing.is_empty(),
        "folders the README's Layout does not name: {missing:?}"
    );
    let stale: Vec<&String> = named.difference(&folders).collect();
    assert!(
        stale.is_empty(),
        "the README's Layout names folders that are gone: {stale:?}"
    );
}

#[test]
fn no_folder_holds_half_of_the_crate() {
    let all = sources("src");
    let lines = |p: &PathBuf| text(p).lines().count();
    let total: usize = all.iter().map(lines).sum();
    let mut by_folder = std::collections::BTreeMap::<String, usize>::new();
    for p in &all {
        // The command line as a whole counts as one folder, its rooms included.
        let s = p.to_string_lossy();
        let folder = if s.starts_with("src/cli/") {
            "src/cli".to_string()
        } else {
            p.parent().unwrap().to_string_lossy().into_owned()
        };
        *by_folder.entry(folder).or_default() += lines(p);
    }
    let (largest, n) = by_folder.iter().max_by_key(|(_, n)| **n).unwrap();
    assert!(
        *n * 100 < total * 40,
        "{largest} holds {n} of {total} lines: more than 40 %"
    );
}
