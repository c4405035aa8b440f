//! Generates include/logrocket_identify.h from this crate with cbindgen. The header is committed;
//! it is rewritten only when its content changes, and scripts/test-c.sh fails when a build
//! changed it (the committed header had drifted from the code).
//!
//! Also gives the shared library its soname on ELF systems, so that programs linked against an
//! installed copy (scripts/install-c.sh) record `liblogrocket_identify_ffi.so.0.1` rather than
//! the unversioned file name.

use std::path::PathBuf;

/// The soname: the versions that share an ABI share it. Cargo's rule for which versions are
/// compatible (as cargo-c applies it): the same major version from 1.0 on, the same minor one
/// before (0.1.x and 0.2.x differ), and before 0.1 none but the same. scripts/install-c.sh
/// reads it back from the library to name the installed files.
fn soname() -> String {
    let part = |name: &str| std::env::var(name).unwrap_or_default();
    let (major, minor, patch) = (
        part("CARGO_PKG_VERSION_MAJOR"),
        part("CARGO_PKG_VERSION_MINOR"),
        part("CARGO_PKG_VERSION_PATCH"),
    );
    let abi = match (major.as_str(), minor.as_str()) {
        ("0", "0") => format!("0.0.{patch}"),
        ("0", _) => format!("0.{minor}"),
        _ => major,
    };
    // The file name follows [lib] name in Cargo.toml.
    format!("liblogrocket_identify_ffi.so.{abi}")
}

fn main() {
    let crate_dir = PathBuf::from(std::env::var("CARGO_MANIFEST_DIR").unwrap_or_default());
    let header = crate_dir.join("../../include/logrocket_identify.h");
    println!("cargo:rerun-if-changed=src");
    println!("cargo:rerun-if-changed=cbindgen.toml");
    println!("cargo:rerun-if-changed={}", header.display());

    // GNU ld, gold, lld and the BSDs' linkers all take -soname (macOS would need -install_name).
    let target_os = std::env::var("CARGO_CFG_TARGET_OS").unwrap_or_default();
    if matches!(
        target_os.as_str(),
        "linux" | "android" | "freebsd" | "netbsd" | "openbsd" | "dragonfly"
    ) {
        println!("cargo:rustc-cdylib-link-arg=-Wl,-soname,{}", soname());
    }

    let config = match cbindgen::Config::from_file(crate_dir.join("cbindgen.toml")) {
        Ok(config) => config,
        Err(error) => panic!("cbindgen.toml: {error}"),
    };
    let bindings = match cbindgen::Builder::new()
        .with_crate(&crate_dir)
        .with_config(config)
        .generate()
    {
        Ok(bindings) => bindings,
        Err(error) => panic!("cbindgen could not generate the header: {error}"),
    };
    // `write_to_file` leaves the file alone when its content is unchanged.
    bindings.write_to_file(&header);
}
