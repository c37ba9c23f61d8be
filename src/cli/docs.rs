//! `mcast generate DIR`: writes the man pages and shell completions from the clap definition.
//!
//! The committed copies under man/ and completions/ are made by
//! `cargo run -- generate .`, and a test fails when they differ from what this writes.

use std::path::{Path, PathBuf};

use anyhow::{Context, Result};
use clap::Args;
use clap_complete::Shell;

use super::exit::Exit;

#[derive(Args, Debug)]
pub struct GenerateArgs {
    /// Directory to write man/ and completions/ under
    #[arg(value_name = "DIR")]
    dir: PathBuf,
}

/// Every generated file: its path under the output directory, and its content.
pub fn files() -> Result<Vec<(PathBuf, Vec<u8>)>> {
    let cmd = super::command();
    let mut files = Vec::new();
    let mut page = Vec::new();
    clap_mangen::Man::new(cmd.clone()).render(&mut page)?;
    files.push((PathBuf::from("man/mcast.1"), page));
    for sub in cmd.get_subcommands().filter(|s| !s.is_hide_set()) {
        let name = format!("mcast-{}", sub.get_name());
        let mut page = Vec::new();
        clap_mangen::Man::new(sub.clone().name(name.clone())).render(&mut page)?;
        files.push((PathBuf::from(format!("man/{name}.1")), page));
    }
    for (shell, file) in [
        (Shell::Bash, "mcast.bash"),
        (Shell::Zsh, "_mcast"),
        (Shell::Fish, "mcast.fish"),
    ] {
        let mut out = Vec::new();
        clap_complete::generate(shell, &mut cmd.clone(), "mcast", &mut out);
        files.push((Path::new("completions").join(file), out));
    }
    Ok(files)
}

pub fn run(args: GenerateArgs) -> Result<Exit> {
    for (path, content) in files()? {
        let path = args.dir.join(path);
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
