//! The XSAVE image of a task's user FPU state, and the rules for the
//! copies user space reads and writes: signal frames, ptrace's
//! NT_X86_XSTATE, core dumps (Linux: arch/x86/kernel/fpu/xstate.c,
//! copy_xstate_to_uabi_buf() and copy_uabi_to_xstate(); the layout of
//! struct xregs_state).
//!
//! The image is in the standard (uncompacted) format, with the features
//! Tine enables at most (x87, SSE, AVX), so its layout is fixed:
//!
//! ```text
//!   0  legacy area (the fxsave image): FCW ... MXCSR at 24, st0-7 at 32,
//!      xmm0-15 at 160, software-reserved bytes at 464
//! 512  XSAVE header: XSTATE_BV, XCOMP_BV (0: standard format), reserved
//! 576  AVX: the upper halves of ymm0-15, 16 bytes each
//! 832
//! ```
//!
//! A component whose XSTATE_BV bit is clear is at its initial state; the
//! images Tine keeps also hold the initial values in its bytes
//! ([`normalize`](FpuState::normalize)), so that the fxsave view
//! (PTRACE_GETFPREGS, the core dump's NT_PRFPREG) reads them as Linux's
//! copy_feature() gives them.

use crate::proc::kstack::FpuState;

/// XSAVE feature bits (XCR0, XSTATE_BV).
pub const XFEATURE_MASK_FP: u64 = 1 << 0;
pub const XFEATURE_MASK_SSE: u64 = 1 << 1;
pub const XFEATURE_MASK_YMM: u64 = 1 << 2;
pub const XFEATURE_MASK_FPSSE: u64 = XFEATURE_MASK_FP | XFEATURE_MASK_SSE;
/// Every feature Tine may enable: those with a fixed standard-format
/// offset that fit the kernel stack's area.
pub const XFEATURE_MASK_USER: u64 = XFEATURE_MASK_FPSSE | XFEATURE_MASK_YMM;

/// Bytes of the legacy (fxsave) area.
pub const FXSAVE_BYTES: usize = 512;
/// The XSAVE header's offset and size.
pub const XSAVE_HDR_OFFSET: usize = 512;
pub const XSAVE_HDR_BYTES: usize = 64;
/// The AVX component (the upper halves of ymm0-15).
pub const YMM_OFFSET: usize = 576;
pub const YMM_BYTES: usize = 256;
/// The whole image with every feature of [`XFEATURE_MASK_USER`].
pub const XSTATE_AREA_BYTES: usize = YMM_OFFSET + YMM_BYTES;
/// Where the legacy area's software-reserved bytes begin (struct
/// _fpx_sw_bytes in a signal frame; XCR0 for ptrace).
pub const SW_BYTES_AT: usize = 464;

/// Word indices into [`FpuState`].
const MXCSR_WORD: usize = 3;
const FIP_WORD: usize = 1;
const FDP_WORD: usize = 2;
const ST_WORDS: core::ops::Range<usize> = 4..20;
const XMM_WORDS: core::ops::Range<usize> = 20..52;
const SW_WORDS: core::ops::Range<usize> = SW_BYTES_AT / 8..FXSAVE_BYTES / 8;
const BV_WORD: usize = XSAVE_HDR_OFFSET / 8;
const HDR_WORDS: core::ops::Range<usize> = BV_WORD..YMM_OFFSET / 8;
const YMM_WORDS: core::ops::Range<usize> = YMM_OFFSET / 8..XSTATE_AREA_BYTES / 8;

/// The initial MXCSR: every exception masked, round to nearest.
pub const MXCSR_DEFAULT: u32 = 0x1f80;

/// The size of the image user space sees for `xfeatures` (Linux:
/// fpu_user_cfg.max_size, CPUID 0xD's size for XCR0): fxsave's 512
/// bytes without XSAVE.
pub fn user_size(xfeatures: u64) -> usize {
    if xfeatures & XFEATURE_MASK_YMM != 0 {
        XSTATE_AREA_BYTES
    } else if xfeatures != 0 {
        YMM_OFFSET
    } else {
        FXSAVE_BYTES
    }
}

/// Why an image cannot be loaded: what XRSTOR would #GP on, or what
/// ptrace refuses with EINVAL.
#[derive(Debug, PartialEq, Eq)]
pub struct BadImage;

impl FpuState {
    /// The image's bytes.
    pub fn as_bytes(&self) -> &[u8] {
        zerocopy::IntoBytes::as_bytes(&self.0)
    }

    /// An image from the first bytes of `b` (the rest zero).
    pub fn from_prefix(b: &[u8]) -> Self {
        let mut f = FpuState([0; XSTATE_AREA_BYTES / 8]);
        let n = b.len().min(XSTATE_AREA_BYTES);
        zerocopy::IntoBytes::as_mut_bytes(&mut f.0)[..n].copy_from_slice(&b[..n]);
        f
    }

    /// XSTATE_BV: the features not at their initial state.
    pub fn xstate_bv(&self) -> u64 {
        self.0[BV_WORD]
    }

    pub fn mxcsr(&self) -> u32 {
        self.0[MXCSR_WORD] as u32
    }

    /// The MXCSR bits the CPU accepts (Linux: mxcsr_feature_mask, from the
    /// fxsave image's MXCSR_MASK; 0 there means the default 0xffbf).
    pub fn mxcsr_mask(&self) -> u32 {
        match (self.0[MXCSR_WORD] >> 32) as u32 {
            0 => 0xffbf,
            m => m,
        }
    }

    /// Set MXCSR, with `mask` as MXCSR_MASK (the CPU's, whatever an image
    /// from user space said: FXRSTOR and XRSTOR ignore it).
    pub fn set_mxcsr(&mut self, mxcsr: u32, mask: u32) {
        self.0[MXCSR_WORD] = mxcsr as u64 | (mask as u64) << 32;
    }

    /// Write the initial values of the `features` components (MXCSR, which
    /// SSE and AVX share, is left alone).
    fn init_components(&mut self, features: u64) {
        if features & XFEATURE_MASK_FP != 0 {
            // FNINIT's state: FCW 0x37f, the rest zero (FTW 0: all empty).
            self.0[0] = 0x37f;
            self.0[FIP_WORD] = 0;
            self.0[FDP_WORD] = 0;
            self.0[ST_WORDS].fill(0);
        }
        if features & XFEATURE_MASK_SSE != 0 {
            self.0[XMM_WORDS].fill(0);
        }
        if features & XFEATURE_MASK_YMM != 0 {
            self.0[YMM_WORDS].fill(0);
        }
    }

    /// Keep the image as Tine stores it: the components XSTATE_BV (which
    /// becomes `bv`) leaves out hold their initial values, the header's
    /// other words and the software bytes are zero.
    pub fn normalize(&mut self, bv: u64) {
        self.init_components(XFEATURE_MASK_USER & !bv);
        self.0[HDR_WORDS].fill(0);
        self.0[BV_WORD] = bv;
        self.0[SW_WORDS].fill(0);
    }

    /// What XRSTOR leaves from `image` (a standard-format XSAVE image from
    /// user memory) with the requested-feature bitmap `rfbm`, on a CPU
    /// with `xfeatures` enabled, followed by the initial state of the
    /// enabled features `rfbm` leaves out (Linux: __restore_fpregs_from_user(),
    /// xrstor then os_xrstor(init_fpstate, init_bv)). XRSTOR faults on a
    /// header naming features XCR0 lacks, a nonzero XCOMP_BV or header
    /// bytes 16..24, and on reserved MXCSR bits; so does this.
    pub fn xrstor(&self, image: &FpuState, rfbm: u64, xfeatures: u64) -> Result<FpuState, BadImage> {
        let bv = image.xstate_bv();
        if bv & !xfeatures != 0 || image.0[BV_WORD + 1] != 0 || image.0[BV_WORD + 2] != 0 {
            return Err(BadImage);
        }
        let rfbm = rfbm & xfeatures;
        let mask = self.mxcsr_mask();
        let mxcsr = if rfbm & (XFEATURE_MASK_SSE | XFEATURE_MASK_YMM) != 0 {
            let m = image.mxcsr();
            if m & !mask != 0 {
                return Err(BadImage);
            }
            m
        } else {
            MXCSR_DEFAULT
        };
        let mut new = image.clone();
        new.normalize(bv & rfbm);
        new.set_mxcsr(mxcsr, mask);
        Ok(new)
    }

    /// What FXRSTOR leaves from the legacy image at the start of `image`,
    /// the other enabled features at their initial state: a signal frame
    /// without the XSAVE magics (Linux: fxrstor_from_user_sigframe(),
    /// then init_bv), or a CPU without XSAVE.
    pub fn fxrstor(&self, image: &FpuState) -> Result<FpuState, BadImage> {
        let mask = self.mxcsr_mask();
        if image.mxcsr() & !mask != 0 {
            return Err(BadImage);
        }
        let mut new = FpuState([0; XSTATE_AREA_BYTES / 8]);
        new.0[..FXSAVE_BYTES / 8].copy_from_slice(&image.0[..FXSAVE_BYTES / 8]);
        new.normalize(XFEATURE_MASK_FPSSE);
        new.set_mxcsr(image.mxcsr(), mask);
        Ok(new)
    }

    /// The NT_X86_XSTATE view (Linux: copy_xstate_to_uabi_buf() in
    /// XSTATE_COPY_XSAVE mode): [`user_size`] bytes, the components
    /// XSTATE_BV leaves out at their initial values, the software bytes
    /// holding XCR0 in their first word (Linux: xstate_fx_sw_bytes, where
    /// gdb reads which registers exist), the header with only XSTATE_BV.
    pub fn to_uabi(&self, xfeatures: u64) -> alloc::vec::Vec<u8> {
        let mut f = self.clone();
        f.normalize(self.xstate_bv() & xfeatures);
        f.0[SW_WORDS.start] = xfeatures;
        f.as_bytes()[..user_size(xfeatures)].to_vec()
    }

    /// SETREGSET NT_X86_XSTATE (Linux: copy_uabi_to_xstate()): the
    /// components `image`'s XSTATE_BV names replace this state's, the
    /// others go to their initial state. A header naming features XCR0
    /// lacks, with XCOMP_BV or reserved words set, or MXCSR with reserved
    /// bits (when x87, SSE or AVX is named) is refused.
    pub fn from_uabi(&self, image: &FpuState, xfeatures: u64) -> Result<FpuState, BadImage> {
        let bv = image.xstate_bv();
        if bv & !xfeatures != 0 || image.0[BV_WORD + 1..HDR_WORDS.end].iter().any(|&w| w != 0) {
            return Err(BadImage);
        }
        let mask = self.mxcsr_mask();
        let mut new = self.clone();
        let mut mxcsr = self.mxcsr();
        if bv & XFEATURE_MASK_USER != 0 {
            if image.mxcsr() & !mask != 0 {
                return Err(BadImage);
            }
            mxcsr = image.mxcsr();
        }
        if bv & XFEATURE_MASK_FP != 0 {
            // Linux copies the whole x87 component: bytes 0..160.
            new.0[..XMM_WORDS.start].copy_from_slice(&image.0[..XMM_WORDS.start]);
        }
        if bv & XFEATURE_MASK_SSE != 0 {
            new.0[XMM_WORDS].copy_from_slice(&image.0[XMM_WORDS]);
        }
        if bv & XFEATURE_MASK_YMM != 0 {
            new.0[YMM_WORDS].copy_from_slice(&image.0[YMM_WORDS]);
        }
        new.normalize(bv);
        new.set_mxcsr(mxcsr, mask);
        Ok(new)
    }

    /// The upper half of ymm register `i` (bytes 16..32 of it).
    pub fn ymm_high(&self, i: usize) -> [u64; 2] {
        let at = YMM_WORDS.start + 2 * i;
        [self.0[at], self.0[at + 1]]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn image(bv: u64) -> FpuState {
        let mut f = FpuState::initial();
        for (i, w) in f.0.iter_mut().enumerate().skip(4).take(48) {
            *w = 0x100 + i as u64;
        }
        for (i, w) in f.0[YMM_WORDS].iter_mut().enumerate() {
            *w = 0x9000 + i as u64;
        }
        f.0[BV_WORD] = bv;
        f
    }

    #[test]
    fn xrstor_takes_what_rfbm_and_xstate_bv_both_name() {
        let cur = FpuState::initial();
        let img = image(7);
        let all = cur.xrstor(&img, 7, 7).unwrap();
        assert_eq!(all.ymm_high(1), [0x9002, 0x9003]);
        assert_eq!(all.xstate_bv(), 7);
        // AVX not requested (an old frame): its initial state.
        let fpsse = cur.xrstor(&img, 3, 7).unwrap();
        assert_eq!(fpsse.ymm_high(1), [0, 0]);
        assert_eq!(fpsse.0[XMM_WORDS.start], img.0[XMM_WORDS.start]);
        // Requested, but XSTATE_BV says initial.
        let init = cur.xrstor(&image(3), 7, 7).unwrap();
        assert_eq!(init.ymm_high(15), [0, 0]);
        assert_eq!(init.xstate_bv(), 3);
    }

    #[test]
    fn xrstor_faults_where_the_cpu_would() {
        let cur = FpuState::initial();
        assert_eq!(cur.xrstor(&image(0xf), 7, 7), Err(BadImage), "a feature XCR0 lacks");
        assert_eq!(cur.xrstor(&image(7), 7, 3), Err(BadImage), "AVX not enabled");
        let mut compact = image(7);
        compact.0[BV_WORD + 1] = 1 << 63;
        assert_eq!(cur.xrstor(&compact, 7, 7), Err(BadImage), "compacted format");
        let mut mx = image(7);
        mx.set_mxcsr(0x1f80 | 1 << 20, 0);
        assert_eq!(cur.xrstor(&mx, 7, 7), Err(BadImage), "reserved MXCSR bits");
        // Without SSE or AVX requested MXCSR is not loaded, so not checked.
        assert_eq!(cur.xrstor(&mx, 1, 7).unwrap().mxcsr(), MXCSR_DEFAULT);
    }

    #[test]
    fn uabi_round_trip_and_checks() {
        let cur = image(7);
        let out = cur.to_uabi(7);
        assert_eq!(out.len(), 832);
        assert_eq!(out[464..472], 7u64.to_le_bytes(), "XCR0 in the software bytes");
        let back = cur.from_uabi(&FpuState::from_prefix(&out), 7).unwrap();
        assert_eq!(back.ymm_high(0), cur.ymm_high(0));
        assert_eq!(back.0[..58], cur.0[..58]);
        // A header without AVX resets the upper halves.
        let mut no_avx = FpuState::from_prefix(&out);
        no_avx.0[BV_WORD] = 3;
        assert_eq!(cur.from_uabi(&no_avx, 7).unwrap().ymm_high(3), [0, 0]);
        let mut reserved = FpuState::from_prefix(&out);
        reserved.0[HDR_WORDS.end - 1] = 1;
        assert_eq!(cur.from_uabi(&reserved, 7), Err(BadImage));
        assert_eq!(cur.to_uabi(3).len(), 576);
    }
}
