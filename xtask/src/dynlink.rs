//! What a dynamically linked program needs in the initramfs: its
//! interpreter (PT_INTERP) and every shared library its `DT_NEEDED`
//! entries name, recursively, found where the host's loader would find
//! them, at the same paths (with the host's symbolic links on the way, so
//! /proc/self/maps names the same files as on the host).
//!
//! The search follows glibc's ld.so (elf/dl-load.c `_dl_map_object`):
//! DT_RPATH of the object and of the objects that loaded it (when the
//! object has no DT_RUNPATH), DT_RUNPATH of the object, the ld.so cache
//! (`ldconfig -p`), then the default directories; `$ORIGIN` stands for
//! the directory of the object that names the path. For musl's loader
//! (ld-musl-*.so.1): RPATH/RUNPATH, then /etc/ld-musl-x86_64.path or
//! its default path, and the names musl answers itself (libc.so, libm.so,
//! libpthread.so...) are not looked for. LD_LIBRARY_PATH plays no part: the
//! guest's environment has none.

use std::collections::{BTreeSet, HashMap, VecDeque};
use std::path::{Path, PathBuf};
use std::process::Command;

use crate::Result;

const PT_LOAD: u32 = 1;
const PT_DYNAMIC: u32 = 2;
const PT_INTERP: u32 = 3;
const DT_NEEDED: u64 = 1;
const DT_STRTAB: u64 = 5;
const DT_RPATH: u64 = 15;
const DT_RUNPATH: u64 = 29;
const EM_X86_64: u16 = 62;

/// What the loader reads from one ELF file.
#[derive(Clone, Default, Debug)]
pub struct DynInfo {
    /// PT_INTERP, without its NUL.
    pub interp: Option<String>,
    pub needed: Vec<String>,
    pub rpath: Vec<String>,
    pub runpath: Vec<String>,
}

fn u16_at(b: &[u8], at: usize) -> Option<u16> {
    Some(u16::from_le_bytes(b.get(at..at + 2)?.try_into().ok()?))
}

fn u32_at(b: &[u8], at: usize) -> Option<u32> {
    Some(u32::from_le_bytes(b.get(at..at + 4)?.try_into().ok()?))
}

fn u64_at(b: &[u8], at: usize) -> Option<u64> {
    Some(u64::from_le_bytes(b.get(at..at + 8)?.try_into().ok()?))
}

fn cstr_at(b: &[u8], at: usize) -> Option<String> {
    let s = b.get(at..)?;
    let end = s.iter().position(|&c| c == 0)?;
    Some(String::from_utf8_lossy(&s[..end]).into_owned())
}

/// Whether `bytes` are an x86_64 ELF64 little-endian file: the only kind
/// the loader accepts as a library here (glibc skips the others and
/// searches on).
fn is_x86_64_elf(bytes: &[u8]) -> bool {
    bytes.starts_with(b"\x7fELF")
        && bytes.get(4) == Some(&2)
        && bytes.get(5) == Some(&1)
        && u16_at(bytes, 18) == Some(EM_X86_64)
}

/// Read PT_INTERP and the dynamic section of an ELF file's bytes; `None`
/// for anything that is not an x86_64 ELF64 file.
pub fn parse(bytes: &[u8]) -> Option<DynInfo> {
    if !is_x86_64_elf(bytes) {
        return None;
    }
    let phoff = u64_at(bytes, 32)? as usize;
    let (phentsize, phnum) = (u16_at(bytes, 54)? as usize, u16_at(bytes, 56)? as usize);
    let mut info = DynInfo::default();
    // (p_type, p_offset, p_vaddr, p_filesz) of each program header.
    let mut phdrs = Vec::new();
    for i in 0..phnum {
        let at = phoff + i * phentsize;
        phdrs.push((u32_at(bytes, at)?, u64_at(bytes, at + 8)?, u64_at(bytes, at + 16)?, u64_at(bytes, at + 32)?));
    }
    if let Some(&(_, off, _, _)) = phdrs.iter().find(|p| p.0 == PT_INTERP) {
        info.interp = cstr_at(bytes, off as usize);
    }
    let Some(&(_, dyn_off, _, dyn_size)) = phdrs.iter().find(|p| p.0 == PT_DYNAMIC) else {
        return Some(info);
    };
    let mut entries = Vec::new();
    for i in 0..(dyn_size / 16) as usize {
        let at = dyn_off as usize + i * 16;
        let (tag, val) = (u64_at(bytes, at)?, u64_at(bytes, at + 8)?);
        if tag == 0 {
            break;
        }
        entries.push((tag, val));
    }
    // DT_STRTAB is an address: the file offset is found through the
    // PT_LOAD segment that maps it.
    let strtab_va = entries.iter().find(|e| e.0 == DT_STRTAB)?.1;
    let &(_, off, va, _) = phdrs.iter().find(|p| p.0 == PT_LOAD && p.2 <= strtab_va && strtab_va < p.2 + p.3.max(1))?;
    let strtab = (strtab_va - va + off) as usize;
    let split = |s: String| s.split(':').filter(|d| !d.is_empty()).map(str::to_string).collect::<Vec<_>>();
    for &(tag, val) in &entries {
        let s = cstr_at(bytes, strtab + val as usize);
        match (tag, s) {
            (DT_NEEDED, Some(s)) => info.needed.push(s),
            (DT_RPATH, Some(s)) => info.rpath.extend(split(s)),
            (DT_RUNPATH, Some(s)) => info.runpath.extend(split(s)),
            _ => {}
        }
    }
    Some(info)
}

/// The host's ld.so cache: library name → path, x86-64 entries only
/// (`ldconfig -p`).
fn ld_so_cache() -> HashMap<String, String> {
    let mut map = HashMap::new();
    let Ok(out) =
        Command::new("ldconfig").arg("-p").output().or_else(|_| Command::new("/sbin/ldconfig").arg("-p").output())
    else {
        return map;
    };
    for line in String::from_utf8_lossy(&out.stdout).lines().skip(1) {
        // "\tlibc.so.6 (libc6,x86-64) => /lib/x86_64-linux-gnu/libc.so.6"
        let Some((left, path)) = line.split_once(" => ") else { continue };
        let Some((name, kind)) = left.trim().split_once(' ') else { continue };
        if kind.contains("x86-64") {
            map.entry(name.to_string()).or_insert_with(|| path.trim().to_string());
        }
    }
    map
}

fn is_musl(interp: &str) -> bool {
    interp.contains("ld-musl")
}

/// The names musl's loader answers with itself (ldso/dynlink.c: libc and
/// the libraries glibc splits off), whatever the version suffix.
fn musl_builtin(name: &str) -> bool {
    let Some(stem) = name.strip_prefix("lib") else { return false };
    let (base, rest) = stem.split_once('.').unwrap_or((stem, ""));
    ["c", "pthread", "rt", "m", "dl", "util", "xnet"].contains(&base) && (rest.is_empty() || rest.starts_with("so"))
}

/// musl's library path: /etc/ld-musl-x86_64.path, else its default.
fn musl_path() -> Vec<String> {
    match std::fs::read_to_string("/etc/ld-musl-x86_64.path") {
        Ok(s) => s.split([':', '\n']).filter(|d| !d.is_empty()).map(str::to_string).collect(),
        Err(_) => ["/lib", "/usr/local/lib", "/usr/lib"].map(str::to_string).to_vec(),
    }
}

/// glibc's default directories after the cache (x86_64 Debian multiarch).
const GLIBC_DEFAULT: [&str; 6] =
    ["/lib/x86_64-linux-gnu", "/usr/lib/x86_64-linux-gnu", "/lib64", "/usr/lib64", "/lib", "/usr/lib"];

/// `$ORIGIN` (or `${ORIGIN}`) in a search directory: the directory of
/// the object that names it.
fn expand_origin(dir: &str, origin: &Path) -> String {
    let o = origin.parent().unwrap_or(Path::new("/")).to_string_lossy().into_owned();
    dir.replace("${ORIGIN}", &o).replace("$ORIGIN", &o)
}

/// One object loaded: the path the loader opened it by, and its info.
#[derive(Clone)]
struct Loaded {
    path: PathBuf,
    info: DynInfo,
}

/// What `exec` says when `program`'s interpreter is not on the host
/// either: which file, and what the exec will give (Linux's ENOENT from
/// load_elf_binary()).
fn missing_interpreter(program: &Path, interp: &str) -> Option<String> {
    (!Path::new(interp).exists()).then(|| {
        format!("xtask: {}: its interpreter {interp} is missing (exec will fail with ENOENT)", program.display())
    })
}

/// A library still to find: its name, the object that needs it, and the
/// RPATH directories of the objects above that one (each with the object
/// whose `$ORIGIN` it uses).
struct Wanted {
    name: String,
    parent: Loaded,
    chain: Vec<(String, PathBuf)>,
}

/// Everything a dynamically linked `program` needs besides itself: its
/// interpreter and the closure of its `DT_NEEDED` libraries, plus the
/// libraries named in `extra` (what it will dlopen) and theirs, each as
/// the host path the loader opens. Empty for a static program. What the
/// host's loader would not find either is left out, with a word on stderr:
/// the program then fails under Tine as it does on the host (an exec
/// without its interpreter fails with ENOENT, a missing library stops the
/// loader).
pub fn closure(program: &Path, extra: &[String]) -> Result<Vec<PathBuf>> {
    let bytes = std::fs::read(program).map_err(|e| format!("{}: {e}", program.display()))?;
    let Some(info) = parse(&bytes) else { return Ok(vec![]) };
    let Some(interp) = info.interp.clone() else { return Ok(vec![]) };
    let musl = is_musl(&interp);
    if let Some(note) = missing_interpreter(program, &interp) {
        eprintln!("{note}");
        return Ok(vec![]);
    }
    let cache = if musl { HashMap::new() } else { ld_so_cache() };
    let mut out: Vec<PathBuf> = vec![PathBuf::from(&interp)];
    let mut seen: BTreeSet<String> = BTreeSet::new();
    let root = Loaded { path: program.to_path_buf(), info };
    // Breadth first, in the order ld.so loads them.
    let mut queue: VecDeque<Wanted> = root
        .info
        .needed
        .iter()
        .chain(extra)
        .map(|name| Wanted { name: name.clone(), parent: root.clone(), chain: vec![] })
        .collect();
    while let Some(Wanted { name, parent, chain }) = queue.pop_front() {
        if (musl && musl_builtin(&name)) || !seen.insert(name.clone()) {
            continue;
        }
        let Some(found) = find_library(&name, &parent, &chain, musl, &cache) else {
            eprintln!("xtask: {}: {name} not found where the loader looks for it", program.display());
            continue;
        };
        let lib_bytes = std::fs::read(&found).map_err(|e| format!("{}: {e}", found.display()))?;
        let lib = Loaded { path: found.clone(), info: parse(&lib_bytes).unwrap_or_default() };
        // The RPATHs passed on to what this library loads: glibc looks at
        // those of every object above it that has no RUNPATH.
        let mut sub_chain = chain;
        if parent.info.runpath.is_empty() {
            sub_chain.extend(parent.info.rpath.iter().map(|d| (d.clone(), parent.path.clone())));
        }
        for n in &lib.info.needed {
            queue.push_back(Wanted { name: n.clone(), parent: lib.clone(), chain: sub_chain.clone() });
        }
        if !out.contains(&found) {
            out.push(found);
        }
    }
    Ok(out)
}

/// Where the loader finds `name` for `parent`, RPATHs of the objects
/// above it in `chain` (directory, the object that named it).
fn find_library(
    name: &str,
    parent: &Loaded,
    chain: &[(String, PathBuf)],
    musl: bool,
    cache: &HashMap<String, String>,
) -> Option<PathBuf> {
    let usable = |p: &Path| std::fs::read(p).is_ok_and(|b| is_x86_64_elf(&b));
    if name.contains('/') {
        let p = PathBuf::from(name);
        return usable(&p).then_some(p);
    }
    let mut dirs: Vec<String> = Vec::new();
    if musl {
        dirs.extend(parent.info.rpath.iter().chain(&parent.info.runpath).map(|d| expand_origin(d, &parent.path)));
        dirs.extend(musl_path());
    } else {
        if parent.info.runpath.is_empty() {
            dirs.extend(parent.info.rpath.iter().map(|d| expand_origin(d, &parent.path)));
            dirs.extend(chain.iter().map(|(d, o)| expand_origin(d, o)));
        }
        dirs.extend(parent.info.runpath.iter().map(|d| expand_origin(d, &parent.path)));
    }
    for d in &dirs {
        let p = Path::new(d).join(name);
        if usable(&p) {
            return Some(p);
        }
    }
    if !musl {
        if let Some(p) = cache.get(name).map(PathBuf::from).filter(|p| usable(p)) {
            return Some(p);
        }
        for d in GLIBC_DEFAULT {
            let p = Path::new(d).join(name);
            if usable(&p) {
                return Some(p);
            }
        }
    }
    None
}

/// The files besides the libraries that the loader reads: glibc's
/// /etc/ld.so.cache, musl's path file.
pub fn loader_files(interp_is_musl: bool) -> Vec<PathBuf> {
    let f = if interp_is_musl { "/etc/ld-musl-x86_64.path" } else { "/etc/ld.so.cache" };
    [PathBuf::from(f)].into_iter().filter(|p| p.exists()).collect()
}

/// Whether `interp` (a PT_INTERP path) is musl's loader.
pub fn interp_is_musl(interp: &Path) -> bool {
    is_musl(&interp.to_string_lossy())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn musl_answers_its_own_libraries() {
        assert!(musl_builtin("libc.so"));
        assert!(musl_builtin("libpthread.so.0"));
        assert!(musl_builtin("libm.so.6"));
        assert!(!musl_builtin("libcrypt.so.1"));
        assert!(!musl_builtin("libmagic.so.1"));
    }

    #[test]
    fn origin_is_the_directory_of_the_object() {
        let o = Path::new("/opt/app/bin/prog");
        assert_eq!(expand_origin("$ORIGIN/../lib", o), "/opt/app/bin/../lib");
        assert_eq!(expand_origin("${ORIGIN}", o), "/opt/app/bin");
        assert_eq!(expand_origin("/usr/lib", o), "/usr/lib");
    }

    /// The test binary itself is a dynamically linked host program.
    #[test]
    fn the_host_loader_finds_what_this_test_needs() {
        let exe = std::env::current_exe().unwrap();
        let info = parse(&std::fs::read(&exe).unwrap()).expect("an x86_64 ELF file");
        let interp = info.interp.expect("dynamically linked");
        let files = closure(&exe, &[]).unwrap();
        assert_eq!(files[0], PathBuf::from(&interp), "the interpreter first");
        assert!(
            files.iter().any(|f| f.file_name().is_some_and(|n| n.to_string_lossy().starts_with("libc.so"))),
            "{files:?}"
        );
        assert!(parse(b"#!/bin/sh\n").is_none());
    }

    #[test]
    fn a_missing_interpreter_is_named() {
        let exe = std::env::current_exe().unwrap();
        let mut bytes = std::fs::read(&exe).unwrap();
        let interp = parse(&bytes).and_then(|i| i.interp).expect("dynamically linked");
        // The same ELF file asking for an interpreter of the same length
        // in a directory that does not exist.
        let gone = format!("/QQQ{}", &interp[4..]);
        assert_ne!(gone, interp);
        let at = bytes.windows(interp.len()).position(|w| w == interp.as_bytes()).unwrap();
        bytes[at..at + interp.len()].copy_from_slice(gone.as_bytes());
        let tmp = crate::TempDir::new("interp").unwrap();
        let prog = tmp.path().join("prog");
        std::fs::write(&prog, &bytes).unwrap();
        assert_eq!(closure(&prog, &[]).unwrap(), Vec::<PathBuf>::new(), "nothing to bring");
        let note = missing_interpreter(&prog, &gone).expect("a note");
        assert!(note.contains(&gone) && note.contains("ENOENT") && note.contains("prog"), "{note}");
        assert_eq!(missing_interpreter(&exe, &interp), None);
    }
}
