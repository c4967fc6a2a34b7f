//! The `vanban` command: argument parsing and reporting live here, the work in the library.

mod cli;

fn main() {
    grow_heaps_in_large_steps();
    std::process::exit(cli::main());
}

/// Typst runs on a thread of its own (see `typeset::compile`), whose glibc heap grows by
/// 128 KB at a time: 760 `mprotect` calls for one document, more system time than the rest
/// of the run. A larger step asks the kernel less often; pages are still only used when
/// touched, so the memory in use does not change.
fn grow_heaps_in_large_steps() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: mallopt only sets a tuning parameter; it is called before any other thread runs.
    unsafe {
        libc::mallopt(libc::M_TOP_PAD, 16 << 20);
    }
}
