//! `QuestionnaireResponse`: reading one sent to us into answers the
//! instrument can score, and writing a stored response back out.
//!
//! Reading collects every problem rather than stopping at the first, each
//! with a FHIRPath `expression` pointing at the element at fault
//! (`QuestionnaireResponse.item[3].answer[0].valueCoding`), or, for a
//! question that is not there at all, at the item by its linkId
//! (`QuestionnaireResponse.item.where(linkId='44260-8')`).
//!
//! An answer is matched to one of its own item's options, never through a
//! code table shared by all items (GAD-7 item 2 codes "More than half the
//! days" differently from the other six items):
//! - `valueCoding` with a `code`: the option with that code (and that system,
//!   if the coding names one); an `ordinalValue` extension, if present, must
//!   agree with the option's score;
//! - `valueCoding` with only an `ordinalValue` extension (on the coding or on
//!   the answer): the option with that score;
//! - `valueInteger`: the option with that score.

use crate::questionnaire::{
    PREAMBLE_LINK_ID, canonical_url, help_link_id, intro_link_id, legacy_answer_system, link_id,
    option_coding,
};
use crate::versions::FIRST_VERSION;
use crate::{Issue, ORDINAL_VALUE, instant};
use bothy_domain::PatientId;
use bothy_domain::instruments::model::{AnswerOption, Item};
use bothy_domain::instruments::{Catalogue, Instrument, ScoreError, score};
use bothy_domain::model::MeasureResponse;
use bothy_domain::time::{Timestamp, at_storage_precision};
use serde_json::{Map, Value, json};

/// The longest identifier value accepted (the idempotency key's limit).
pub const MAX_IDENTIFIER_LEN: usize = 100;

/// A QuestionnaireResponse that can be scored: one answer (the option's
/// score) or `None` per instrument item, in the instrument's order.
#[derive(Debug, Clone, PartialEq)]
pub struct ParsedResponse {
    pub instrument_id: String,
    /// The version after `|` in `questionnaire`, if the sender gave one. It
    /// has been checked against the current version already.
    pub version: Option<String>,
    pub patient_id: PatientId,
    pub answers: Vec<Option<i32>>,
    /// `identifier.value`: the idempotency key.
    pub identifier: String,
    /// `authored`, if given, at the precision it is stored at (milliseconds).
    /// Whether it is in the future is for the caller, who has the clock.
    pub authored: Option<Timestamp>,
}

const R: &str = "QuestionnaireResponse";

struct Issues(Vec<Issue>);

impl Issues {
    fn push(&mut self, expression: impl Into<String>, message: impl Into<String>) {
        self.0.push(Issue {
            expression: expression.into(),
            message: message.into(),
        });
    }
}

/// Reads a QuestionnaireResponse sent for creation. `base` is the FHIR base
/// URL (`.../fhir`). Every problem found is returned.
pub fn parse_response(
    v: &Value,
    base: &str,
    catalogue: &Catalogue,
) -> Result<ParsedResponse, Vec<Issue>> {
    let mut issues = Issues(Vec::new());
    let Some(obj) = v.as_object() else {
        issues.push(
            R,
            "The body must be a JSON object: a FHIR QuestionnaireResponse",
        );
        return Err(issues.0);
    };
    match obj.get("resourceType").and_then(Value::as_str) {
        Some(R) => {}
        Some(other) => {
            issues.push(
                R,
                format!("resourceType must be QuestionnaireResponse, not {other:?}"),
            );
            return Err(issues.0);
        }
        None => {
            issues.push(
                R,
                "resourceType is missing: it must be QuestionnaireResponse",
            );
            return Err(issues.0);
        }
    }

    read_status(obj, &mut issues);

    let identifier = read_identifier(obj, &mut issues);
    let authored = read_authored(obj, &mut issues);
    let patient_id = read_subject(obj, base, &mut issues);
    let (instrument, version) = read_questionnaire(obj, base, catalogue, &mut issues);

    let answers = match instrument {
        Some(inst) => read_items(obj, base, inst, &mut issues),
        None => {
            if obj.get("item").is_some_and(|i| !i.is_array()) {
                issues.push(format!("{R}.item"), "item must be an array");
            }
            None
        }
    };

    match (
        issues.0.is_empty(),
        instrument,
        patient_id,
        identifier,
        answers,
    ) {
        (true, Some(inst), Some(patient_id), Some(identifier), Some(answers)) => {
            Ok(ParsedResponse {
                instrument_id: inst.id.clone(),
                version,
                patient_id,
                answers,
                identifier,
                authored,
            })
        }
        _ => Err(issues.0),
    }
}

/// Reads a QuestionnaireResponse carried inside another resource, such as
/// the screening answers contained in a referral: as [`parse_response`],
/// but without `identifier` and `subject`, which the containing resource
/// gives. Expressions start at `QuestionnaireResponse`; the caller puts
/// them in place.
pub fn parse_contained_answers<'c>(
    v: &Value,
    base: &str,
    catalogue: &'c Catalogue,
) -> Result<(&'c Instrument, Vec<Option<i32>>), Vec<Issue>> {
    let mut issues = Issues(Vec::new());
    let Some(obj) = v.as_object() else {
        issues.push(R, "Each contained resource must be a JSON object");
        return Err(issues.0);
    };
    read_status(obj, &mut issues);
    let (instrument, _) = read_questionnaire(obj, base, catalogue, &mut issues);
    let answers = instrument.and_then(|inst| read_items(obj, base, inst, &mut issues));
    match (issues.0.is_empty(), instrument, answers) {
        (true, Some(inst), Some(answers)) => Ok((inst, answers)),
        _ => Err(issues.0),
    }
}

fn read_status(obj: &Map<String, Value>, issues: &mut Issues) {
    match obj.get("status") {
        Some(Value::String(s)) if s == "completed" => {}
        Some(Value::String(s)) => issues.push(
            format!("{R}.status"),
            format!("status must be \"completed\": a response that is {s:?} cannot be scored"),
        ),
        Some(_) => issues.push(
            format!("{R}.status"),
            "status must be the string \"completed\"",
        ),
        None => issues.push(
            format!("{R}.status"),
            "status is missing: it must be \"completed\"",
        ),
    }
}

fn read_identifier(obj: &Map<String, Value>, issues: &mut Issues) -> Option<String> {
    let path = format!("{R}.identifier");
    match obj.get("identifier") {
        None => {
            issues.push(
                path,
                "identifier is missing: give each response a unique identifier.value, so that \
                 sending it twice records it once",
            );
            None
        }
        Some(Value::Array(_)) => {
            issues.push(
                path,
                "identifier is a single Identifier in FHIR R4, not an array",
            );
            None
        }
        Some(Value::Object(id)) => match id.get("value") {
            Some(Value::String(s)) if s.trim().is_empty() => {
                issues.push(
                    format!("{path}.value"),
                    "identifier.value must not be blank",
                );
                None
            }
            Some(Value::String(s)) if s.trim().len() > MAX_IDENTIFIER_LEN => {
                issues.push(
                    format!("{path}.value"),
                    format!("identifier.value must be at most {MAX_IDENTIFIER_LEN} characters"),
                );
                None
            }
            Some(Value::String(s)) => Some(s.trim().to_string()),
            Some(_) => {
                issues.push(format!("{path}.value"), "identifier.value must be a string");
                None
            }
            None => {
                issues.push(format!("{path}.value"), "identifier.value is missing");
                None
            }
        },
        Some(_) => {
            issues.push(path, "identifier must be an Identifier object");
            None
        }
    }
}

/// `authored`: a date and time with its zone. A date alone (or a year and
/// month, which FHIR's dateTime also allows) is refused rather than stored as
/// a made-up time of day; digits below a millisecond are dropped, as storage
/// drops them, so that what is answered is what is read back.
fn read_authored(obj: &Map<String, Value>, issues: &mut Issues) -> Option<Timestamp> {
    let path = format!("{R}.authored");
    match obj.get("authored")? {
        Value::String(s) => match s.parse::<Timestamp>() {
            Ok(t) => Some(at_storage_precision(t)),
            Err(_) => {
                issues.push(
                    path,
                    format!(
                        "authored {s:?} must be a date and time with its time zone, \
                         such as 2026-11-17T10:30:00Z or 2026-11-17T10:30:00+01:00"
                    ),
                );
                None
            }
        },
        _ => {
            issues.push(path, "authored must be a dateTime string");
            None
        }
    }
}

fn read_subject(obj: &Map<String, Value>, base: &str, issues: &mut Issues) -> Option<PatientId> {
    let path = format!("{R}.subject");
    let reference = match obj.get("subject") {
        None => {
            issues.push(
                path,
                "subject is missing: it must reference the patient, as Patient/{id}",
            );
            return None;
        }
        Some(Value::Object(s)) => match s.get("reference") {
            Some(Value::String(r)) => r.as_str(),
            _ => {
                issues.push(
                    format!("{path}.reference"),
                    "subject.reference is missing: it must be Patient/{id}",
                );
                return None;
            }
        },
        Some(_) => {
            issues.push(path, "subject must be a Reference object");
            return None;
        }
    };
    let relative = reference
        .strip_prefix(base)
        .and_then(|r| r.strip_prefix('/'))
        .unwrap_or(reference);
    match relative
        .strip_prefix("Patient/")
        .and_then(|id| id.parse::<PatientId>().ok())
    {
        Some(id) => Some(id),
        None => {
            issues.push(
                format!("{path}.reference"),
                "subject.reference must be Patient/{id}, with the id of a patient on this server",
            );
            None
        }
    }
}

fn read_questionnaire<'c>(
    obj: &Map<String, Value>,
    base: &str,
    catalogue: &'c Catalogue,
    issues: &mut Issues,
) -> (Option<&'c Instrument>, Option<String>) {
    let path = format!("{R}.questionnaire");
    let canonical = match obj.get("questionnaire") {
        Some(Value::String(q)) => q.as_str(),
        Some(_) => {
            issues.push(path, "questionnaire must be a canonical URL string");
            return (None, None);
        }
        None => {
            issues.push(
                path,
                format!("questionnaire is missing: name one of this server's, such as {base}/Questionnaire/phq9"),
            );
            return (None, None);
        }
    };
    let (url, version) = match canonical.split_once('|') {
        Some((url, version)) => (url, Some(version.to_string())),
        None => (canonical, None),
    };
    let inst = url
        .strip_prefix(base)
        .and_then(|r| r.strip_prefix("/Questionnaire/"))
        .and_then(|id| catalogue.get(id));
    let Some(inst) = inst else {
        issues.push(
            path,
            format!("There is no questionnaire {url:?} on this server; GET {base}/Questionnaire lists them"),
        );
        return (None, None);
    };
    if let Some(v) = &version
        && v != &inst.version
    {
        issues.push(
            path,
            format!(
                "{} version {v:?} does not exist here (it may have been replaced); the current version is {:?}",
                inst.short_name, inst.version
            ),
        );
    }
    (Some(inst), version)
}

/// LHC-Forms writes LOINC linkIds with a leading slash ("/44250-9").
fn normalise_link_id(s: &str) -> &str {
    s.strip_prefix('/').unwrap_or(s)
}

fn is_display_link(inst: &Instrument, link: &str) -> bool {
    (inst.preamble.is_some() && link == PREAMBLE_LINK_ID)
        || inst
            .items
            .iter()
            .any(|i| i.intro.is_some() && link == intro_link_id(i))
}

fn read_items(
    obj: &Map<String, Value>,
    base: &str,
    inst: &Instrument,
    issues: &mut Issues,
) -> Option<Vec<Option<i32>>> {
    let empty = Vec::new();
    let items = match obj.get("item") {
        None => &empty,
        Some(Value::Array(a)) => a,
        Some(_) => {
            issues.push(format!("{R}.item"), "item must be an array");
            return None;
        }
    };
    let before = issues.0.len();
    let mut answers: Vec<Option<i32>> = vec![None; inst.items.len()];
    // Where each instrument item was found in the response, if anywhere.
    let mut found: Vec<Option<usize>> = vec![None; inst.items.len()];
    // Items whose answer was present but wrong: not also reported as missing.
    let mut wrong = vec![false; inst.items.len()];
    for (i, entry) in items.iter().enumerate() {
        let path = format!("{R}.item[{i}]");
        let Some(entry) = entry.as_object() else {
            issues.push(path, "each item must be an object");
            continue;
        };
        let Some(link) = entry.get("linkId").and_then(Value::as_str) else {
            issues.push(format!("{path}.linkId"), "linkId is missing");
            continue;
        };
        let link = normalise_link_id(link);
        let Some(pos) = inst.items.iter().position(|it| link_id(it) == link) else {
            if is_display_link(inst, link) {
                if entry.get("answer").is_some() {
                    issues.push(
                        format!("{path}.answer"),
                        format!(
                            "{link} is text shown to the person, not a question: it takes no answer"
                        ),
                    );
                }
                continue;
            }
            let known: Vec<String> = inst.items.iter().map(link_id).collect();
            issues.push(
                format!("{path}.linkId"),
                format!(
                    "{} has no question with linkId {link:?}; its questions are {}",
                    inst.short_name,
                    known.join(", ")
                ),
            );
            continue;
        };
        let item = &inst.items[pos];
        if let Some(first) = found[pos] {
            issues.push(
                format!("{path}.linkId"),
                format!(
                    "Question {} ({link}) is answered twice: also at item[{first}]",
                    item.n
                ),
            );
            wrong[pos] = true;
            continue;
        }
        found[pos] = Some(i);
        if let Some(children) = entry.get("item") {
            let help = help_link_id(item);
            let only_help = children.as_array().is_some_and(|c| {
                c.iter().all(|child| {
                    child
                        .get("linkId")
                        .and_then(Value::as_str)
                        .map(normalise_link_id)
                        == Some(help.as_str())
                        && child.get("answer").is_none()
                })
            });
            if !only_help {
                issues.push(
                    format!("{path}.item"),
                    format!("Question {} ({link}) has no sub-questions", item.n),
                );
                wrong[pos] = true;
            }
        }
        match entry.get("answer") {
            None => {}
            Some(Value::Array(a)) if a.is_empty() => {}
            Some(Value::Array(a)) if a.len() > 1 => {
                issues.push(
                    format!("{path}.answer"),
                    format!(
                        "Question {} ({link}) takes one answer, but {} were sent",
                        item.n,
                        a.len()
                    ),
                );
                wrong[pos] = true;
            }
            Some(Value::Array(a)) => {
                match read_answer(base, inst, item, &a[0], &format!("{path}.answer[0]")) {
                    Ok(score) => answers[pos] = Some(score),
                    Err(issue) => {
                        issues.0.push(issue);
                        wrong[pos] = true;
                    }
                }
            }
            Some(_) => {
                issues.push(format!("{path}.answer"), "answer must be an array");
                wrong[pos] = true;
            }
        }
    }

    // Whether the unanswered items are allowed is the instrument's rule, so
    // ask the scorer. Items whose answer was wrong are already reported: they
    // stand in with a valid answer here so that they are not reported twice.
    let mut complete = answers.clone();
    for (pos, item) in inst.items.iter().enumerate() {
        if wrong[pos] {
            complete[pos] = inst.options_for(item).first().map(|o| o.score);
        }
    }
    if let Err(ScoreError::Incomplete {
        missing,
        max_missing,
    }) = score(inst, &complete)
    {
        for n in missing {
            let Some(pos) = inst.items.iter().position(|it| it.n == n) else {
                continue;
            };
            let item = &inst.items[pos];
            let link = link_id(item);
            let expression = match found[pos] {
                Some(i) => format!("{R}.item[{i}].answer"),
                None => format!("{R}.item.where(linkId='{link}')"),
            };
            let rule = if max_missing == 0 {
                format!("{} needs every question answered", inst.short_name)
            } else {
                format!(
                    "{} allows at most {max_missing} unanswered",
                    inst.short_name
                )
            };
            issues.push(
                expression,
                format!("Question {} ({link}) is not answered; {rule}", item.n),
            );
        }
    }
    (issues.0.len() == before).then_some(answers)
}

fn ordinal_of(v: Option<&Value>) -> Option<Option<f64>> {
    let exts = v?.get("extension")?.as_array()?;
    let ext = exts
        .iter()
        .find(|e| e.get("url").and_then(Value::as_str) == Some(ORDINAL_VALUE))?;
    Some(
        ext.get("valueDecimal")
            .or_else(|| ext.get("valueInteger"))
            .and_then(Value::as_f64),
    )
}

fn allowed(inst: &Instrument, options: &[AnswerOption]) -> String {
    options
        .iter()
        .map(|o| {
            let (_, code) = option_coding(inst, o);
            format!("{code} ({})", o.label)
        })
        .collect::<Vec<_>>()
        .join(", ")
}

fn read_answer(
    base: &str,
    inst: &Instrument,
    item: &Item,
    answer: &Value,
    path: &str,
) -> Result<i32, Issue> {
    let issue = |expression: String, message: String| Issue {
        expression,
        message,
    };
    let options = inst.options_for(item);
    let q = format!("Question {} ({})", item.n, link_id(item));
    if let Some(v) = answer.get("valueInteger") {
        let Some(v) = v.as_i64() else {
            return Err(issue(
                format!("{path}.valueInteger"),
                format!("{q}: valueInteger must be an integer"),
            ));
        };
        return match options.iter().find(|o| i64::from(o.score) == v) {
            Some(o) => Ok(o.score),
            None => {
                let scores: Vec<String> = options.iter().map(|o| o.score.to_string()).collect();
                Err(issue(
                    format!("{path}.valueInteger"),
                    format!("{q}: {v} is not one of its answers ({})", scores.join(", ")),
                ))
            }
        };
    }
    let Some(coding) = answer.get("valueCoding") else {
        return Err(issue(
            path.to_string(),
            format!(
                "{q}: the answer must be a valueCoding (one of the question's answerOptions) or a valueInteger"
            ),
        ));
    };
    let path = format!("{path}.valueCoding");
    let Some(coding) = coding.as_object() else {
        return Err(issue(
            path,
            format!("{q}: valueCoding must be a Coding object"),
        ));
    };
    // The score may ride on the coding (R4's ordinalValue context) or, as
    // some form fillers write it, on the answer.
    let ordinal = match ordinal_of(answer.get("valueCoding")).or_else(|| ordinal_of(Some(answer))) {
        Some(Some(o)) => Some(o),
        Some(None) => {
            return Err(issue(
                format!("{path}.extension"),
                format!("{q}: the ordinalValue extension needs a valueDecimal"),
            ));
        }
        None => None,
    };
    let system = coding.get("system").and_then(Value::as_str);
    match coding.get("code").and_then(Value::as_str) {
        Some(code) => {
            // The system, if given, is the option's or, for an answer
            // without a LOINC code, the deployment-addressed one earlier
            // releases published.
            let legacy = legacy_answer_system(base, inst);
            let chosen = options.iter().find(|o| {
                let (s, c) = option_coding(inst, o);
                c == code
                    && system.is_none_or(|sys| sys == s || (o.loinc.is_none() && sys == legacy))
            });
            let Some(opt) = chosen else {
                let shown = match system {
                    Some(s) => format!("{s}|{code}"),
                    None => code.to_string(),
                };
                return Err(issue(
                    path,
                    format!(
                        "{q}: {shown} is not one of its answers; they are {}",
                        allowed(inst, options)
                    ),
                ));
            };
            match ordinal {
                Some(o) if (o - f64::from(opt.score)).abs() > 1e-9 => Err(issue(
                    path,
                    format!(
                        "{q}: ordinalValue {o} does not match {code}, which scores {}",
                        opt.score
                    ),
                )),
                _ => Ok(opt.score),
            }
        }
        None => match ordinal {
            Some(o) => match options
                .iter()
                .find(|opt| (o - f64::from(opt.score)).abs() <= 1e-9)
            {
                Some(opt) => Ok(opt.score),
                None => Err(issue(
                    path,
                    format!(
                        "{q}: ordinalValue {o} is not one of its answers; they are {}",
                        allowed(inst, options)
                    ),
                )),
            },
            None => Err(issue(
                path,
                format!("{q}: valueCoding needs a code (or an ordinalValue extension)"),
            )),
        },
    }
}

/// A stored response as a QuestionnaireResponse.
pub fn questionnaire_response(base: &str, inst: &Instrument, r: &MeasureResponse) -> Value {
    let items = answer_items(inst, &r.answers);
    let mut v = json!({
        "resourceType": R,
        "id": r.id.to_string(),
        "meta": { "versionId": FIRST_VERSION, "lastUpdated": instant(r.submitted_at) },
        "identifier": { "value": r.idempotency_key },
        "questionnaire": format!("{}|{}", canonical_url(base, inst), r.instrument_version),
        "status": "completed",
        "subject": { "reference": format!("Patient/{}", r.patient_id) },
        "authored": instant(r.authored()),
    });
    if !items.is_empty() {
        v["item"] = Value::Array(items);
    }
    v
}

/// The answered items of a response, each answer as its option's coding
/// (with the score in `ordinalValue`), in the instrument's order.
pub fn answer_items(inst: &Instrument, answers: &[Option<i32>]) -> Vec<Value> {
    inst.items
        .iter()
        .zip(answers)
        .filter_map(|(item, answer)| {
            let answer = (*answer)?;
            let value = match inst.options_for(item).iter().find(|o| o.score == answer) {
                Some(opt) => {
                    let (system, code) = option_coding(inst, opt);
                    json!({ "valueCoding": {
                        "extension": [{ "url": ORDINAL_VALUE, "valueDecimal": opt.score }],
                        "system": system,
                        "code": code,
                        "display": opt.label,
                    }})
                }
                // An answer from an earlier version of the options.
                None => json!({ "valueInteger": answer }),
            };
            let mut answered = json!({ "linkId": link_id(item), "text": item.text });
            // Moved in: `json!` would copy `value` through its serializer.
            answered["answer"] = Value::Array(vec![value]);
            Some(answered)
        })
        .collect()
}
