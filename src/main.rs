fn main() {
    std::process::exit(intune_audit::run(std::env::args_os()));
}
