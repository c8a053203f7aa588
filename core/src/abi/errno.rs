//! Linux errno values (include/uapi/asm-generic/errno-base.h, errno.h).

/// A Linux error number. Syscall handlers return `Result<_, Errno>`; the
/// dispatcher turns `Err(e)` into `-e` in rax, as Linux does.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Errno(pub i32);

macro_rules! errnos {
    ($($name:ident = $v:expr),* $(,)?) => {
        $(pub const $name: Errno = Errno($v);)*
        impl Errno {
            /// The symbolic name, for the kernel log.
            pub fn name(self) -> &'static str {
                match self.0 { $($v => stringify!($name),)* _ => "E?" }
            }
        }
    };
}

errnos! {
    EPERM = 1, ENOENT = 2, ESRCH = 3, EINTR = 4, EIO = 5, ENXIO = 6, E2BIG = 7,
    ENOEXEC = 8, EBADF = 9, ECHILD = 10, EAGAIN = 11, ENOMEM = 12, EACCES = 13,
    EFAULT = 14, ENOTBLK = 15, EBUSY = 16, EEXIST = 17, EXDEV = 18, ENODEV = 19,
    ENOTDIR = 20, EISDIR = 21, EINVAL = 22, ENFILE = 23, EMFILE = 24, ENOTTY = 25,
    ETXTBSY = 26, EFBIG = 27, ENOSPC = 28, ESPIPE = 29, EROFS = 30, EMLINK = 31,
    EPIPE = 32, EDOM = 33, ERANGE = 34, EDEADLK = 35, ENAMETOOLONG = 36,
    ENOLCK = 37, ENOSYS = 38, ENOTEMPTY = 39, ELOOP = 40, ENOMSG = 42, EIDRM = 43,
    ENODATA = 61, ETIME = 62, EOVERFLOW = 75, EBADFD = 77, ELIBBAD = 80, ENOTSOCK = 88,
    EMSGSIZE = 90, EPROTOTYPE = 91, ENOPROTOOPT = 92, EPROTONOSUPPORT = 93,
    ESOCKTNOSUPPORT = 94, EOPNOTSUPP = 95, EAFNOSUPPORT = 97, EADDRINUSE = 98,
    EISCONN = 106, ENOTCONN = 107, ETIMEDOUT = 110, ECONNREFUSED = 111, ESTALE = 116,
    ERESTARTSYS = 512, ERESTARTNOINTR = 513, ERESTARTNOHAND = 514,
    ERESTART_RESTARTBLOCK = 516,
}

pub type SysResult<T = usize> = Result<T, Errno>;
