//! `ptvsd-dap probe`.

#[derive(clap::Args, Debug)]
pub struct Args {}

pub async fn run(_args: Args) -> u8 {
    eprintln!("ptvsd-dap probe: not implemented yet");
    2
}
