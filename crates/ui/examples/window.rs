//! Opens the window on a profile folder, as `trellis --profile DIR` will:
//! `cargo run -p trellis-ui --example window -- DIR [lan|internet|loopback]`.

fn main() {
    let mut args = std::env::args().skip(1);
    let Some(dir) = args.next() else {
        eprintln!("usage: window PROFILE_DIR [lan|internet|loopback]");
        std::process::exit(2);
    };
    let mode = args.next().and_then(|m| trellis_ui::NetworkMode::parse(&m));
    if let Err(e) = trellis_ui::run(trellis_ui::RunOptions {
        profile_dir: dir.into(),
        mode,
    }) {
        eprintln!("{e}");
        std::process::exit(1);
    }
}
