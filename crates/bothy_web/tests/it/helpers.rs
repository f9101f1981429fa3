//! The shared test kit (`bothy_testkit`), under the name the test modules use.

pub use bothy_testkit::*;
