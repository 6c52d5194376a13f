//! The layering rule, kept by a test: the web front, the command line and the background jobs
//! are adapters that reach the database only through the services. No source file of
//! `crates/web/src`, `crates/cli/src` or `crates/jobs/src` may name the store, and their manifests may list `chiso-store` only as a
//! dev-dependency (tests seed and inspect databases directly). The composition root gets its
//! `Db` from `chiso_services::system`.

use std::path::{Path, PathBuf};

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

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

/// Every `crates/…/src` file naming the store, as `path:line`.
fn store_mentions(krate: &str) -> Vec<String> {
    let mut files = Vec::new();
    rust_files(&root().join("crates").join(krate).join("src"), &mut files);
    assert!(!files.is_empty(), "no sources found for {krate}");
    let mut found = Vec::new();
    for file in files {
        let rel = file
            .strip_prefix(root())
            .unwrap()
            .to_string_lossy()
            .replace('\\', "/");
        let text = std::fs::read_to_string(&file).unwrap();
        for (i, line) in text.lines().enumerate() {
            if line.contains("chiso_store") || line.contains("chiso-store") {
                found.push(format!("{rel}:{}", i + 1));
            }
        }
    }
    found
}

/// The `[section]` of a manifest each `chiso-store` line sits in.
fn store_sections(krate: &str) -> Vec<String> {
    let manifest =
        std::fs::read_to_string(root().join("crates").join(krate).join("Cargo.toml")).unwrap();
    let mut section = String::new();
    let mut found = Vec::new();
    for line in manifest.lines().map(str::trim) {
        if line.starts_with('[') {
            section = line.trim_matches(['[', ']']).to_owned();
        } else if line.starts_with("chiso-store") {
            found.push(section.clone());
        }
    }
    found
}

#[test]
fn the_web_the_command_line_and_the_jobs_do_not_name_the_store() {
    for krate in ["web", "cli", "jobs"] {
        let found = store_mentions(krate);
        assert!(
            found.is_empty(),
            "{krate} reaches the store directly; go through a service: {found:?}"
        );
    }
}

#[test]
fn the_adapters_list_the_store_only_for_their_tests() {
    for krate in ["web", "cli", "jobs"] {
        assert_eq!(store_sections(krate), ["dev-dependencies"], "{krate}");
    }
}

#[test]
fn a_mention_of_the_store_would_be_found() {
    // The scanner itself: the services do name the store, so it must find them.
    assert!(!store_mentions("services").is_empty());
    assert_eq!(
        store_sections("services"),
        ["dependencies", "dev-dependencies"]
    );
}
