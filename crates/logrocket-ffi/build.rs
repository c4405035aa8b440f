//! Generates include/logrocket_identify.h from this crate with cbindgen. The header is committed;
//! it is rewritten only when its content changes, and scripts/test-c.sh fails when a build
//! changed it (the committed header had drifted from the code).

use std::path::PathBuf;

fn main() {
    let crate_dir = PathBuf::from(std::env::var("CARGO_MANIFEST_DIR").unwrap_or_default());
    let header = crate_dir.join("../../include/logrocket_identify.h");
    println!("cargo:rerun-if-changed=src");
    println!("cargo:rerun-if-changed=cbindgen.toml");
    println!("cargo:rerun-if-changed={}", header.display());

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
