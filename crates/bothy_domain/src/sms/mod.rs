//! Two-way text messages for people without a smartphone: what a reply
//! says ([`reply`]), the question a person is being asked and what their
//! answer does next ([`conversation`]), and the fixed texts sent back
//! ([`texts`]). Pure: the application reads and stores conversations and
//! passes answers to the same use cases as the web.

pub mod conversation;
pub mod reply;
pub mod texts;

pub use conversation::{Asking, Conversation, Step};
pub use reply::{Keyword, keyword, parse_number, sender_number};
pub use texts::CareText;

/// How long a question waits for its answer. A reply after this is read
/// as a new message, never as an answer to a question asked days ago.
pub const CONVERSATION_HOURS: i64 = 24;

/// The longest inbound text read: ten concatenated SMS. Anything longer is
/// cut here, never stored whole.
pub const MAX_INBOUND_CHARS: usize = 1600;
