//! Prepares the demo profiles, as `trellis demo` will:
//! `cargo run -p trellis-ui --example demo -- ROOT` prints the two profile folders.

fn main() {
    let Some(root) = std::env::args().nth(1) else {
        eprintln!("usage: demo ROOT");
        std::process::exit(2);
    };
    match trellis_ui::prepare_demo(std::path::Path::new(&root)) {
        Ok((alex, sam)) => {
            println!("{}", alex.display());
            println!("{}", sam.display());
        }
        Err(e) => {
            eprintln!("{e}");
            std::process::exit(1);
        }
    }
}
