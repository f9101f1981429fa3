//! The form tools' fields and rules: the activity diary and planner, the
//! worry log, the exposure ladder with its practices, and goals with their
//! progress ratings.
//!
//! Scales, and where they come from:
//! - Activity diary: mood, achievement and pleasure each 0 to 10, as in the
//!   activity schedule of behavioural activation (Beck et al., Cognitive
//!   Therapy of Depression, 1979; Martell, Dimidjian and Herman-Dunn,
//!   Behavioral Activation for Depression, 2010).
//! - Worry log: practical ("real problem") and hypothetical ("what if")
//!   worries, the split the worry decision tree makes (Butler and Hope,
//!   Manage Your Mind, 2007), distress 0 to 100.
//! - Exposure: the Subjective Units of Distress Scale, 0 to 100 (Wolpe, The
//!   Practice of Behavior Therapy, 1969), before, at its highest and at the
//!   end of a practice; the ladder is ordered by the distress expected.
//! - Goals: Goal Based Outcomes, each goal rated 0 (not at all) to 10 (goal
//!   reached) for how close the person is to it (Law and Jacob, Goals and
//!   Goal Based Outcomes, CORC, 3rd edition 2015).

use super::ToolKind;
use super::form::{Field, FieldKind, FormEntry, Spec};
use super::thought_record::Problems;
use jiff::civil::Date;

/// How far back or ahead a dated entry may be, in days.
pub const DAYS_LIMIT: i64 = 366;
/// The longest exposure practice recorded, in minutes.
pub const PRACTICE_MINUTES_MAX: u16 = 600;

const fn field(
    name: &'static str,
    label: &'static str,
    hint: &'static str,
    short: &'static str,
    kind: FieldKind,
    required: bool,
) -> Field {
    Field {
        name,
        label,
        hint,
        short,
        kind,
        required,
    }
}

/// Done or planned, for the activity diary and planner.
pub const DONE: &str = "done";
pub const PLANNED: &str = "planned";

pub static ACTIVITY: Spec = Spec {
    kind: ToolKind::Activity,
    fields: &[
        field(
            "activity",
            "What you did, or plan to do",
            "For example: walked to the shop, phoned my sister. Up to 2,000 characters.",
            "Activity",
            FieldKind::Text,
            true,
        ),
        field(
            "status",
            "Did you do it, or is it a plan?",
            "Plan a few things for the days ahead, then rate them once you have done them.",
            "Done or planned",
            FieldKind::Choice(&[(DONE, "I did it"), (PLANNED, "I plan to do it")]),
            true,
        ),
        field(
            "day",
            "Which day",
            "For example 2026-03-01 or 1/3/2026.",
            "Day",
            FieldKind::Date,
            true,
        ),
        field(
            "time_of_day",
            "What time of day",
            "",
            "Time of day",
            FieldKind::Choice(&[
                ("morning", "Morning"),
                ("afternoon", "Afternoon"),
                ("evening", "Evening"),
            ]),
            true,
        ),
        field(
            "mood",
            "Your mood while doing it",
            "If you did it: a number from 0 (very low) to 10 (very good). Leave empty for a plan.",
            "Mood",
            FieldKind::Rating(10),
            false,
        ),
        field(
            "achievement",
            "How much of an achievement it was",
            "If you did it: 0 (none at all) to 10 (a big achievement), for how hard it was for you that day.",
            "Achievement",
            FieldKind::Rating(10),
            false,
        ),
        field(
            "pleasure",
            "How much you enjoyed it",
            "If you did it: 0 (not at all) to 10 (very much).",
            "Pleasure",
            FieldKind::Rating(10),
            false,
        ),
    ],
    rule: activity_rule,
};

/// A done activity is rated and not in the future; a plan is not rated and
/// not in the past.
fn activity_rule(e: &FormEntry, today: Date) -> Problems {
    let mut problems = Problems::new();
    let day = e.date("day");
    let ratings = ["mood", "achievement", "pleasure"];
    let Some(status) = e.choice("status") else {
        return problems;
    };
    if status == PLANNED {
        let day = day.unwrap_or(today);
        if day < today {
            problems.push(("day", "A plan is for today or a day ahead".into()));
        } else if days_between(today, day) > DAYS_LIMIT {
            problems.push((
                "day",
                format!("A plan can be at most {DAYS_LIMIT} days ahead"),
            ));
        }
        for r in ratings.into_iter().filter(|r| e.get(r).is_some()) {
            problems.push((
                r,
                "Leave the ratings empty for a plan: rate it once you have done it".into(),
            ));
        }
    } else {
        if let Some(day) = day {
            past_day(&mut problems, "day", day, today, "Something you did");
        }
        for f in ratings.iter().filter(|r| e.get(r).is_none()) {
            let label = ACTIVITY.field(f).map_or(*f, |f| f.label);
            problems.push((f, format!("{label}: give a number from 0 to 10")));
        }
    }
    problems
}

pub static WORRY: Spec = Spec {
    kind: ToolKind::Worry,
    fields: &[
        field(
            "worry",
            "What you are worried about",
            "Write it down, then put it aside until your worry time. Up to 2,000 characters.",
            "Worry",
            FieldKind::Text,
            true,
        ),
        field(
            "worry_type",
            "What kind of worry is it?",
            "",
            "Kind",
            FieldKind::Choice(&[
                (
                    "practical",
                    "Practical: about a problem I have now and can do something about",
                ),
                (
                    "hypothetical",
                    "What if: about something that might happen, that I cannot act on now",
                ),
            ]),
            true,
        ),
        field(
            "distress",
            "How worried do you feel?",
            "A number from 0 (not at all) to 100 (as worried as you have ever been).",
            "Worry before",
            FieldKind::Rating(100),
            true,
        ),
        field(
            "next_step",
            "One small step you could take (optional)",
            "For a practical worry: what could you do, and when? Up to 2,000 characters.",
            "Next step",
            FieldKind::Text,
            false,
        ),
        field(
            "distress_after",
            "How worried do you feel after your worry time? (optional)",
            "A number from 0 to 100. You can leave this empty.",
            "Worry after",
            FieldKind::Rating(100),
            false,
        ),
    ],
    rule: |_, _| Problems::new(),
};

pub static EXPOSURE_STEP: Spec = Spec {
    kind: ToolKind::ExposureStep,
    fields: &[
        field(
            "situation",
            "A situation you avoid or that makes you anxious",
            "Make it specific, for example: stand in the queue at the corner shop for 5 minutes. Up to 2,000 characters.",
            "Step",
            FieldKind::Text,
            true,
        ),
        field(
            "expected_distress",
            "How anxious would it make you?",
            "A number from 0 (calm) to 100 (the most anxious you can imagine).",
            "Expected anxiety",
            FieldKind::Rating(100),
            true,
        ),
    ],
    rule: |_, _| Problems::new(),
};

pub static EXPOSURE_PRACTICE: Spec = Spec {
    kind: ToolKind::ExposurePractice,
    fields: &[
        field(
            "step",
            "Which step did you practise?",
            "",
            "Step",
            FieldKind::Entry(ToolKind::ExposureStep),
            true,
        ),
        field(
            "practised_on",
            "Which day",
            "For example 2026-03-01 or 1/3/2026.",
            "Day",
            FieldKind::Date,
            true,
        ),
        field(
            "minutes",
            "How many minutes did you stay?",
            "A whole number of minutes.",
            "Minutes",
            FieldKind::Minutes(PRACTICE_MINUTES_MAX),
            true,
        ),
        field(
            "distress_before",
            "Anxiety at the start",
            "A number from 0 (calm) to 100 (the most anxious you can imagine).",
            "Anxiety at the start",
            FieldKind::Rating(100),
            true,
        ),
        field(
            "distress_peak",
            "Anxiety at its highest (optional)",
            "A number from 0 to 100.",
            "Highest",
            FieldKind::Rating(100),
            false,
        ),
        field(
            "distress_after",
            "Anxiety at the end",
            "A number from 0 to 100.",
            "Anxiety at the end",
            FieldKind::Rating(100),
            true,
        ),
        field(
            "notes",
            "What did you notice? (optional)",
            "What happened, compared with what you feared? Up to 2,000 characters.",
            "Noticed",
            FieldKind::Text,
            false,
        ),
    ],
    rule: practice_rule,
};

/// A practice happened (not in the future), and its highest anxiety is at
/// least the anxiety at its start and at its end.
fn practice_rule(e: &FormEntry, today: Date) -> Problems {
    let mut problems = Problems::new();
    if let Some(day) = e.date("practised_on") {
        past_day(&mut problems, "practised_on", day, today, "A practice");
    }
    if let (Some(peak), Some(before), Some(after)) = (
        e.number("distress_peak"),
        e.number("distress_before"),
        e.number("distress_after"),
    ) && peak < before.max(after)
    {
        problems.push((
            "distress_peak",
            format!(
                "Anxiety at its highest cannot be lower than at the start ({before}) or at the end ({after})"
            ),
        ));
    }
    problems
}

pub static GOAL: Spec = Spec {
    kind: ToolKind::Goal,
    fields: &[
        field(
            "goal",
            "Your goal",
            "Something you want to be able to do, in your own words, for example: go back to my swimming class. Up to 2,000 characters.",
            "Goal",
            FieldKind::Text,
            true,
        ),
        field(
            "progress",
            "How close are you to it now?",
            "A number from 0 (not at all) to 10 (goal reached).",
            "Progress at the start",
            FieldKind::Rating(10),
            true,
        ),
    ],
    rule: |_, _| Problems::new(),
};

pub static GOAL_RATING: Spec = Spec {
    kind: ToolKind::GoalRating,
    fields: &[
        field(
            "rated_goal",
            "Which goal?",
            "",
            "Goal",
            FieldKind::Entry(ToolKind::Goal),
            true,
        ),
        field(
            "rating",
            "How close are you to it now?",
            "A number from 0 (not at all) to 10 (goal reached).",
            "Progress",
            FieldKind::Rating(10),
            true,
        ),
        field(
            "rating_note",
            "What has helped, or got in the way? (optional)",
            "Up to 2,000 characters.",
            "Note",
            FieldKind::Text,
            false,
        ),
    ],
    rule: |_, _| Problems::new(),
};

/// The form tools.
pub static ALL: [&Spec; 6] = [
    &ACTIVITY,
    &WORRY,
    &EXPOSURE_STEP,
    &EXPOSURE_PRACTICE,
    &GOAL,
    &GOAL_RATING,
];

/// The form of a tool, if it is a form tool.
pub fn spec(kind: ToolKind) -> Option<&'static Spec> {
    ALL.iter().copied().find(|s| s.kind == kind)
}

fn days_between(a: Date, b: Date) -> i64 {
    a.until(b).map_or(i64::MAX, |s| i64::from(s.get_days()))
}

/// Something that happened: not after today, nor over [`DAYS_LIMIT`] ago.
fn past_day(problems: &mut Problems, field: &'static str, day: Date, today: Date, what: &str) {
    if day > today {
        problems.push((field, format!("{what} cannot be on a day still to come")));
    } else if days_between(day, today) > DAYS_LIMIT {
        problems.push((
            field,
            format!("{what} can be at most {DAYS_LIMIT} days ago"),
        ));
    }
}

#[cfg(test)]
mod tests;
