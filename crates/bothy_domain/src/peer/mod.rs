//! Moderated peer support: groups of a service where people who use it
//! help each other under chosen group names, every post screened before
//! anyone else reads it, and moderators working a queue ordered by risk.
//!
//! - `mod.rs`: groups (kind, moderation mode and hours, links, what happens
//!   outside hours), group names, post bodies and supportive reactions.
//! - `fold.rs`: text folded before it is read for risk (NFKC, invisible
//!   characters, combining marks, look-alike letters, leet).
//! - `screen.rs`: contact details, links, own names, someone else's
//!   identity, self-harm methods.
//! - `moderation.rs`: why a post is held, its status and the moderation
//!   state machine, priorities, deadlines and the queue's order.
//!
//! Decisions are written in docs/peer-support.md.

pub mod fold;
pub mod moderation;
pub mod screen;

#[cfg(test)]
mod tests;

use crate::alerts::{OpeningHours, OpeningHoursConfig};
use crate::ids::{GroupId, ServiceId};
use crate::text::{self, Lines};
use crate::time::Timestamp;

pub use moderation::{
    Action, HoldReason, ModerationError, PostStatus, Priority, Screening, deadline, screen_post,
};

/// The longest post or reply, in characters.
pub const POST_MAX: usize = 2_000;
/// The longest group name (pseudonym), in characters.
pub const PSEUDONYM_MAX: usize = 30;
/// The shortest group name, in characters.
pub const PSEUDONYM_MIN: usize = 3;
/// The longest reason a moderator gives, in characters.
pub const REASON_MAX: usize = 500;

/// The problems with a typed value, each with its field.
pub type FieldProblems = Vec<(&'static str, String)>;

fn problem<T>(field: &'static str, message: impl Into<String>) -> Result<T, FieldProblems> {
    Err(vec![(field, message.into())])
}

/// Who may join a group.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum GroupKind {
    /// Anyone with an account in the service.
    Open,
    /// People enrolled on one programme (`Group::programme`).
    Programme,
    /// By invitation: a moderator or clinician gives the person the
    /// group's invitation code.
    Closed,
}

impl GroupKind {
    pub const ALL: [GroupKind; 3] = [GroupKind::Open, GroupKind::Programme, GroupKind::Closed];

    pub fn as_str(self) -> &'static str {
        match self {
            GroupKind::Open => "open",
            GroupKind::Programme => "programme",
            GroupKind::Closed => "closed",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            GroupKind::Open => "Open to everyone in the service",
            GroupKind::Programme => "For people on a programme",
            GroupKind::Closed => "By invitation",
        }
    }

    pub fn parse(s: &str) -> Option<GroupKind> {
        GroupKind::ALL.into_iter().find(|k| k.as_str() == s)
    }
}

/// When a moderator reads a post.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ModerationMode {
    /// Every post held until a moderator approves it.
    Pre,
    /// Shown at once, reviewed after (unless screening holds it).
    Post,
}

impl ModerationMode {
    pub fn as_str(self) -> &'static str {
        match self {
            ModerationMode::Pre => "pre",
            ModerationMode::Post => "post",
        }
    }

    pub fn parse(s: &str) -> Option<ModerationMode> {
        match s {
            "pre" => Some(ModerationMode::Pre),
            "post" => Some(ModerationMode::Post),
            _ => None,
        }
    }
}

/// What a group does when no moderator is on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OutsideHours {
    /// Nobody may post; people read.
    ReadOnly,
    /// Posts are held until a moderator is back.
    PreModerated,
}

impl OutsideHours {
    pub fn as_str(self) -> &'static str {
        match self {
            OutsideHours::ReadOnly => "read_only",
            OutsideHours::PreModerated => "pre_moderated",
        }
    }

    pub fn parse(s: &str) -> Option<OutsideHours> {
        match s {
            "read_only" => Some(OutsideHours::ReadOnly),
            "pre_moderated" => Some(OutsideHours::PreModerated),
            _ => None,
        }
    }
}

/// A peer support group of one service.
#[derive(Debug, Clone, PartialEq)]
pub struct Group {
    pub id: GroupId,
    pub service_id: ServiceId,
    pub name: String,
    pub kind: GroupKind,
    /// The programme whose people may join a programme group.
    pub programme: Option<String>,
    pub description: String,
    pub rules: String,
    pub mode: ModerationMode,
    /// When moderators are on, in the alerts' opening-hours format.
    pub hours: OpeningHoursConfig,
    pub links_allowed: bool,
    pub outside_hours: OutsideHours,
    /// The code a closed group's members join with.
    pub invite_code: Option<String>,
    pub created_at: Timestamp,
}

/// Whether people may post now, and how their posts are treated.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Posting {
    /// Moderators are on: the group's own mode applies.
    Open(ModerationMode),
    /// Outside hours, posts are held until a moderator is back.
    HeldUntilMorning,
    /// Outside hours, the group is read-only.
    ReadOnly,
}

impl Group {
    /// The group's moderation hours, validated (a stored group's hours were
    /// checked when saved; anything unreadable falls back to the default).
    pub fn opening_hours(&self) -> OpeningHours {
        self.hours.validate().unwrap_or_else(|_| {
            OpeningHoursConfig::default()
                .validate()
                .expect("the default opening hours are valid")
        })
    }

    /// Whether and how people may post at `now`.
    pub fn posting(&self, now: Timestamp) -> Posting {
        if self.opening_hours().is_open(now) {
            Posting::Open(self.mode)
        } else {
            match self.outside_hours {
                OutsideHours::ReadOnly => Posting::ReadOnly,
                OutsideHours::PreModerated => Posting::HeldUntilMorning,
            }
        }
    }
}

/// A new group's details as typed in the group admin form.
#[derive(Debug, Clone, PartialEq)]
pub struct NewGroup {
    pub name: String,
    pub kind: GroupKind,
    pub programme: Option<String>,
    pub description: String,
    pub rules: String,
    pub mode: ModerationMode,
    pub hours: OpeningHoursConfig,
    pub links_allowed: bool,
    pub outside_hours: OutsideHours,
}

fn free_text(
    field: &'static str,
    what: &str,
    raw: &str,
    max: usize,
    lines: Lines,
) -> Result<String, FieldProblems> {
    let value = raw.trim();
    let count = value.chars().count();
    if value.is_empty() {
        return problem(field, format!("Enter {}", what.to_lowercase()));
    }
    if count > max {
        return problem(
            field,
            format!("{what} must be {max} characters or fewer (it has {count})"),
        );
    }
    if let Err(e) = text::check(value, lines) {
        return problem(field, e.message(what, lines));
    }
    Ok(value.replace("\r\n", "\n"))
}

/// The group admin form's fields, as typed.
#[derive(Debug, Clone, Default)]
pub struct GroupForm<'a> {
    pub name: &'a str,
    pub kind: &'a str,
    pub programme: &'a str,
    pub description: &'a str,
    pub rules: &'a str,
    pub mode: &'a str,
    /// Weekdays open, `HH:MM-HH:MM` (the same hours Monday to Friday).
    pub hours: &'a str,
    pub links_allowed: bool,
    pub outside_hours: &'a str,
}

/// A new group from its form, every problem at once.
pub fn parse_group(form: &GroupForm<'_>) -> Result<NewGroup, FieldProblems> {
    let mut problems = FieldProblems::new();
    let mut take = |r: Result<String, FieldProblems>| match r {
        Ok(v) => v,
        Err(p) => {
            problems.extend(p);
            String::new()
        }
    };
    let name = take(free_text(
        "name",
        "The group's name",
        form.name,
        80,
        Lines::One,
    ));
    let description = take(free_text(
        "description",
        "A description",
        form.description,
        1_000,
        Lines::Many,
    ));
    let rules = take(free_text(
        "rules",
        "The rules",
        form.rules,
        2_000,
        Lines::Many,
    ));
    let kind = GroupKind::parse(form.kind);
    if kind.is_none() {
        problems.push(("kind", "Choose who may join".into()));
    }
    let programme = form.programme.trim();
    if kind == Some(GroupKind::Programme) && programme.is_empty() {
        problems.push((
            "programme",
            "Name the programme whose people may join".into(),
        ));
    }
    let mode = ModerationMode::parse(form.mode);
    if mode.is_none() {
        problems.push(("mode", "Choose pre-moderation or post-moderation".into()));
    }
    let outside_hours = OutsideHours::parse(form.outside_hours);
    if outside_hours.is_none() {
        problems.push((
            "outside_hours",
            "Choose what happens outside moderation hours".into(),
        ));
    }
    let hours = match weekday_hours(form.hours) {
        Some(h) => h,
        None => {
            problems.push((
                "hours",
                "Enter moderation hours like 09:00-17:00 (Monday to Friday)".into(),
            ));
            OpeningHoursConfig::default()
        }
    };
    match (kind, mode, outside_hours) {
        (Some(kind), Some(mode), Some(outside_hours)) if problems.is_empty() => Ok(NewGroup {
            name,
            kind,
            programme: (kind == GroupKind::Programme).then(|| programme.to_string()),
            description,
            rules,
            mode,
            hours,
            links_allowed: form.links_allowed,
            outside_hours,
        }),
        _ => Err(problems),
    }
}

/// `HH:MM-HH:MM` as the same opening hours Monday to Friday, in UK time;
/// `always` for every hour of every day.
pub fn weekday_hours(raw: &str) -> Option<OpeningHoursConfig> {
    use crate::alerts::WeeklyInterval;
    let raw = raw.trim();
    const DAYS: [&str; 7] = [
        "monday",
        "tuesday",
        "wednesday",
        "thursday",
        "friday",
        "saturday",
        "sunday",
    ];
    let (days, start, end) = if raw.eq_ignore_ascii_case("always") {
        (&DAYS[..], "00:00", "24:00")
    } else {
        let (start, end) = raw.split_once('-')?;
        (&DAYS[..5], start.trim(), end.trim())
    };
    let config = OpeningHoursConfig {
        time_zone: "Europe/London".into(),
        weekly: days
            .iter()
            .map(|d| WeeklyInterval::new(d, start, end))
            .collect(),
        closed_dates: Vec::new(),
    };
    config.validate().ok().map(|_| config)
}

/// The person's own details a group name must not contain.
#[derive(Debug, Clone, Copy, Default)]
pub struct OwnDetails<'a> {
    pub given_name: &'a str,
    pub family_name: &'a str,
    pub email: Option<&'a str>,
    pub phone: Option<&'a str>,
}

/// A group name as chosen: 3 to 30 characters, one line, letters, digits,
/// spaces, `-`, `_`, `.` and `'`; no email address, phone number, link,
/// `@`, nor the person's own given, family or full name, email or phone
/// (read folded, so `J0 Bl0ggs` is refused too).
pub fn parse_pseudonym(raw: &str, own: &OwnDetails<'_>) -> Result<String, FieldProblems> {
    let name = raw.split_whitespace().collect::<Vec<_>>().join(" ");
    let count = name.chars().count();
    if !(PSEUDONYM_MIN..=PSEUDONYM_MAX).contains(&count) {
        return problem(
            "pseudonym",
            format!(
                "Choose a group name of {PSEUDONYM_MIN} to {PSEUDONYM_MAX} characters (it has {count})"
            ),
        );
    }
    if let Err(e) = text::check(&name, Lines::One) {
        return problem("pseudonym", e.message("Your group name", Lines::One));
    }
    if !name
        .chars()
        .all(|c| c.is_alphanumeric() || matches!(c, ' ' | '-' | '_' | '.' | '\''))
    {
        return problem(
            "pseudonym",
            "Use only letters, numbers, spaces and - _ . ' in your group name",
        );
    }
    if screen::has_email(&name) || screen::has_phone(&name) || screen::has_link(&name) {
        return problem(
            "pseudonym",
            "Your group name must not contain an email address, phone number or web address",
        );
    }
    let full = format!("{} {}", own.given_name, own.family_name);
    let names = [own.given_name, own.family_name, full.as_str()];
    let folded = fold::fold(&name);
    let squashed: String = folded.chars().filter(|c| c.is_alphanumeric()).collect();
    let own_contact = [own.email, own.phone].into_iter().flatten().any(|c| {
        let c: String = fold::fold(c)
            .chars()
            .take_while(|c| *c != '@')
            .filter(|c| c.is_alphanumeric())
            .collect();
        c.chars().count() >= 4 && squashed.contains(&c)
    });
    if screen::has_own_name(&name, &names) || own_contact {
        return problem(
            "pseudonym",
            "Your group name must not include your own name, email or phone number: \
             other members should not be able to tell who you are",
        );
    }
    Ok(name)
}

/// A post or reply as typed: trimmed, required, at most [`POST_MAX`]
/// characters, free text that shows as typed, and no link unless the group
/// allows links.
pub fn parse_post(raw: &str, links_allowed: bool) -> Result<String, FieldProblems> {
    let body = free_text("body", "Your post", raw, POST_MAX, Lines::Many)?;
    if !links_allowed && screen::has_link(&body) {
        return problem(
            "body",
            "Links to websites are not allowed in this group: take the link out and post again",
        );
    }
    Ok(body)
}

/// A moderator's reason or note: required, at most [`REASON_MAX`]
/// characters.
pub fn parse_reason(raw: &str) -> Result<String, FieldProblems> {
    free_text("reason", "The reason", raw, REASON_MAX, Lines::Many)
}

/// The supportive reactions a member may leave on a post: a small fixed
/// set, so that nothing can be used to mock or pile on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Reaction {
    Support,
    Hug,
    SameHere,
    Thanks,
}

impl Reaction {
    pub const ALL: [Reaction; 4] = [
        Reaction::Support,
        Reaction::Hug,
        Reaction::SameHere,
        Reaction::Thanks,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Reaction::Support => "support",
            Reaction::Hug => "hug",
            Reaction::SameHere => "same_here",
            Reaction::Thanks => "thanks",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Reaction::Support => "Sending support",
            Reaction::Hug => "Hug",
            Reaction::SameHere => "Same here",
            Reaction::Thanks => "Thank you",
        }
    }

    pub fn parse(s: &str) -> Option<Reaction> {
        Reaction::ALL.into_iter().find(|r| r.as_str() == s)
    }
}

/// A person's membership of a group, under their group name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Member {
    pub id: crate::ids::MemberId,
    pub group_id: GroupId,
    pub service_id: ServiceId,
    pub patient_id: crate::ids::PatientId,
    pub pseudonym: String,
    pub joined_at: Timestamp,
    /// Posting is suspended until then.
    pub suspended_until: Option<Timestamp>,
}

impl Member {
    pub fn suspended_at(&self, now: Timestamp) -> bool {
        self.suspended_until.is_some_and(|until| until > now)
    }
}

/// The key a group name is unique by within a group: folded, letters and
/// digits only, so `Quiet Heron` and `quiet_heron` are one name.
pub fn pseudonym_key(pseudonym: &str) -> String {
    fold::fold_leet(pseudonym)
        .chars()
        .filter(|c| c.is_alphanumeric())
        .collect()
}

/// A post or reply, with its author's group name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Post {
    pub id: crate::ids::PostId,
    pub group_id: GroupId,
    pub service_id: ServiceId,
    pub member_id: crate::ids::MemberId,
    pub pseudonym: String,
    pub parent_id: Option<crate::ids::PostId>,
    pub body: String,
    pub status: PostStatus,
    pub needs_review: bool,
    pub priority: Priority,
    pub hold_reasons: Vec<HoldReason>,
    pub risk: bool,
    pub queued_at: Option<Timestamp>,
    pub deadline: Option<Timestamp>,
    pub created_at: Timestamp,
    pub reviewed_at: Option<Timestamp>,
    /// Why a moderator hid or removed it: its author sees this.
    pub status_reason: Option<String>,
    /// The moderator's note on an edit, shown with the post.
    pub edit_note: Option<String>,
    pub report_count: i64,
    /// When the post, unreviewed past its deadline, was escalated to the
    /// service's moderators and clinical leads; cleared when it is queued
    /// again after a review.
    pub escalated_at: Option<Timestamp>,
}
