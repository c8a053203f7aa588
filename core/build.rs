//! Builds the vDSO (user/vdso): user code, compiled with the host's C
//! compiler into a small shared object that core embeds as data
//! (`mm::vdso::IMAGE`) and maps into every process.

use std::path::PathBuf;
use std::process::Command;

fn main() {
    let src = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../user/vdso");
    let out = PathBuf::from(std::env::var("OUT_DIR").expect("OUT_DIR")).join("vdso.so");
    for f in ["vdso.c", "vdso.h", "vdso.lds"] {
        println!("cargo:rerun-if-changed={}", src.join(f).display());
    }
    println!("cargo:rerun-if-env-changed=TINE_VDSO_CC");
    let cc = std::env::var("TINE_VDSO_CC").unwrap_or_else(|_| "gcc".into());
    let status = Command::new(&cc)
        .current_dir(&src)
        // Position independent, no libc, no stack protector (it would read
        // the caller's TLS), nothing that needs relocating.
        .args(["-O2", "-fPIC", "-shared", "-nostdlib", "-fno-stack-protector", "-fcf-protection=none"])
        .args(["-fno-builtin", "-Wall", "-Werror", "-s"])
        .args(["-Wl,-T,vdso.lds", "-Wl,--hash-style=both", "-Wl,-soname=linux-vdso.so.1", "-Wl,--build-id=none"])
        .args(["-Wl,-Bsymbolic", "-Wl,--no-undefined", "-Wl,-z,max-page-size=4096", "-Wl,-z,noexecstack"])
        .arg("-o")
        .arg(&out)
        .arg("vdso.c")
        .status()
        .unwrap_or_else(|e| panic!("building the vDSO: cannot run {cc}: {e} (install gcc, or set TINE_VDSO_CC)"));
    assert!(status.success(), "building the vDSO with {cc} failed ({status})");
}
