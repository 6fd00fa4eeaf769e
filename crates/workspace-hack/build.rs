// A build script makes cargo consider this crate's build-dependencies (hakari writes them too).
fn main() {}
