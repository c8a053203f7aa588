//! mremap ([`crate::mm::mremap`]) on simulated memory: pages move with
//! their frames, charges and page tables come back, nothing leaks.

use crate::abi::{EFAULT, EINVAL, ENOMEM};
use crate::mm::aspace::AddressSpace;
use crate::mm::consts::*;
use crate::mm::fault::Access;
use crate::mm::mremap::{MREMAP_DONTUNMAP, MREMAP_FIXED, MREMAP_MAYMOVE};
use crate::mm::sim::Env;
use crate::mm::vma::VmFlags;

const P: u64 = PAGE_SIZE;
const RW: u32 = PROT_READ | PROT_WRITE;
const ANON: u32 = MAP_PRIVATE | MAP_ANONYMOUS;

fn frame(env: &Env, a: &AddressSpace, va: u64) -> u64 {
    let pte = a.pte(&env.mem, va);
    assert!(pte.is_present(), "{va:#x} mapped");
    pte.addr()
}

#[test]
fn a_move_keeps_the_frames_and_gives_everything_back() {
    let mut env = Env::new(512);
    env.frames.commit.mode = crate::mm::commit::Overcommit::Guess;
    let mut a = env.aspace();
    let at = a.mmap(&mut env.ctx(), 0, 4 * P, RW, ANON).unwrap();
    for i in 0..4 {
        a.handle_fault(&mut env.ctx(), at + i * P, Access::Write).unwrap();
    }
    let frames: std::vec::Vec<u64> = (0..4).map(|i| frame(&env, &a, at + i * P)).collect();
    let committed = env.frames.commit.committed();
    // Something right after it: it cannot grow in place.
    a.mmap(&mut env.ctx(), at + 4 * P, P, PROT_READ, ANON | MAP_FIXED).unwrap();
    assert_eq!(a.mremap(&mut env.ctx(), at, 4 * P, 8 * P, 0, 0), Err(ENOMEM));
    let to = a.mremap(&mut env.ctx(), at, 4 * P, 8 * P, MREMAP_MAYMOVE, 0).unwrap();
    assert_ne!(to, at);
    for (i, &f) in frames.iter().enumerate() {
        assert_eq!(frame(&env, &a, to + i as u64 * P), f, "page {i} kept its frame");
    }
    assert!(a.find_vma(at).is_none_or(|v| v.start >= at + 4 * P), "the old range is gone");
    assert_eq!(env.frames.commit.committed(), committed + 4, "charged for the 4 new pages only");
    assert_eq!(a.resident_pages(), 4);
    // DONTUNMAP: the old range stays, without pages, and both are charged.
    let d = a.mremap(&mut env.ctx(), to, 2 * P, 2 * P, MREMAP_MAYMOVE | MREMAP_DONTUNMAP, 0).unwrap();
    assert_eq!(frame(&env, &a, d), frames[0]);
    assert!(!a.pte(&env.mem, to).is_present());
    assert!(a.find_vma(to).is_some());
    assert!(!a.find_vma(to).unwrap().flags.contains(VmFlags::LOCKED));
    // FIXED onto the middle of the moved mapping's neighbour is fine;
    // overlapping itself is not.
    assert_eq!(a.mremap(&mut env.ctx(), d, 2 * P, 2 * P, MREMAP_MAYMOVE | MREMAP_FIXED, d + P), Err(EINVAL));
    assert_eq!(a.mremap(&mut env.ctx(), 0x1000_0000, P, 2 * P, MREMAP_MAYMOVE, 0), Err(EFAULT));
    a.release(&mut env.ctx());
    env.check_baseline();
}

#[test]
fn growing_in_place_and_shrinking() {
    let mut env = Env::new(512);
    let mut a = env.aspace();
    let at = a.mmap(&mut env.ctx(), 0, 2 * P, RW, ANON).unwrap();
    // Top-down placement: room above only if nothing is there.
    a.munmap(&mut env.ctx(), at, 2 * P).unwrap();
    let at = a.mmap(&mut env.ctx(), at - 8 * P, 2 * P, RW, ANON | MAP_FIXED).unwrap();
    a.handle_fault(&mut env.ctx(), at, Access::Write).unwrap();
    let f = frame(&env, &a, at);
    assert_eq!(a.mremap(&mut env.ctx(), at, 2 * P, 4 * P, 0, 0), Ok(at));
    assert_eq!(a.find_vma(at).unwrap().end, at + 4 * P, "one VMA");
    assert_eq!(frame(&env, &a, at), f);
    assert_eq!(a.mremap(&mut env.ctx(), at, 4 * P, P, 0, 0), Ok(at));
    assert!(a.find_vma(at + P).is_none_or(|v| v.start > at + P));
    a.release(&mut env.ctx());
    env.check_baseline();
}
