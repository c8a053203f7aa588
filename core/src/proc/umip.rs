//! User-Mode Instruction Prevention: with CR4.UMIP set, `sgdt`, `sidt`,
//! `sldt`, `str` and `smsw` raise #GP in user mode instead of telling a
//! program where the kernel keeps its descriptor tables. Programs that
//! run them anyway (Wine, old JITs, CPU probes) get the dummy answers
//! Linux gives, so the instruction seems to work and reveals nothing
//! (Linux: arch/x86/kernel/umip.c, fixup_umip_exception()).
//!
//! Only these five instructions are decoded: legacy prefixes and REX,
//! the opcode `0f 00 /0|/1` or `0f 01 /0|/1|/4`, and a ModRM operand
//! (register, or memory through SIB, displacement or RIP-relative
//! addressing, with an FS or GS base override).

use crate::abi::PtRegs;

/// What Linux's spoofed instructions return.
const DUMMY_GDT_BASE: u64 = 0xffff_ffff_fffe_0000;
const DUMMY_IDT_BASE: u64 = 0xffff_ffff_ffff_0000;
/// CR0 as Linux reports it: PE, MP, ET, NE, WP, AM, PG (its CR0_STATE).
const DUMMY_CR0: u64 = 0x8005_0033;
/// The LDT selector (none) and the task register (the TSS at GDT entry 8).
const DUMMY_LDT: u64 = 0;
const DUMMY_TR: u64 = 8 * 8;

/// The longest x86 instruction.
pub const MAX_INSN: usize = 15;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Insn {
    Sgdt,
    Sidt,
    Smsw,
    Sldt,
    Str,
}

/// Where the result goes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Dest {
    /// The general register with this ModRM number (0 = rax ... 15 = r15).
    Reg(u8),
    /// User memory at this address.
    Mem(u64),
}

/// A decoded spoofable instruction: its result bytes, where they go, and
/// the instruction's length (rip moves past it).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Emulation {
    pub data: [u8; 10],
    pub size: usize,
    pub dest: Dest,
    pub len: u64,
}

/// Decode the instruction in `code` (bytes at `regs.rip`) and compute
/// Linux's answer; `None` when it is not one UMIP spoofs (the #GP then
/// stands: SIGSEGV). `fs_base`/`gs_base` are the task's segment bases.
pub fn emulate(code: &[u8], regs: &PtRegs, fs_base: u64, gs_base: u64) -> Option<Emulation> {
    let mut i = 0;
    let (mut opsize16, mut addr32, mut seg_base) = (false, false, 0);
    // Legacy prefixes, any order.
    while let Some(&b) = code.get(i) {
        match b {
            0x66 => opsize16 = true,
            0x67 => addr32 = true,
            0x64 => seg_base = fs_base,
            0x65 => seg_base = gs_base,
            0x26 | 0x2e | 0x36 | 0x3e | 0xf0 | 0xf2 | 0xf3 => {}
            _ => break,
        }
        i += 1;
    }
    let rex = match code.get(i) {
        Some(&b) if b & 0xf0 == 0x40 => {
            i += 1;
            b
        }
        _ => 0,
    };
    let (w, r_x, r_b) = (rex & 8 != 0, (rex >> 1) & 1, rex & 1);
    if code.get(i) != Some(&0x0f) {
        return None;
    }
    let op = *code.get(i + 1)?;
    let modrm = *code.get(i + 2)?;
    i += 3;
    let (md, reg, rm) = (modrm >> 6, (modrm >> 3) & 7, modrm & 7);
    let insn = match (op, reg) {
        (0x01, 0) => Insn::Sgdt,
        (0x01, 1) => Insn::Sidt,
        (0x01, 4) => Insn::Smsw,
        (0x00, 0) => Insn::Sldt,
        (0x00, 1) => Insn::Str,
        _ => return None,
    };
    let dest = if md == 3 {
        Dest::Reg(rm | r_b << 3)
    } else {
        let mut addr: u64;
        if rm == 4 {
            let sib = *code.get(i)?;
            i += 1;
            let (scale, index, base) = (sib >> 6, ((sib >> 3) & 7) | r_x << 3, sib & 7);
            addr = if index == 4 { 0 } else { reg_value(regs, index) << scale };
            if base == 5 && md == 0 {
                addr = addr.wrapping_add(disp(code, &mut i, 4)?);
            } else {
                addr = addr.wrapping_add(reg_value(regs, base | r_b << 3));
            }
        } else if rm == 5 && md == 0 {
            // RIP-relative: from the end of the instruction, which ends
            // with this displacement (these opcodes take no immediate).
            let d = disp(code, &mut i, 4)?;
            addr = regs.rip.wrapping_add(i as u64).wrapping_add(d);
        } else {
            addr = reg_value(regs, rm | r_b << 3);
        }
        addr = addr.wrapping_add(match md {
            1 => disp(code, &mut i, 1)?,
            2 => disp(code, &mut i, 4)?,
            _ => 0,
        });
        if addr32 {
            addr &= 0xffff_ffff;
        }
        Dest::Mem(addr.wrapping_add(seg_base))
    };
    let mut data = [0u8; 10];
    let size = match insn {
        // Ten bytes, limit then base; they take no register operand.
        Insn::Sgdt | Insn::Sidt => {
            if md == 3 {
                return None;
            }
            let base = if insn == Insn::Sgdt { DUMMY_GDT_BASE } else { DUMMY_IDT_BASE };
            data[2..].copy_from_slice(&base.to_le_bytes());
            10
        }
        // As Linux: a register gets the operand size's bytes (the rest of
        // the register is left as it was), memory two bytes.
        Insn::Smsw | Insn::Sldt | Insn::Str => {
            let v = match insn {
                Insn::Smsw => DUMMY_CR0,
                Insn::Sldt => DUMMY_LDT,
                _ => DUMMY_TR,
            };
            data[..8].copy_from_slice(&v.to_le_bytes());
            match (md, w, opsize16) {
                (3, true, _) => 8,
                (3, false, true) => 2,
                (3, false, false) => 4,
                _ => 2,
            }
        }
    };
    Some(Emulation { data, size, dest, len: i as u64 })
}

/// A sign-extended displacement of `n` bytes at `code[*i..]`.
fn disp(code: &[u8], i: &mut usize, n: usize) -> Option<u64> {
    let b = code.get(*i..*i + n)?;
    *i += n;
    Some(match n {
        1 => b[0] as i8 as i64 as u64,
        _ => i32::from_le_bytes(b.try_into().ok()?) as i64 as u64,
    })
}

/// The general register with ModRM number `n`.
fn reg_value(regs: &PtRegs, n: u8) -> u64 {
    *reg_slot(&mut { *regs }, n)
}

/// The saved register with ModRM number `n` (0 = rax ... 15 = r15).
pub fn reg_slot(regs: &mut PtRegs, n: u8) -> &mut u64 {
    match n & 15 {
        0 => &mut regs.rax,
        1 => &mut regs.rcx,
        2 => &mut regs.rdx,
        3 => &mut regs.rbx,
        4 => &mut regs.rsp,
        5 => &mut regs.rbp,
        6 => &mut regs.rsi,
        7 => &mut regs.rdi,
        8 => &mut regs.r8,
        9 => &mut regs.r9,
        10 => &mut regs.r10,
        11 => &mut regs.r11,
        12 => &mut regs.r12,
        13 => &mut regs.r13,
        14 => &mut regs.r14,
        _ => &mut regs.r15,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn regs() -> PtRegs {
        PtRegs { rip: 0x40_1000, rsp: 0x7fff_0000, rsi: 0x1111, rbx: 0x5000, ..PtRegs::default() }
    }

    #[test]
    fn sgdt_through_rsp_and_displacement() {
        // sgdt 0xe(%rsp): 0f 01 44 24 0e
        let e = emulate(&[0x0f, 0x01, 0x44, 0x24, 0x0e], &regs(), 0, 0).unwrap();
        assert_eq!(e.dest, Dest::Mem(0x7fff_000e));
        assert_eq!((e.size, e.len), (10, 5));
        assert_eq!(&e.data[..2], &[0, 0]);
        assert_eq!(u64::from_le_bytes(e.data[2..].try_into().unwrap()), DUMMY_GDT_BASE);
    }

    #[test]
    fn sidt_rip_relative() {
        // sidt 0x10(%rip): 0f 01 0d 10 00 00 00 (7 bytes)
        let e = emulate(&[0x0f, 0x01, 0x0d, 0x10, 0, 0, 0], &regs(), 0, 0).unwrap();
        assert_eq!(e.dest, Dest::Mem(0x40_1000 + 7 + 0x10));
        assert_eq!(u64::from_le_bytes(e.data[2..].try_into().unwrap()), DUMMY_IDT_BASE);
    }

    #[test]
    fn smsw_register_sizes() {
        // smsw %esi, %rsi, %si; smsw to memory is two bytes.
        assert_eq!(emulate(&[0x0f, 0x01, 0xe6], &regs(), 0, 0).unwrap().size, 4);
        let e = emulate(&[0x48, 0x0f, 0x01, 0xe6], &regs(), 0, 0).unwrap();
        assert_eq!((e.size, e.dest, e.len), (8, Dest::Reg(6), 4));
        assert_eq!(emulate(&[0x66, 0x0f, 0x01, 0xe6], &regs(), 0, 0).unwrap().size, 2);
        assert_eq!(emulate(&[0x0f, 0x01, 0x23], &regs(), 0, 0).unwrap().size, 2);
    }

    #[test]
    fn sldt_str_and_rex_b() {
        // str %r9d: 41 0f 00 c9
        let e = emulate(&[0x41, 0x0f, 0x00, 0xc9], &regs(), 0, 0).unwrap();
        assert_eq!(e.dest, Dest::Reg(9));
        assert_eq!(e.data[0], 0x40);
        // sldt (%rbx) with an FS override: 64 0f 00 03
        let e = emulate(&[0x64, 0x0f, 0x00, 0x03], &regs(), 0x1_0000, 0).unwrap();
        assert_eq!(e.dest, Dest::Mem(0x1_5000));
    }

    #[test]
    fn others_are_not_spoofed() {
        assert_eq!(emulate(&[0x0f, 0x01, 0xc0], &regs(), 0, 0), None); // sgdt with a register
        assert_eq!(emulate(&[0x0f, 0x01, 0x50, 0], &regs(), 0, 0), None); // lgdt
        assert_eq!(emulate(&[0x0f, 0x0b], &regs(), 0, 0), None); // ud2
        assert_eq!(emulate(&[0x0f, 0x01], &regs(), 0, 0), None); // cut short
                                                                 // sib with no index, base rbp + disp8: 0f 01 44 25 08 -> rbp + 8
        let e = emulate(&[0x0f, 0x01, 0x44, 0x25, 0x08], &regs(), 0, 0).unwrap();
        assert_eq!(e.dest, Dest::Mem(8));
    }
}
