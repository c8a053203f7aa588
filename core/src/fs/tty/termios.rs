//! The terminal's settings, `struct termios` in its three user layouts
//! (Linux: drivers/tty/tty_ioctl.c, include/uapi/asm-generic/termbits.h).

use crate::abi::*;

/// Linux: INIT_C_CC: ^C ^\ ^? ^U ^D, TIME 0, MIN 1, ^Q ^S ^Z, ^R ^O ^W ^V.
pub const INIT_C_CC: [u8; NCCS] = [3, 28, 127, 21, 4, 0, 1, 0, 17, 19, 26, 0, 18, 15, 23, 22, 0, 0, 0];

/// Linux: baud_table, speeds by their Bxxx code (CBAUDEX codes follow B38400).
const BAUD_TABLE: [u32; 31] = [
    0, 50, 75, 110, 134, 150, 200, 300, 600, 1200, 1800, 2400, 4800, 9600, 19200, 38400, 57600, 115200, 230400, 460800,
    500000, 576000, 921600, 1000000, 1152000, 1500000, 2000000, 2500000, 3000000, 3500000, 4000000,
];

/// The kernel's `struct ktermios`: what TCGETS (the first 36 bytes) and
/// TCGETS2 (all 44, with the speeds) show.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Termios {
    pub iflag: u32,
    pub oflag: u32,
    pub cflag: u32,
    pub lflag: u32,
    pub line: u8,
    pub cc: [u8; NCCS],
    pub ispeed: u32,
    pub ospeed: u32,
}

fn u32_at(b: &[u8], i: usize) -> u32 {
    u32::from_le_bytes(b[i..i + 4].try_into().expect("4 bytes"))
}

fn u16_at(b: &[u8], i: usize) -> u32 {
    u16::from_le_bytes(b[i..i + 2].try_into().expect("2 bytes")) as u32
}

fn baud(code: u32, other: u32) -> u32 {
    if code == BOTHER {
        return other;
    }
    let i = if code & CBAUDEX != 0 { (code & !CBAUDEX) + 15 } else { code } as usize;
    BAUD_TABLE.get(i).copied().unwrap_or(0)
}

impl Termios {
    /// Linux: tty_std_termios, what a terminal starts with (`stty -a` on
    /// a fresh console: `icrnl ixon`, `opost onlcr`, `cs8 cread hupcl`
    /// at 38400, `isig icanon echo echoe echok echoctl echoke iexten`).
    pub fn standard() -> Self {
        Termios {
            iflag: ICRNL | IXON,
            oflag: OPOST | ONLCR,
            cflag: B38400 | CS8 | CREAD | HUPCL,
            lflag: ISIG | ICANON | ECHO | ECHOE | ECHOK | ECHOCTL | ECHOKE | IEXTEN,
            line: 0,
            cc: INIT_C_CC,
            ispeed: 38400,
            ospeed: 38400,
        }
    }

    /// `struct termios` (TCGETS): flags, c_line, c_cc[19].
    pub fn to_user(&self) -> [u8; 36] {
        let mut b = [0u8; 36];
        b[0..4].copy_from_slice(&self.iflag.to_le_bytes());
        b[4..8].copy_from_slice(&self.oflag.to_le_bytes());
        b[8..12].copy_from_slice(&self.cflag.to_le_bytes());
        b[12..16].copy_from_slice(&self.lflag.to_le_bytes());
        b[16] = self.line;
        b[17..36].copy_from_slice(&self.cc);
        b
    }

    /// `struct termios2` (TCGETS2): the same, then c_ispeed and c_ospeed.
    pub fn to_user2(&self) -> [u8; 44] {
        let mut b = [0u8; 44];
        b[..36].copy_from_slice(&self.to_user());
        b[36..40].copy_from_slice(&self.ispeed.to_le_bytes());
        b[40..44].copy_from_slice(&self.ospeed.to_le_bytes());
        b
    }

    /// `struct termio` (TCGETA): 16-bit flags, c_line, c_cc[8].
    pub fn to_termio(&self) -> [u8; 18] {
        let mut b = [0u8; 18];
        for (i, f) in [self.iflag, self.oflag, self.cflag, self.lflag].into_iter().enumerate() {
            b[i * 2..i * 2 + 2].copy_from_slice(&(f as u16).to_le_bytes());
        }
        b[8] = self.line;
        b[9..17].copy_from_slice(&self.cc[..NCC]);
        b
    }

    /// These settings changed by a TCSETS `struct termios` (36 bytes),
    /// a TCSETS2 `struct termios2` (44) or a TCSETA `struct termio` (18),
    /// with the speeds worked out again (Linux: set_termios()).
    pub fn updated_from(&self, b: &[u8]) -> Termios {
        let mut t = *self;
        if b.len() == 18 {
            // Linux: user_termio_to_kernel_termios(): the low 16 bits.
            t.iflag = (t.iflag & 0xffff_0000) | u16_at(b, 0);
            t.oflag = (t.oflag & 0xffff_0000) | u16_at(b, 2);
            t.cflag = (t.cflag & 0xffff_0000) | u16_at(b, 4);
            t.lflag = (t.lflag & 0xffff_0000) | u16_at(b, 6);
            t.line = b[8];
            t.cc[..NCC].copy_from_slice(&b[9..17]);
        } else {
            t.iflag = u32_at(b, 0);
            t.oflag = u32_at(b, 4);
            t.cflag = u32_at(b, 8);
            t.lflag = u32_at(b, 12);
            t.line = b[16];
            t.cc.copy_from_slice(&b[17..36]);
            if b.len() == 44 {
                t.ispeed = u32_at(b, 36);
                t.ospeed = u32_at(b, 40);
            }
        }
        // Linux: tty_termios_input_baud_rate(), tty_termios_baud_rate().
        let out = baud(t.cflag & CBAUD, t.ospeed);
        let icode = (t.cflag >> IBSHIFT) & CBAUD;
        t.ispeed = if icode == B0 { out } else { baud(icode, t.ispeed) };
        t.ospeed = out;
        t
    }
}
