//! `bothy bench`: Bothy's workloads against a real server process, each next
//! to the raw database's own figure for the same work, measured in the same
//! run on the same database (see `BENCHMARKS.md`).
//!
//! - `load`: closed- and open-loop drivers over any [`load::Client`];
//! - `client`: a keep-alive HTTP/1.1 connection with a cookie jar;
//! - `server`: the server as a child process, its start-up and memory;
//! - `seed`: this run's accounts; `writes` (W1, W2), `reads` (W3, W4) and
//!   `service` (W5, W6): the workloads and their baselines;
//! - `stats`: percentiles by nearest rank; `table`: the Markdown report.
//!
//! Nothing here asserts a performance figure: the report says which targets
//! a run met and which it missed.

pub mod client;
mod clock;
pub mod load;
pub mod reads;
mod run;
pub mod seed;
pub mod server;
pub mod service;
pub mod stats;
pub mod table;
pub mod writes;

pub use run::{Options, run};
pub use server::ServerCommand;
pub use table::{Report, Verdict};
