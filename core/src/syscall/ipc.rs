//! System V IPC's system calls (Linux: ipc/syscall.c and the ksys_*
//! entries of ipc/shm.c, sem.c and msg.c): each decodes its arguments,
//! reads and writes the user structures, and calls the IPC room
//! (`crate::ipc`), which keeps the objects and decides.

use alloc::vec::Vec;

use crate::abi::*;
use crate::ipc::util::{IPC_64, IPC_INFO, IPC_RMID, IPC_SET, IPC_STAT};
use crate::ipc::{msg, sem, shm};
use crate::kernel::Kernel;

/// shmget(2).
pub fn sys_shmget(k: &mut Kernel, key: i32, size: u64, flags: u32) -> SysResult {
    shm::get(k, key, size, flags)
}

/// shmat(2).
pub fn sys_shmat(k: &mut Kernel, id: i32, addr: u64, flags: u32) -> SysResult {
    shm::attach(k, id, addr, flags)
}

/// shmdt(2).
pub fn sys_shmdt(k: &mut Kernel, addr: u64) -> SysResult {
    shm::detach(k, addr)
}

/// shmctl(2): IPC_INFO, IPC_STAT, IPC_SET and IPC_RMID (Linux:
/// ksys_shmctl()).
pub fn sys_shmctl(k: &mut Kernel, id: i32, cmd: i32, buf: u64) -> SysResult {
    match cmd & !IPC_64 {
        IPC_INFO => {
            let (info, max) = shm::info(k);
            k.write_val(buf, &info)?;
            Ok(max)
        }
        IPC_STAT => {
            let ds = shm::stat(k, id)?;
            k.write_val(buf, &ds)?;
            Ok(0)
        }
        // Linux: copy_shmid_from_user(), the whole shmid64_ds, before the
        // lookup.
        IPC_SET => {
            let ds: ShmidDs = k.read_val(buf)?;
            shm::set(k, id, &ds)
        }
        IPC_RMID => shm::remove(k, id),
        _ => Err(EINVAL),
    }
}

/// semget(2).
pub fn sys_semget(k: &mut Kernel, key: i32, nsems: i32, flags: u32) -> SysResult {
    sem::get(k, key, nsems, flags)
}

/// semop(2) is semtimedop(2) without a timeout (`timeout` 0).
pub fn sys_semtimedop(k: &mut Kernel, id: i32, sops_addr: u64, nsops: u64, timeout: u64) -> SysResult {
    let r = semtimedop(k, id, sops_addr, nsops, timeout);
    sem::finish(k, r)
}

fn semtimedop(k: &mut Kernel, id: i32, sops_addr: u64, nsops: u64, timeout: u64) -> SysResult {
    sem::check_nsops(k, id, nsops)?;
    let sops: Vec<Sembuf> = k.read_vals(sops_addr, nsops as usize)?;
    let timeout = if timeout != 0 && !sem::resuming(k) {
        let (s, ns) = k.read_timespec(timeout)?;
        Some((s as u64).saturating_mul(1_000_000_000).saturating_add(ns as u64))
    } else {
        None
    };
    sem::semop(k, id, &sops, timeout)
}

/// semctl(2) (Linux: ksys_semctl()). `arg` is the `union semun` as
/// passed: an int for SETVAL, a pointer otherwise.
pub fn sys_semctl(k: &mut Kernel, id: i32, semnum: i32, cmd: i32, arg: u64) -> SysResult {
    match cmd & !IPC_64 {
        cmd @ (IPC_INFO | sem::SEM_INFO) => {
            let (info, max) = sem::info(k, cmd == sem::SEM_INFO);
            k.write_val(arg, &info)?;
            Ok(max)
        }
        cmd @ (sem::SEM_STAT | sem::SEM_STAT_ANY) => {
            let (ds, full) = sem::stat_slot(k, id, cmd == sem::SEM_STAT_ANY)?;
            k.write_val(arg, &ds)?;
            Ok(full)
        }
        IPC_STAT => {
            let ds = sem::stat(k, id)?;
            k.write_val(arg, &ds)?;
            Ok(0)
        }
        // Linux: copy_semid_from_user() before semctl_down().
        IPC_SET => {
            let ds: SemidDs = k.read_val(arg)?;
            sem::set(k, id, &ds)
        }
        IPC_RMID => sem::remove(k, id),
        sem::GETVAL => sem::query(k, id, semnum, sem::SemQuery::Val),
        sem::GETPID => sem::query(k, id, semnum, sem::SemQuery::Pid),
        sem::GETNCNT => sem::query(k, id, semnum, sem::SemQuery::WaitingForMore),
        sem::GETZCNT => sem::query(k, id, semnum, sem::SemQuery::WaitingForZero),
        sem::GETALL => {
            let vals = sem::get_all(k, id)?;
            k.copy_out(arg, zerocopy::IntoBytes::as_bytes(vals.as_slice()))?;
            Ok(0)
        }
        // Linux: semctl_setval() checks the value before the set.
        sem::SETVAL if !(0..=sem::SEMVMX).contains(&(arg as i32)) => Err(ERANGE),
        sem::SETVAL => sem::set_values(k, id, Some(semnum), &[arg as i32]),
        sem::SETALL => {
            let n = sem::set_all_len(k, id)?;
            let vals: Vec<u16> = k.read_vals(arg, n)?;
            let vals: Vec<i32> = vals.into_iter().map(i32::from).collect();
            sem::set_values(k, id, None, &vals)
        }
        _ => Err(EINVAL),
    }
}

/// msgget(2).
pub fn sys_msgget(k: &mut Kernel, key: i32, flags: u32) -> SysResult {
    msg::get(k, key, flags)
}

/// msgsnd(2) (Linux: ksys_msgsnd(): the type, then do_msgsnd()'s checks,
/// then load_msg()'s copy of the text).
pub fn sys_msgsnd(k: &mut Kernel, id: i32, msgp: u64, size: i64, flags: u32) -> SysResult {
    let r = msgsnd(k, id, msgp, size, flags);
    msg::finish(k, r)
}

fn msgsnd(k: &mut Kernel, id: i32, msgp: u64, size: i64, flags: u32) -> SysResult {
    msg::removed_while_asleep(k)?;
    let mtype: i64 = k.read_val(msgp)?;
    msg::check_send(k, id, size, mtype)?;
    let mut text = crate::mm::kheap::try_zeroed(size as usize)?;
    k.copy_in(msgp + 8, &mut text)?;
    msg::send(k, id, mtype, text, flags)
}

/// msgrcv(2) (Linux: ksys_msgrcv() → do_msgrcv()).
pub fn sys_msgrcv(k: &mut Kernel, id: i32, msgp: u64, size: i64, msgtyp: i64, flags: u32) -> SysResult {
    let r = msgrcv(k, id, msgp, size, msgtyp, flags);
    msg::finish(k, r)
}

fn msgrcv(k: &mut Kernel, id: i32, msgp: u64, size: i64, msgtyp: i64, flags: u32) -> SysResult {
    msg::removed_while_asleep(k)?;
    if size < 0 {
        return Err(EINVAL);
    }
    // MSG_COPY reads its buffer (at most msgmax bytes) before anything
    // else (Linux: prepare_copy()).
    let copy_limit = if msg::is_copy(flags)? {
        let limit = msg::copy_limit(k, size);
        let mut scratch = crate::mm::kheap::try_zeroed(limit)?;
        k.copy_in(msgp, &mut scratch)?;
        Some(limit)
    } else {
        None
    };
    let picked = msg::pick(k, id, size as usize, msgtyp, flags, copy_limit)?;
    // Copied out before it is taken: a bad buffer leaves it queued.
    k.write_val(msgp, &picked.mtype)?;
    k.copy_out(msgp + 8, &picked.text)?;
    let n = picked.text.len();
    if copy_limit.is_none() {
        msg::take(k, id, picked);
    }
    Ok(n)
}

/// msgctl(2) (Linux: ksys_msgctl()).
pub fn sys_msgctl(k: &mut Kernel, id: i32, cmd: i32, buf: u64) -> SysResult {
    match cmd & !IPC_64 {
        cmd @ (IPC_INFO | msg::MSG_INFO) => {
            let (info, max) = msg::info(k, cmd == msg::MSG_INFO);
            k.write_val(buf, &info)?;
            Ok(max)
        }
        cmd @ (msg::MSG_STAT | msg::MSG_STAT_ANY) => {
            let (ds, full) = msg::stat_slot(k, id, cmd == msg::MSG_STAT_ANY)?;
            k.write_val(buf, &ds)?;
            Ok(full)
        }
        IPC_STAT => {
            let ds = msg::stat(k, id)?;
            k.write_val(buf, &ds)?;
            Ok(0)
        }
        // Linux: copy_msqid_from_user() before msgctl_down().
        IPC_SET => {
            let ds: MsqidDs = k.read_val(buf)?;
            msg::set(k, id, &ds)
        }
        IPC_RMID => msg::remove(k, id),
        _ => Err(EINVAL),
    }
}
