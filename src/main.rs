/// mimalloc: Typst allocates many small short-lived objects; glibc malloc spent ~10 % of a
/// batch in malloc/free and kept freed memory resident.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() {
    std::process::exit(vanban::cli::main());
}
