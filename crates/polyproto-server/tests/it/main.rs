//! polyproto-server's integration tests, linked into one binary: the end-to-end scenarios on
//! both databases, the reference SDK as a client, the binary driven as an operator would, and
//! the API guide run as written.

mod api_guide;
mod cli;
mod e2e;
mod reference_client;
