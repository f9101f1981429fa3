//! The form tools' pages (activity diary and planner, worry log, exposure
//! ladder, goals), drawn from each tool's field list in
//! `bothy_domain::tools::specs`: one handler and one template serve them
//! all. A page has one or two forms (the ladder's steps and its practices;
//! goals and their ratings) above the person's entries, where an entry that
//! belongs to another (a practice of a step) is listed under it.

use super::{SavedQuery, frame, new_key};
use crate::AppState;
use crate::auth::Ctx;
use crate::error::WebError;
use crate::form::Form;
use crate::format::{london, uk_time};
use crate::layout::{Chrome, html};
use crate::pages::alerts::RiskSupport;
use crate::pages::field_errors;
use crate::pages::refer::Errs;
use askama::Template;
use axum::extract::{Query, State};
use axum::response::{IntoResponse, Redirect, Response};
use bothy_app::tools::ToolInput;
use bothy_app::{Actor, AppError, FieldError};
use bothy_domain::ids::ToolEntryId;
use bothy_domain::tools::form::{Field, FieldKind, FormEntry, Spec, Value};
use bothy_domain::tools::{Entry, ToolEntry, ToolKind, specs};

/// Entries read for a page: each tool's most recent.
const SHOWN: i64 = 200;

/// One form on a tool's page.
pub struct FormOnPage {
    pub spec: &'static Spec,
    /// Where it is sent.
    pub action: &'static str,
    pub legend: &'static str,
    pub button: &'static str,
    /// Said in place of the form while it cannot be used (no step yet).
    pub needs_first: &'static str,
}

/// A form tool's page.
pub struct ToolPage {
    pub path: &'static str,
    pub title: &'static str,
    pub intro: &'static str,
    pub saved: &'static str,
    /// The entries listed, with those of the second form's tool (if any)
    /// under the entry they belong to.
    pub forms: &'static [FormOnPage],
    pub list_heading: &'static str,
    pub empty: &'static str,
}

pub static ACTIVITIES: ToolPage = ToolPage {
    path: "/tools/activities",
    title: "Activity diary and planner",
    intro: "Low mood makes us do less, and doing less lowers mood. Write down what you do, and rate your mood, how much of an achievement it was and how much you enjoyed it. Plan a few things for the days ahead, then rate them once you have done them.",
    saved: "Saved. Small steps count.",
    forms: &[FormOnPage {
        spec: &specs::ACTIVITY,
        action: "/tools/activities",
        legend: "Add an activity",
        button: "Save the activity",
        needs_first: "",
    }],
    list_heading: "Your activities",
    empty: "You have not added an activity yet.",
};

pub static WORRIES: ToolPage = ToolPage {
    path: "/tools/worries",
    title: "Worry log",
    intro: "When a worry comes, write it down here and put it aside until your worry time. Then decide: is it a practical worry you can act on, or a \"what if\" worry to let go of?",
    saved: "Your worry is written down. You can put it aside until your worry time.",
    forms: &[FormOnPage {
        spec: &specs::WORRY,
        action: "/tools/worries",
        legend: "Write down a worry",
        button: "Save the worry",
        needs_first: "",
    }],
    list_heading: "Your worries",
    empty: "You have not written down a worry yet.",
};

pub static EXPOSURE: ToolPage = ToolPage {
    path: "/tools/exposure",
    title: "Exposure ladder",
    intro: "List situations you avoid, from the least to the most frightening, and rate how anxious each would make you (0 to 100). Start with a step near the bottom. Stay until your anxiety starts to come down, and repeat it until it feels easier, then move up.",
    saved: "Saved. Well done for facing it.",
    forms: &[
        FormOnPage {
            spec: &specs::EXPOSURE_STEP,
            action: "/tools/exposure/steps",
            legend: "Add a step to your ladder",
            button: "Add the step",
            needs_first: "",
        },
        FormOnPage {
            spec: &specs::EXPOSURE_PRACTICE,
            action: "/tools/exposure/practice",
            legend: "Record a practice",
            button: "Save the practice",
            needs_first: "Add a step to your ladder first, then record each time you practise it.",
        },
    ],
    list_heading: "Your ladder, from the easiest step",
    empty: "Your ladder has no steps yet.",
};

pub static GOALS: ToolPage = ToolPage {
    path: "/tools/goals",
    title: "Goals",
    intro: "Write down what you would like to be able to do by the end of your programme, in your own words, and rate how close you are to each goal from 0 (not at all) to 10 (goal reached). Rate them again every week or two, to see how far you have come.",
    saved: "Saved.",
    forms: &[
        FormOnPage {
            spec: &specs::GOAL,
            action: "/tools/goals",
            legend: "Add a goal",
            button: "Add the goal",
            needs_first: "",
        },
        FormOnPage {
            spec: &specs::GOAL_RATING,
            action: "/tools/goals/ratings",
            legend: "Rate your progress",
            button: "Save the rating",
            needs_first: "Add a goal first, then rate your progress towards it.",
        },
    ],
    list_heading: "Your goals",
    empty: "You have not added a goal yet.",
};

/// One option of a choice or a list.
pub struct OptionView {
    pub value: String,
    pub label: String,
    pub selected: bool,
}

/// One field as the template draws it.
pub struct FieldView {
    pub name: &'static str,
    pub label: &'static str,
    pub hint: &'static str,
    /// `text`, `number`, `date`, `choice` or `entry`.
    pub kind: &'static str,
    pub value: String,
    pub options: Vec<OptionView>,
}

pub struct FormView {
    pub action: &'static str,
    pub legend: &'static str,
    pub button: &'static str,
    /// Empty when the form can be used.
    pub needs_first: &'static str,
    pub key: String,
    pub fields: Vec<FieldView>,
}

/// One entry as listed: a heading, its answers, and the entries that
/// belong to it.
pub struct EntryView {
    pub heading: String,
    pub lines: Vec<(&'static str, String)>,
    pub children: Vec<EntryView>,
}

#[derive(Template)]
#[template(path = "tool_form_page.html")]
struct FormPage {
    chrome: Chrome,
    csrf: String,
    tool: &'static ToolPage,
    forms: Vec<FormView>,
    errors: Vec<FieldError>,
    errs: Errs,
    saved: bool,
    support: Option<RiskSupport>,
    entries: Vec<EntryView>,
}

fn forms_of(e: &ToolEntry) -> Option<&FormEntry> {
    match &e.entry {
        Entry::Form(f) => Some(f),
        _ => None,
    }
}

/// What an entry is called in a list and in another entry: its first text.
pub fn name_of(e: &ToolEntry) -> String {
    let text = forms_of(e)
        .and_then(|f| f.texts().first().map(|t| t.to_string()))
        .unwrap_or_default();
    match text.char_indices().nth(80) {
        Some((i, _)) => format!("{}…", &text[..i]),
        None => text,
    }
}

/// An answer as people read it.
fn shown(spec: &Spec, name: &str, v: &Value, named: &dyn Fn(ToolEntryId) -> String) -> String {
    let kind = spec.field(name).map(|f| f.kind);
    match (v, kind) {
        (Value::Number(n), Some(FieldKind::Rating(max))) => format!("{n} out of {max}"),
        (Value::Number(n), _) => format!("{n} minutes"),
        (Value::Date(d), _) => d.strftime("%A %-d %B %Y").to_string(),
        (Value::Choice(c), Some(FieldKind::Choice(options))) => options
            .iter()
            .find(|(v, _)| v == c)
            .map_or((*c).to_string(), |(_, l)| (*l).to_string()),
        (Value::Entry(id), _) => named(*id),
        (v, _) => v.stored(),
    }
}

/// An entry's answers, as (short name, shown) pairs.
pub fn lines(e: &ToolEntry, named: &dyn Fn(ToolEntryId) -> String) -> Vec<(&'static str, String)> {
    let Some(f) = forms_of(e) else {
        return Vec::new();
    };
    let Some(spec) = specs::spec(f.kind) else {
        return Vec::new();
    };
    f.values
        .iter()
        .map(|(name, v)| {
            let short = spec.field(name).map_or(*name, |f| f.short);
            (short, shown(spec, name, v, named))
        })
        .collect()
}

/// Entries of `kind` (read newest first) in the order their tool lists
/// them, both on the page and as a form's choices.
fn in_order(kind: ToolKind, entries: &[ToolEntry]) -> Vec<&ToolEntry> {
    let mut parents: Vec<&ToolEntry> = entries.iter().filter(|e| e.entry.kind() == kind).collect();
    match kind {
        // The ladder runs from the least to the most frightening step.
        ToolKind::ExposureStep => parents.sort_by_key(|e| {
            forms_of(e)
                .and_then(|f| f.number("expected_distress"))
                .unwrap_or(0)
        }),
        // Plans first, soonest first; then what was done, latest first.
        ToolKind::Activity => parents.sort_by(|a, b| {
            let key = |e: &ToolEntry| {
                let f = forms_of(e);
                let planned = f.and_then(|f| f.choice("status")) == Some(specs::PLANNED);
                (planned, f.and_then(|f| f.date("day")).unwrap_or_default())
            };
            match (key(a), key(b)) {
                ((true, x), (true, y)) => x.cmp(&y),
                ((false, x), (false, y)) => y.cmp(&x),
                ((x, _), (y, _)) => y.cmp(&x),
            }
        }),
        // Goals in the order they were set.
        ToolKind::Goal => parents.reverse(),
        _ => {}
    }
    parents
}

/// The page's entries: each of the first form's, ordered for its tool,
/// with the second form's under the entry they refer to, oldest first.
fn entry_views(tool: &ToolPage, entries: &[ToolEntry]) -> Vec<EntryView> {
    let of = |k: ToolKind| entries.iter().filter(move |e| e.entry.kind() == k);
    let named = |id: ToolEntryId| {
        entries
            .iter()
            .find(|e| e.id == id)
            .map(name_of)
            .unwrap_or_default()
    };
    let parents = in_order(tool.forms[0].spec.kind, entries);
    let child_kind = tool.forms.get(1).map(|f| f.spec.kind);
    parents
        .into_iter()
        .map(|p| {
            let mut children: Vec<EntryView> = child_kind
                .map(|k| {
                    of(k)
                        .filter(|c| {
                            forms_of(c).is_some_and(|f| f.entries().any(|(_, id)| id == p.id))
                        })
                        .map(|c| EntryView {
                            heading: uk_time(c.recorded_at),
                            // Listed under its step or goal: no need to name it.
                            lines: lines(c, &|_| String::new())
                                .into_iter()
                                .filter(|(_, v)| !v.is_empty())
                                .collect(),
                            children: Vec::new(),
                        })
                        .collect()
                })
                .unwrap_or_default();
            children.reverse();
            EntryView {
                heading: uk_time(p.recorded_at),
                lines: lines(p, &named),
                children,
            }
        })
        .collect()
}

/// The fields of one form, with what was typed (if it is the form sent).
/// A new form's days are today.
fn form_view(
    f: &FormOnPage,
    typed: Option<&[(String, String)]>,
    entries: &[ToolEntry],
    today: jiff::civil::Date,
) -> FormView {
    let value = |field: &Field| match typed {
        Some(t) => t
            .iter()
            .find(|(n, _)| n == field.name)
            .map_or(String::new(), |(_, v)| v.clone()),
        None if field.kind == FieldKind::Date => today.to_string(),
        None => String::new(),
    };
    let mut usable = true;
    let fields = f
        .spec
        .fields
        .iter()
        .map(|field| {
            let v = value(field);
            let (kind, options) = match field.kind {
                FieldKind::Text => ("text", Vec::new()),
                FieldKind::Rating(_) | FieldKind::Minutes(_) => ("number", Vec::new()),
                FieldKind::Date => ("date", Vec::new()),
                FieldKind::Choice(options) => (
                    "choice",
                    options
                        .iter()
                        .map(|(o, label)| OptionView {
                            value: (*o).to_string(),
                            label: (*label).to_string(),
                            selected: v == *o,
                        })
                        .collect(),
                ),
                FieldKind::Entry(k) => {
                    let options: Vec<OptionView> = in_order(k, entries)
                        .into_iter()
                        .map(|e| OptionView {
                            value: e.id.to_string(),
                            label: name_of(e),
                            selected: v == e.id.to_string(),
                        })
                        .collect();
                    usable &= !options.is_empty();
                    ("entry", options)
                }
            };
            FieldView {
                name: field.name,
                label: field.label,
                hint: field.hint,
                kind,
                value: v,
                options,
            }
        })
        .collect();
    FormView {
        action: f.action,
        legend: f.legend,
        button: f.button,
        needs_first: if usable { "" } else { f.needs_first },
        key: typed
            .and_then(|t| t.iter().find(|(n, _)| n == "key"))
            .map_or_else(new_key, |(_, k)| k.clone()),
        fields,
    }
}

/// The page, with the form `sent` (its index and what was typed) and its
/// errors, if a save was refused.
async fn render(
    state: &AppState,
    ctx: &Ctx,
    tool: &'static ToolPage,
    sent: Option<(usize, &[(String, String)])>,
    errors: Vec<FieldError>,
    q: SavedQuery,
) -> Result<Response, WebError> {
    let Actor::Patient(p) = &ctx.actor else {
        return Err(AppError::Forbidden.into());
    };
    let mut entries = Vec::new();
    for f in tool.forms {
        let tools = state.app.tools();
        let read = tools.entries(&ctx.actor, p.id, Some(f.spec.kind), SHOWN, &ctx.request);
        entries.extend(read.await?);
    }
    let failed = !errors.is_empty();
    // Risk words show the crisis contacts even when the form is refused.
    let typed_risk = failed
        && sent.is_some_and(|(i, typed)| {
            let texts: Vec<&str> = tool.forms[i]
                .spec
                .fields
                .iter()
                .filter(|f| f.kind == FieldKind::Text)
                .filter_map(|f| typed.iter().find(|(n, _)| n == f.name))
                .map(|(_, v)| v.trim())
                .filter(|v| !v.is_empty())
                .collect();
            state.app.tools().has_risk(&texts)
        });
    let f = frame(
        state,
        ctx,
        tool.title,
        failed,
        q.risk.is_some() || typed_risk,
    )
    .await?;
    let today = state.app.clock().now().to_zoned(london()).date();
    let forms = tool
        .forms
        .iter()
        .enumerate()
        .map(|(i, f)| {
            let typed = sent.and_then(|(s, typed)| (s == i).then_some(typed));
            form_view(f, typed, &entries, today)
        })
        .collect();
    Ok(html(
        f.status,
        &FormPage {
            chrome: f.chrome,
            csrf: f.csrf,
            tool,
            forms,
            errs: Errs(errors.clone()),
            errors,
            saved: q.saved.is_some(),
            support: f.support,
            entries: entry_views(tool, &entries),
        },
    ))
}

async fn page(
    state: &AppState,
    ctx: &Ctx,
    tool: &'static ToolPage,
    q: SavedQuery,
) -> Result<Response, WebError> {
    render(state, ctx, tool, None, Vec::new(), q).await
}

/// Saves the page's form number `form`; back to the page (303), or the page
/// with the errors and what was typed (422).
async fn submit(
    state: &AppState,
    ctx: &Ctx,
    tool: &'static ToolPage,
    form: usize,
    Form(fields): Form<Vec<(String, String)>>,
) -> Result<Response, WebError> {
    if !matches!(ctx.actor, Actor::Patient(_)) {
        return Err(AppError::Forbidden.into());
    }
    let spec = tool.forms[form].spec;
    let key = fields
        .iter()
        .find(|(n, _)| n == "key")
        .map_or(String::new(), |(_, k)| k.clone());
    let saved = state
        .app
        .tools()
        .record(
            &ctx.actor,
            ToolInput::Form(spec.kind, fields.clone()),
            &key,
            &ctx.request,
        )
        .await;
    match field_errors(saved)? {
        // A double tap or a resent form lands on the same page.
        Ok(done) => {
            let risk = if done.risk { "&risk=1" } else { "" };
            Ok(Redirect::to(&format!("{}?saved=1{risk}", tool.path)).into_response())
        }
        Err(errors) => {
            render(
                state,
                ctx,
                tool,
                Some((form, &fields)),
                errors,
                SavedQuery::default(),
            )
            .await
        }
    }
}

/// The route handlers of each page: its page, and each of its forms.
macro_rules! handlers {
    ($page:ident, $tool:expr, $($submit:ident = $form:expr),+) => {
        pub async fn $page(
            State(state): State<AppState>,
            ctx: Ctx,
            Query(q): Query<SavedQuery>,
        ) -> Result<Response, WebError> {
            page(&state, &ctx, &$tool, q).await
        }
        $(
            pub async fn $submit(
                State(state): State<AppState>,
                ctx: Ctx,
                form: Form<Vec<(String, String)>>,
            ) -> Result<Response, WebError> {
                submit(&state, &ctx, &$tool, $form, form).await
            }
        )+
    };
}

handlers!(activities, ACTIVITIES, add_activity = 0);
handlers!(worries, WORRIES, add_worry = 0);
handlers!(exposure, EXPOSURE, add_step = 0, add_practice = 1);
handlers!(goals, GOALS, add_goal = 0, rate_goal = 1);
