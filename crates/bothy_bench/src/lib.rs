//! `bothy bench`: Bothy's workloads against a real server process, each next
//! to the database's own figure for the same work, measured in the same run
//! on the same database (see `BENCHMARKS.md`).
//!
//! - `load`: closed- and open-loop drivers over any [`load::Client`];
//! - `client`: a keep-alive HTTP/1.1 connection with a cookie jar, from a
//!   chosen loopback address;
//! - `server`: the server as a child process, its start-up, its worker's
//!   first pass and its memory;
//! - `seed`: staff, API clients and fresh patients; `people`: this run's,
//!   and their sessions;
//! - `writes` (W1, W2), `reads` (W3, W4), `mixed` (W7) and `service` (W5,
//!   W6): the workloads; `peer`: W8's group of many posts and its
//!   moderation queue; `flood`: failed sign-ins from many addresses;
//! - `native` and `pgbench`: the database's own figures, on this process's
//!   own connections and with PostgreSQL's own tool;
//! - `run` and `phases`: one run, in order;
//! - `stats`: percentiles by nearest rank; `table`: the Markdown report.
//!
//! Nothing here asserts a performance figure: the report says which targets
//! a run met and which it missed.

pub mod client;
mod clock;
pub mod flood;
pub mod load;
pub mod mixed;
pub mod native;
mod peer;
mod people;
pub mod pgbench;
mod phases;
pub mod reads;
mod run;
pub mod seed;
pub mod server;
pub mod service;
pub mod stats;
pub mod table;
pub mod writes;

pub use run::{Database, Options, run};
pub use server::ServerCommand;
pub use table::{Report, Verdict};
