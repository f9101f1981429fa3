//! Compiles the shipped programmes (content/programmes/*/*.md) into the
//! binary, so one file runs a service; a deployment adds or replaces
//! programmes from its own folder at start, without rebuilding.

use std::fmt::Write;
use std::path::Path;

fn main() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../content/programmes");
    println!("cargo:rerun-if-changed={}", root.display());
    let mut folders: Vec<_> = std::fs::read_dir(&root)
        .expect("content/programmes")
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| p.is_dir())
        .collect();
    folders.sort();
    let mut out = String::from(
        "/// Shipped programmes: (id, [(file name, text)]).\npub const BUILTIN_PROGRAMMES: &[(&str, &[(&str, &str)])] = &[\n",
    );
    for folder in folders {
        println!("cargo:rerun-if-changed={}", folder.display());
        let id = folder.file_name().unwrap().to_string_lossy().into_owned();
        let mut files: Vec<_> = std::fs::read_dir(&folder)
            .expect("programme folder")
            .filter_map(Result::ok)
            .map(|e| e.path())
            .filter(|p| p.extension().is_some_and(|x| x == "md"))
            .collect();
        files.sort();
        let _ = writeln!(out, "    ({id:?}, &[");
        for f in files {
            println!("cargo:rerun-if-changed={}", f.display());
            let name = f.file_name().unwrap().to_string_lossy().into_owned();
            let path = f.canonicalize().expect("programme file");
            let _ = writeln!(
                out,
                "        ({name:?}, include_str!({:?})),",
                path.display().to_string()
            );
        }
        out.push_str("    ]),\n");
    }
    out.push_str("];\n");
    let dest = Path::new(&std::env::var("OUT_DIR").expect("OUT_DIR")).join("builtin_programmes.rs");
    std::fs::write(dest, out).expect("write builtin_programmes.rs");
}
