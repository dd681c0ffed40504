//! Names the commit this binary is built from (`WEBRANA_COMMIT`, for the Sentry release and the
//! admin health page), read from `.git` without running git: a build from a source archive or
//! an image's build context has no `.git` and no commit, which is fine.

use std::fs;
use std::path::{Path, PathBuf};

fn main() {
    let git = Path::new(env!("CARGO_MANIFEST_DIR")).join("../.git");
    let head = git.join("HEAD");
    println!("cargo:rerun-if-changed={}", head.display());
    let Ok(head_text) = fs::read_to_string(&head) else {
        return;
    };
    let head_text = head_text.trim();
    let commit = match head_text.strip_prefix("ref: ") {
        Some(reference) => {
            let file: PathBuf = git.join(reference);
            println!("cargo:rerun-if-changed={}", file.display());
            println!(
                "cargo:rerun-if-changed={}",
                git.join("packed-refs").display()
            );
            fs::read_to_string(&file)
                .ok()
                .or_else(|| packed_ref(&git, reference))
        }
        None => Some(head_text.to_owned()),
    };
    if let Some(commit) = commit {
        let commit = commit.trim();
        if commit.len() >= 12 && commit.chars().all(|c| c.is_ascii_hexdigit()) {
            println!("cargo:rustc-env=WEBRANA_COMMIT={}", &commit[..12]);
        }
    }
}

/// A branch whose ref was packed (after `git gc`, in fresh clones) lives in `packed-refs`.
fn packed_ref(git: &Path, reference: &str) -> Option<String> {
    let packed = fs::read_to_string(git.join("packed-refs")).ok()?;
    packed.lines().find_map(|line| {
        let (commit, name) = line.split_once(' ')?;
        (name == reference).then(|| commit.to_owned())
    })
}
