//! `mcast completions SHELL` and `mcast manpages DIR`, which users install from, and the
//! hidden `mcast generate DIR` that writes the copies committed under man/ and completions/
//! (a test fails when those are stale).

mod completions;
mod json_monitor;
mod json_reference;
mod json_streams;
mod man;

use std::io::Write;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result};
use clap::Args;
use clap_complete::Shell;

use crate::cli::exit::Exit;

#[derive(Args, Debug)]
pub struct CompletionsArgs {
    /// The shell to complete for
    #[arg(value_name = "SHELL")]
    shell: Shell,
}

#[derive(Args, Debug)]
pub struct ManpagesArgs {
    /// A man directory to write man1/ and man7/ under (~/.cargo/share/man, /usr/local/share/man)
    #[arg(value_name = "DIR")]
    dir: PathBuf,
}

#[derive(Args, Debug)]
pub struct GenerateArgs {
    /// Directory to write man/ and completions/ under
    #[arg(value_name = "DIR")]
    dir: PathBuf,
}

/// The committed completion files, by shell.
const COMPLETION_FILES: [(Shell, &str); 3] = [
    (Shell::Bash, "mcast.bash"),
    (Shell::Zsh, "_mcast"),
    (Shell::Fish, "mcast.fish"),
];

/// Every man page: its file name and content.
pub fn pages() -> Result<Vec<(String, Vec<u8>)>> {
    let mut pages = man::command_pages(&super::command_for_docs())?;
    pages.push(("mcast-json.7".to_string(), json_reference::page()));
    Ok(pages)
}

/// Every generated file of the repository: its path under the output directory, and content.
pub fn files() -> Result<Vec<(PathBuf, Vec<u8>)>> {
    let mut files: Vec<(PathBuf, Vec<u8>)> = pages()?
        .into_iter()
        .map(|(name, page)| (Path::new("man").join(name), page))
        .collect();
    for (shell, file) in COMPLETION_FILES {
        files.push((
            Path::new("completions").join(file),
            completions::script(shell),
        ));
    }
    Ok(files)
}

pub fn completions(args: CompletionsArgs) -> Result<Exit> {
    let mut out = std::io::stdout().lock();
    out.write_all(&completions::script(args.shell))
        .and_then(|()| out.flush())
        .context("write the completion script to stdout")?;
    Ok(Exit::Success)
}

pub fn manpages(args: ManpagesArgs) -> Result<Exit> {
    // man looks for section N in manN/: mcast.1 in man1/, mcast-json.7 in man7/.
    let by_section = pages()?.into_iter().map(|(name, page)| {
        let section = name.rsplit('.').next().unwrap_or("1").to_string();
        (Path::new(&format!("man{section}")).join(name), page)
    });
    write_all(&args.dir, by_section)
}

pub fn generate(args: GenerateArgs) -> Result<Exit> {
    write_all(&args.dir, files()?)
}

fn write_all(dir: &Path, files: impl IntoIterator<Item = (PathBuf, Vec<u8>)>) -> Result<Exit> {
    for (path, content) in files {
        let path = dir.join(path);
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent)
                .with_context(|| format!("create {}", parent.display()))?;
        }
        std::fs::write(&path, content).with_context(|| format!("write {}", path.display()))?;
    }
    Ok(Exit::Success)
}

#[cfg(test)]
mod tests {
    /// The committed man pages and completions are what the clap definition makes now.
    #[test]
    fn generated_files_are_fresh() {
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
        for (path, content) in super::files().unwrap() {
            let committed = std::fs::read(root.join(&path)).unwrap_or_default();
            assert!(
                committed == content,
                "{} is stale: run `cargo run -- generate .` and commit",
                path.display()
            );
        }
    }
}
