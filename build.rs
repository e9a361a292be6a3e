//! The wasm binary keeps its relocations (`--emit-relocs`): `wasm-split-cli` needs them
//! to cut the on-demand parts (`src/ui/on_demand.rs`) into their own chunks. Only the
//! final link of the wasm binary gets the flag; setting it through RUSTFLAGS would
//! replace `.cargo/config.toml`'s flags.
fn main() {
    println!("cargo:rerun-if-changed=build.rs");
    if std::env::var("CARGO_CFG_TARGET_ARCH").as_deref() == Ok("wasm32") {
        println!("cargo:rustc-link-arg-bins=--emit-relocs");
    }
}
