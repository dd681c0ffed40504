//! Turns `locales/<language>/*.toml` into a `Messages` struct with one constant per language, so a
//! missing or misspelt key is a compile error instead of a blank on a page. Each feature keeps its
//! texts in its own file; a key defined in two files of one language is an error.

// A build script reports failure by panicking, with the message cargo shows.
#![allow(clippy::unwrap_used)]

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::Path;

/// (constant name, locale folder); the first is the reference every other must match.
const LANGUAGES: [(&str, &str); 2] = [("ID", "id"), ("EN", "en")];

fn main() {
    println!("cargo::rerun-if-changed=locales");
    let locales: Vec<_> = LANGUAGES
        .iter()
        .map(|&(constant, stem)| (constant, load_folder(&Path::new("locales").join(stem))))
        .collect();

    let (reference_name, reference) = &locales[0];
    for (name, messages) in &locales[1..] {
        let missing: Vec<_> = reference
            .keys()
            .filter(|k| !messages.contains_key(*k))
            .collect();
        let extra: Vec<_> = messages
            .keys()
            .filter(|k| !reference.contains_key(*k))
            .collect();
        assert!(
            missing.is_empty() && extra.is_empty(),
            "locale {name} differs from {reference_name}: missing {missing:?}, extra {extra:?}"
        );
    }

    let mut code = String::from(
        "/// Every user-visible string, one field per key of `locales/*.toml`.\n\
         #[derive(Debug)]\npub struct Messages {\n",
    );
    for key in reference.keys() {
        writeln!(code, "    pub {key}: &'static str,").unwrap();
    }
    code.push_str("}\n");
    for (name, messages) in &locales {
        writeln!(code, "pub const {name}: Messages = Messages {{").unwrap();
        for (key, text) in messages {
            writeln!(code, "    {key}: {text:?},").unwrap();
        }
        code.push_str("};\n");
    }
    let out = Path::new(&std::env::var("OUT_DIR").unwrap()).join("messages.rs");
    std::fs::write(out, code).unwrap();
}

/// Reads every `.toml` file of one language's folder into one map.
fn load_folder(folder: &Path) -> BTreeMap<String, String> {
    let mut files: Vec<_> = std::fs::read_dir(folder)
        .unwrap_or_else(|e| panic!("{}: {e}", folder.display()))
        .map(|entry| entry.unwrap().path())
        .filter(|path| path.extension().is_some_and(|ext| ext == "toml"))
        .collect();
    files.sort();
    let mut merged = BTreeMap::new();
    for file in files {
        for (key, text) in load(&file) {
            let path = file.display();
            assert!(
                merged.insert(key.clone(), text).is_none(),
                "{path}: key `{key}` is already defined in another file of this language"
            );
        }
    }
    merged
}

/// Reads one locale file into `table_key` → text, tables joined to their keys with `_`.
fn load(path: &Path) -> BTreeMap<String, String> {
    let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let table: toml::Table =
        toml::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let mut flat = BTreeMap::new();
    flatten(path, "", &table, &mut flat);
    flat
}

fn flatten(path: &Path, prefix: &str, table: &toml::Table, flat: &mut BTreeMap<String, String>) {
    for (key, value) in table {
        assert!(
            !key.is_empty()
                && key
                    .chars()
                    .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_'),
            "{}: key `{key}` must be lower_snake_case",
            path.display()
        );
        let full = if prefix.is_empty() {
            key.clone()
        } else {
            format!("{prefix}_{key}")
        };
        match value {
            toml::Value::String(text) => {
                flat.insert(full, text.clone());
            }
            toml::Value::Table(inner) => flatten(path, &full, inner, flat),
            other => panic!(
                "{}: `{full}` must be text or a table, found {}",
                path.display(),
                other.type_str()
            ),
        }
    }
}
